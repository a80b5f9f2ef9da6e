/**
 * Profile settings over RPC (settings.get / settings.set): the display name, used at once, and the
 * bootstrap peers and relays saved in the profile, merged after the command-line ones when the
 * node starts (so a change applies after a restart of the daemon).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { DaemonContext } from '../daemon/context.ts'
import {
  NETWORK_SETTINGS_KEY,
  NETWORK_SETTINGS_RECORD,
  type NetworkSettingsRecord,
  readIdentityRecord,
  writeIdentityRecord,
} from '../profile/records.ts'
import { MAX_DISPLAY_NAME_CHARS, MAX_NETWORK_PEERS, type Settings } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import type { Handlers } from '../rpc/server.ts'
import { StoredRecordError } from '../storage/errors.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import type { NetworkOptions, Runtime } from './runtime.ts'

export { NETWORK_SETTINGS_KEY, type NetworkSettingsRecord }

const NO_SETTINGS: NetworkSettingsRecord = { bootstrap: [], relays: [] }

export async function readNetworkSettings(store: SealedStore): Promise<NetworkSettingsRecord> {
  // a record that does not read as settings counts as none, as it always did
  const saved = await store.read(NETWORK_SETTINGS_KEY, NETWORK_SETTINGS_RECORD).catch((error: unknown) => {
    if (error instanceof StoredRecordError) return undefined
    throw error
  })
  return saved ?? NO_SETTINGS
}

function merged(first: readonly string[] | undefined, then: readonly string[]): string[] {
  return [...new Set([...(first ?? []), ...then])]
}

/** The daemon's network options with the saved lists added after the command-line ones. */
export function withSavedNetwork(network: NetworkOptions, saved: NetworkSettingsRecord): NetworkOptions {
  return {
    ...network,
    bootstrap: merged(network.bootstrap, saved.bootstrap),
    relays: merged(network.relays, saved.relays),
  }
}

/**
 * Check and normalise a list of multiaddrs (trimmed, duplicates dropped). Every address needs a
 * valid /p2p/<peer id>; with `peerLast` it must be the last component (relays).
 * Throws INVALID_INPUT naming the first bad address.
 */
export function checkMultiaddrs(list: readonly string[], what: string, peerLast: boolean): string[] {
  const out = [...new Set(list.map((a) => a.trim()))]
  if (out.length > MAX_NETWORK_PEERS)
    throw appError('INVALID_INPUT', `at most ${MAX_NETWORK_PEERS} ${what} addresses`)
  for (const addr of out) {
    let components: ReturnType<ReturnType<typeof multiaddr>['getComponents']>
    try {
      components = multiaddr(addr).getComponents()
    } catch {
      throw appError('INVALID_INPUT', `${what}: not a valid multiaddr: ${addr}`)
    }
    const p2p = peerLast ? components.at(-1) : components.findLast((c) => c.name === 'p2p')
    let ok = p2p?.name === 'p2p' && p2p.value !== undefined
    if (ok) {
      try {
        peerIdFromString(p2p?.value ?? '')
      } catch {
        ok = false
      }
    }
    if (!ok) {
      throw appError(
        'INVALID_INPUT',
        `${what}: ${addr} must ${peerLast ? 'end in' : 'include'} /p2p/<peer id> with a valid peer id`,
      )
    }
  }
  return out
}

export function settingsHandlers(
  ctx: DaemonContext,
  currentRuntime: () => Runtime | null,
): Pick<Handlers, 'settings.get' | 'settings.set'> {
  async function read(): Promise<Settings> {
    const { store } = ctx.session.requireUnlocked()
    const record = await readIdentityRecord(store)
    const saved = await readNetworkSettings(store)
    const applied = currentRuntime()?.network
    return {
      displayName: record?.displayName ?? '',
      bootstrap: [...saved.bootstrap],
      relays: [...saved.relays],
      appliedBootstrap: [...(applied?.bootstrap ?? [])],
      appliedRelays: [...(applied?.relays ?? [])],
    }
  }

  return {
    'settings.get': read,

    'settings.set': async ({ displayName, bootstrap, relays }) => {
      const { store } = ctx.session.requireUnlocked()
      // check everything before changing anything
      const name = displayName?.trim()
      if (name !== undefined && (name.length === 0 || name.length > MAX_DISPLAY_NAME_CHARS))
        throw appError('INVALID_INPUT', 'the display name must not be blank')
      const nextBootstrap =
        bootstrap === undefined ? undefined : checkMultiaddrs(bootstrap, 'bootstrap', false)
      const nextRelays = relays === undefined ? undefined : checkMultiaddrs(relays, 'relay', true)

      if (nextBootstrap !== undefined || nextRelays !== undefined) {
        const saved = await readNetworkSettings(store)
        await store.write(NETWORK_SETTINGS_KEY, NETWORK_SETTINGS_RECORD, {
          bootstrap: nextBootstrap ?? [...saved.bootstrap],
          relays: nextRelays ?? [...saved.relays],
        })
      }
      if (name !== undefined) {
        const record = await readIdentityRecord(store)
        await writeIdentityRecord(store, {
          createdAt: record?.createdAt ?? Date.now(),
          ...record,
          displayName: name,
        })
        currentRuntime()?.setDisplayName(name)
      }
      return read()
    },
  }
}

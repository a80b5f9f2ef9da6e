/**
 * Profile settings: the display name, used at once, and the bootstrap peers and relays saved in
 * the profile, merged after the command-line ones when the node starts (so a change applies
 * after a restart of the daemon). The RPC side is node/src/rpc/handlers/settings.ts.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidInputError } from '../errors.ts'
import {
  NETWORK_SETTINGS_KEY,
  NETWORK_SETTINGS_RECORD,
  type NetworkSettingsRecord,
  readIdentityRecord,
  writeIdentityRecord,
} from '../profile/records.ts'
import { MAX_DISPLAY_NAME_CHARS, MAX_NETWORK_PEERS } from '../rpc/api.ts'
import { StoredRecordError } from '../storage/errors.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import type { NetworkOptions } from './runtime.ts'

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
 * Throws InvalidInputError naming the first bad address.
 */
export function checkMultiaddrs(list: readonly string[], what: string, peerLast: boolean): string[] {
  const out = [...new Set(list.map((a) => a.trim()))]
  if (out.length > MAX_NETWORK_PEERS)
    throw new InvalidInputError(`at most ${MAX_NETWORK_PEERS} ${what} addresses`)
  for (const addr of out) {
    let components: ReturnType<ReturnType<typeof multiaddr>['getComponents']>
    try {
      components = multiaddr(addr).getComponents()
    } catch {
      throw new InvalidInputError(`${what}: not a valid multiaddr: ${addr}`)
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
      throw new InvalidInputError(
        `${what}: ${addr} must ${peerLast ? 'end in' : 'include'} /p2p/<peer id> with a valid peer id`,
      )
    }
  }
  return out
}

/** What the profile has saved: the display name and the network lists. */
export interface SavedSettings {
  readonly displayName: string
  readonly bootstrap: readonly string[]
  readonly relays: readonly string[]
}

export async function readSettings(store: SealedStore): Promise<SavedSettings> {
  const record = await readIdentityRecord(store)
  const saved = await readNetworkSettings(store)
  return { displayName: record?.displayName ?? '', bootstrap: saved.bootstrap, relays: saved.relays }
}

/** A change of settings: each field left out stays as it is. */
export interface SettingsChange {
  readonly displayName?: string
  readonly bootstrap?: readonly string[]
  readonly relays?: readonly string[]
}

/**
 * Check every field of the change, then save it (nothing is saved when one is refused:
 * InvalidInputError). Returns the new display name when it changed, for the running node.
 */
export async function saveSettings(store: SealedStore, change: SettingsChange): Promise<string | undefined> {
  const name = change.displayName?.trim()
  if (name !== undefined && (name.length === 0 || name.length > MAX_DISPLAY_NAME_CHARS))
    throw new InvalidInputError('the display name must not be blank')
  const bootstrap =
    change.bootstrap === undefined ? undefined : checkMultiaddrs(change.bootstrap, 'bootstrap', false)
  const relays = change.relays === undefined ? undefined : checkMultiaddrs(change.relays, 'relay', true)

  if (bootstrap !== undefined || relays !== undefined) {
    const saved = await readNetworkSettings(store)
    await store.write(NETWORK_SETTINGS_KEY, NETWORK_SETTINGS_RECORD, {
      bootstrap: bootstrap ?? [...saved.bootstrap],
      relays: relays ?? [...saved.relays],
    })
  }
  if (name !== undefined) {
    const record = await readIdentityRecord(store)
    await writeIdentityRecord(store, {
      createdAt: record?.createdAt ?? Date.now(),
      ...record,
      displayName: name,
    })
  }
  return name
}

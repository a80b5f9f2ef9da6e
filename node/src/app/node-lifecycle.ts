/**
 * The life of the node inside the daemon, in one place: started when the profile unlocks (and
 * after identity.create), restarted by identity.rotate, stopped when the daemon stops. Before
 * the node runs, node.status shows where it will listen (the profile's kept ports).
 *
 * The daemon's composition (node/src/daemon/main.ts) starts it; the RPC handlers reach the
 * running node only through `runtime()`, which answers the errors a client should see while
 * there is none: NO_IDENTITY / LOCKED (the profile session), UNAVAILABLE (still starting).
 */

import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { lockedQueueKeyPair } from '../../../core/src/locked-queue.ts'
import { UnavailableError } from '../errors.ts'
import { rotatedIdentitySecrets } from '../profile/identity.ts'
import { readLockPolicy } from '../profile/lock-policy.ts'
import type { UnlockedProfile } from '../profile/session.ts'
import { PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { AutoLock, type AutoLockClock, SYSTEM_CLOCK } from './auto-lock.ts'
import type { HostContext } from './host-context.ts'
import { listenAddrsFor, plannedAddrs, profileListenPorts } from './listen-ports.ts'
import {
  drainLockedInbox,
  LOCKED_INBOX_DIR,
  type LockedHost,
  lockedListenAddrs,
  startLockedHost,
} from './locked-inbox.ts'
import { type NetworkOptions, type Runtime, startRuntime } from './runtime.ts'
import { readNetworkSettings, withSavedNetwork } from './settings.ts'

/**
 * Profile-store prefixes of what is bound to the identity key: the sessions ('s/') and their
 * index by identity key ('x/', messaging/session-book.ts).
 */
const KEY_BOUND_PREFIXES = [PREFIXES.session, PREFIXES.identityIndex] as const

export interface NodeLifecycle {
  /** The running node; throws NO_IDENTITY / LOCKED while locked, UnavailableError while it starts. */
  runtime(): Runtime
  /** The running node, or null while there is none (locked, starting, failed to start, stopped). */
  running(): Runtime | null
  /** Resolves once a start in progress has ended, started or failed (at once when none is). */
  settled(): Promise<void>
  /**
   * A new identity key (the origin key stays: same user id): the node stops, every session
   * (bound to the old key) is dropped, the secrets are re-sealed, the node starts again.
   */
  rotateIdentity(): Promise<void>
  /**
   * Lock the profile: the node stops, the sealed store closes and the keys are dropped from
   * memory; a small host on the same PeerId and ports keeps the messages sent directly meanwhile,
   * sealed to the locked queue (app/locked-inbox.ts); others wait at the mailboxes and in their
   * senders' outboxes. identity.unlock starts it all again and delivers the kept messages.
   */
  lock(): Promise<void>
  /** Run when the profile locks (or is wiped), before the node stops: what must not outlive the keys. */
  onLock(hook: () => Promise<void> | void): void
  /** Locks the profile after the idle minutes of its lock policy (app/auto-lock.ts). */
  readonly autoLock: AutoLock
}

export function startNodeLifecycle(
  ctx: HostContext,
  network: NetworkOptions,
  clock: AutoLockClock = SYSTEM_CLOCK,
): NodeLifecycle {
  let runtime: Runtime | null = null
  let starting: Promise<Runtime> | null = null
  const lockHooks: Array<() => Promise<void> | void> = []
  const runLockHooks = () => Promise.allSettled(lockHooks.map((hook) => hook()))

  /** Stop the running (or starting) node, if any. */
  async function stopNode(): Promise<void> {
    const current = runtime ?? (starting ? await starting.catch(() => null) : null)
    runtime = null
    starting = null
    await current?.stop()
  }

  /** The host that keeps messages while locked (app/locked-inbox.ts), or null. */
  let lockedHost: Promise<LockedHost | null> | null = null

  async function stopLockedHost(): Promise<void> {
    const host = lockedHost === null ? null : await lockedHost
    lockedHost = null
    await host?.stop()
  }

  /** Lock; `keepMessages` false (a revoked device) starts no host for messages meanwhile. */
  async function lock(keepMessages = true): Promise<void> {
    autoLock.disarm()
    await runLockHooks()
    // what the locked host needs, taken before the node and the keys go: the network key, the
    // node's ports and the queue's public key (nothing that opens the store or a session)
    const unlocked = ctx.session.unlocked
    const current = runtime
    const keep =
      !keepMessages || unlocked === null || current === null
        ? null
        : {
            suite: ctx.suite,
            libp2pPrivateKey: Uint8Array.from(unlocked.secrets.libp2pPrivateKey),
            listen: lockedListenAddrs(current.libp2p.getMultiaddrs()),
            queuePublicKey: lockedQueueKeyPair(ctx.suite, unlocked.secrets.deviceKeySeed).publicKey,
            profileDir: ctx.paths.dir,
            log: ctx.log.child('node:locked-inbox'),
          }
    await stopNode()
    await ctx.session.close()
    ctx.log.info('profile locked')
    if (keep !== null && keep.listen.length > 0) {
      lockedHost = startLockedHost(keep).catch((error: unknown) => {
        ctx.log.warn('no host for messages while locked', { error: (error as Error)?.name })
        return null
      })
      await lockedHost
    }
  }
  const autoLock = new AutoLock({ clock, lock, log: ctx.log })

  // The profile's kept listen ports (unless --listen names addresses): status shows where the
  // node will listen even before `wren init` or unlock.
  const ports = network.listen === undefined ? profileListenPorts(ctx.paths.dir) : null
  if (ports !== null) {
    void ports.then(
      (kept) => {
        if (runtime !== null || starting !== null) return
        const planned = plannedAddrs(kept)
        ctx.setNetworkStatus(() => ({
          peerId: null,
          listenAddrs: planned,
          connections: 0,
          relays: 0,
          mailboxes: 0,
          bundlePublished: false,
          report: null,
        }))
      },
      (error: unknown) => ctx.log.warn('no listen ports kept', { error: (error as Error)?.name }),
    )
  }

  /** The node's options: the daemon's, on the kept ports, with the profile's saved lists after. */
  async function start(profile: UnlockedProfile): Promise<Runtime> {
    const listen = network.listen ?? (ports === null ? undefined : listenAddrsFor(await ports))
    const saved = await readNetworkSettings(profile.store)
    const onRevoked = (): void => {
      // the primary took this device off the list (issue 18): say so, then lock
      ctx.notify('device.revoked', { role: 'revoked' })
      void lock(false).catch((error: unknown) =>
        ctx.log.warn('lock failed', { error: (error as Error)?.name }),
      )
    }
    return startRuntime(ctx, profile, { ...withSavedNetwork({ ...network, listen }, saved), onRevoked })
  }

  // Started after the unlock call's critical section: the runtime itself re-seals the keystore
  // (prekeys), which waits for that section to end.
  ctx.session.onUnlock(async (profile) => {
    autoLock.arm((await readLockPolicy(ctx.paths)).autoLockMinutes)
    if (runtime !== null || starting !== null) return
    starting = new Promise<void>((resolve) => setImmediate(resolve))
      .then(stopLockedHost)
      .then(() => start(profile))
    starting.then(
      (rt) => {
        runtime = rt
        // the messages kept while locked, through the mailbox path, then their files go
        void drainLockedInbox({
          suite: ctx.suite,
          deviceKeySeed: profile.secrets.deviceKeySeed,
          profileDir: ctx.paths.dir,
          deliver: (envelopes) => rt.messenger.deliverFetched(envelopes),
          log: ctx.log.child('node:locked-inbox'),
        }).catch((error: unknown) =>
          ctx.log.warn('messages kept while locked not delivered', { error: (error as Error)?.name }),
        )
      },
      (error: unknown) => {
        ctx.log.error('node failed to start', {
          error: (error as Error)?.name,
          message: (error as Error)?.message,
        })
        starting = null
      },
    )
  })
  // an opt-in wipe after failed unlocks (profile/session.ts): the node stops before its files go
  ctx.session.onWipe(async () => {
    autoLock.disarm()
    await runLockHooks()
    await stopLockedHost()
    await stopNode()
    // the kept messages were sealed to a key of the wiped keystore: unreadable, removed all the same
    await rm(join(ctx.paths.dir, LOCKED_INBOX_DIR), { recursive: true, force: true })
    ctx.log.warn('profile wiped after too many wrong passphrases')
  })
  ctx.onStop(async () => {
    autoLock.disarm()
    await stopLockedHost()
    await stopNode()
  })

  function requireRuntime(): Runtime {
    ctx.session.requireUnlocked()
    if (runtime === null) throw new UnavailableError('the node is still starting')
    return runtime
  }

  return {
    runtime: requireRuntime,
    running: () => runtime,
    settled: async () => {
      if (starting !== null) await starting.catch(() => {})
    },
    lock: () => lock(),
    onLock: (hook) => {
      lockHooks.push(hook)
    },
    autoLock,
    async rotateIdentity() {
      const rt = requireRuntime()
      const next = rotatedIdentitySecrets(ctx.suite, ctx.session.requireUnlocked().secrets)
      runtime = null
      await rt.stop()
      const ops: BatchOp[] = []
      for (const prefix of KEY_BOUND_PREFIXES)
        for await (const [key] of rt.vault.store.iterate({ prefix })) ops.push({ type: 'del', key })
      await rt.vault.store.batch(ops)
      await ctx.session.updateSecrets(next)
      starting = start(ctx.session.requireUnlocked())
      try {
        runtime = await starting
      } finally {
        starting = null
      }
    },
  }
}

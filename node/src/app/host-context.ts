/**
 * What the host process gives the node and the RPC handlers: the profile session, the crypto
 * suite, a logger, and hooks to publish events, report network status and clean up on stop.
 * Declared here, by the node that needs it; the daemon (node/src/daemon/daemon.ts) builds one,
 * and so do the simulations' harness and the runtime test fixture. app/ never imports daemon/.
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { Logger } from '../log.ts'
import type { ProfilePaths } from '../profile/profile.ts'
import type { ProfileSession } from '../profile/session.ts'
import type { EventName, EventPayload, Result } from '../rpc/api.ts'

/** DHTs, bundle and relays of a running node, as node.status reports them. */
export type NetworkReport = NonNullable<Result<'node.status'>['network']>

/** Network facts for node.status, supplied by the p2p layer once it runs. */
export interface NetworkStatus {
  readonly peerId: string | null
  readonly listenAddrs: readonly string[]
  readonly connections: number
  readonly relays: number
  readonly mailboxes: number
  readonly bundlePublished: boolean
  /** Built by node/src/app/network-report.ts; null while the node is not running. */
  readonly report: NetworkReport | null
}

export interface HostContext {
  readonly paths: ProfilePaths
  readonly session: ProfileSession
  readonly suite: CryptoSuite
  readonly log: Logger
  /** Package version reported by node.status. */
  readonly version: string
  /** ms since the epoch when the daemon started. */
  readonly startedAt: number
  /** Publish an event to subscribed RPC connections (dropped before the server listens). */
  notify<E extends EventName>(event: E, payload: EventPayload<E>): void
  /** Install the network status source for node.status (the p2p layer calls this). */
  setNetworkStatus(source: (() => NetworkStatus) | null): void
  networkStatus(): NetworkStatus | null
  /** Register cleanup run on stop, in reverse order of registration, before the profile locks. */
  onStop(hook: () => Promise<void> | void): void
}

/**
 * "The network is back" for the messaging layer: the first connection after the node had none
 * (a partition healed, a laptop woke up, a bootstrap re-dial got through), or a connection to one
 * of our mailbox relays. Queued messages and mailboxes then act at once instead of waiting for
 * their timers (outbox backoff up to RETRY_MAX_MS, mailbox fetch every MAILBOX_FETCH_INTERVAL_MS).
 *
 * Nothing here dials: the bootstrap dialer (node/src/p2p/bootstrap.ts) re-dials the bootstrap
 * peers and relays while the node has no connection, and the outbox and mailboxes dial as they
 * retry; this only turns the first connection that comes back into a signal.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Why the network counts as regained. */
export type RegainedReason = 'first-connection' | 'mailbox-relay'

export interface NetworkRegainedInit {
  libp2p: Libp2p
  /** Whether this peer holds one of our mailboxes (its connecting always counts). */
  isMailboxRelay: (peer: PeerId) => boolean
  onRegained: (reason: RegainedReason, peer: PeerId) => void
}

export class NetworkRegained {
  readonly #init: NetworkRegainedInit
  #count = 0
  #running = false
  readonly #onConnect = (event: CustomEvent<PeerId>) => {
    const peer = event.detail
    // libp2p adds the connection to its map before it dispatches peer:connect, and removes it
    // before peer:disconnect: "no other peer" is exactly "the node had no connection"
    let reason: RegainedReason | null = null
    if (this.#init.isMailboxRelay(peer)) reason = 'mailbox-relay'
    else if (this.#init.libp2p.getPeers().every((p) => p.equals(peer))) reason = 'first-connection'
    if (reason === null) return
    this.#count++
    this.#init.onRegained(reason, peer)
  }

  constructor(init: NetworkRegainedInit) {
    this.#init = init
  }

  /** How often the signal fired since start (for status and tests). */
  get count(): number {
    return this.#count
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#init.libp2p.addEventListener('peer:connect', this.#onConnect)
  }

  stop(): void {
    this.#running = false
    this.#init.libp2p.removeEventListener('peer:connect', this.#onConnect)
  }
}

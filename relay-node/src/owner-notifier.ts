/**
 * Tells an inbox's owner, on its open connection to this relay, that the inbox has new mail
 * (MAILBOX_NOTIFY_PROTOCOL), so an online device fetches at once instead of at its next poll.
 *
 * The owner of an inbox is the peer that last fetched it with valid owner authentication (the
 * relay learns nothing it did not know from that connection). Nothing is dialled: a notification
 * goes only over a connection that is already open, and it is best effort — the owner's poll
 * still fetches whatever a lost notification announced. One notification per inbox per
 * NOTIFY_MIN_INTERVAL_MS: a burst of deposits becomes one fetch.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { fromHex } from '../../core/src/bytes.ts'
import { MAILBOX_NOTIFY_PROTOCOL, MAX_MAILBOX_NOTIFY_BYTES } from '../../core/src/mailbox/constants.ts'
import type { RelayLogger } from './logger.ts'

/** Inboxes whose owner is remembered: bounds memory; the least recently fetched are forgotten first. */
export const MAX_NOTIFY_OWNERS = 10_000
/** Shortest gap between two notifications for one inbox, in ms: one fetch picks up a burst. */
export const NOTIFY_MIN_INTERVAL_MS = 250
/** Bound on sending one notification (open stream, write, close), in ms. */
export const NOTIFY_TIMEOUT_MS = 5_000
/** Notifications in flight at once; more are skipped (the owner's poll catches up). */
export const MAX_NOTIFY_IN_FLIGHT = 64

export interface OwnerNotifierInit {
  getConnections(peer: PeerId): Connection[]
  clock: () => number
  log: RelayLogger
}

export class OwnerNotifier {
  readonly #init: OwnerNotifierInit
  /** inbox id hex → owner peer id; Map order is recency order. */
  readonly #owners = new Map<string, string>()
  readonly #lastSent = new Map<string, number>()
  #inFlight = 0

  constructor(init: OwnerNotifierInit) {
    this.#init = init
  }

  /** `peer` fetched `inboxHex` with valid owner authentication. */
  ownerSeen(inboxHex: string, peer: string): void {
    this.#owners.delete(inboxHex)
    this.#owners.set(inboxHex, peer)
    if (this.#owners.size > MAX_NOTIFY_OWNERS) {
      const oldest = this.#owners.keys().next().value
      if (oldest !== undefined) {
        this.#owners.delete(oldest)
        this.#lastSent.delete(oldest)
      }
    }
  }

  /** An envelope was stored in `inboxHex`: tell its owner if it is connected. */
  deposited(inboxHex: string): void {
    const owner = this.#owners.get(inboxHex)
    if (owner === undefined || this.#inFlight >= MAX_NOTIFY_IN_FLIGHT) return
    const now = this.#init.clock()
    const last = this.#lastSent.get(inboxHex)
    if (last !== undefined && now - last < NOTIFY_MIN_INTERVAL_MS) return
    let peer: PeerId
    try {
      peer = peerIdFromString(owner)
    } catch {
      return
    }
    const connection = this.#init.getConnections(peer).find((c) => c.status === 'open' && c.limits == null)
    if (connection === undefined) return
    this.#lastSent.set(inboxHex, now)
    this.#inFlight++
    void this.#send(connection, inboxHex).finally(() => {
      this.#inFlight--
    })
  }

  async #send(connection: Connection, inboxHex: string): Promise<void> {
    const signal = AbortSignal.timeout(NOTIFY_TIMEOUT_MS)
    try {
      const stream = await connection.newStream(MAILBOX_NOTIFY_PROTOCOL, { signal })
      try {
        await lpStream(stream, { maxDataLength: MAX_MAILBOX_NOTIFY_BYTES }).write(fromHex(inboxHex), {
          signal,
        })
        await stream.close({ signal })
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    } catch (err) {
      // an owner that does not speak the protocol, or a connection that just closed: it polls
      this.#init.log.debug('notify.failed', { err })
    }
  }
}

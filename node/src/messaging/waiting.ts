/**
 * Why each contact's outbox is waiting: set when an attempt fails (by the outbox, or by session
 * establishment through `record`), cleared when the outbox delivers or empties. Kept in memory:
 * after a restart every queued message says 'sending' until the first attempt (made at start).
 *
 * The reasons are the domain's; the RPC shows them as its WaitingReason (docs/rpc.md explains
 * each; rpc/messaging-view.ts checks that both lists are the same). Messages read through the
 * RPC get theirs from `of()`, and every change is announced as a `conversation.waiting` event.
 */
import type { MessageRecord, MessageStatus } from './records.ts'

export const WAITING_REASONS = [
  'sending',
  'no-bundle',
  'no-route',
  'peer-offline',
  'peer-unavailable',
  'key-changed',
  'stored',
] as const
export type WaitingReason = (typeof WAITING_REASONS)[number]

export interface Waiting {
  readonly reason: WaitingReason
  /** When the outbox tries again (absent for stored, key-changed, sending). */
  readonly nextAttemptAt?: number
}

/** Statuses of an outgoing message that is not delivered yet. */
const UNDELIVERED: ReadonlySet<MessageStatus> = new Set(['queued', 'sent'])

export class WaitingBook {
  readonly #byPeer = new Map<string, Waiting>()
  /** Bumped on every change of a peer: an attempt can tell whether something recorded a reason meanwhile. */
  readonly #version = new Map<string, number>()
  readonly #onChange: (peer: string, waiting: Waiting | null) => void

  constructor(onChange: (peer: string, waiting: Waiting | null) => void) {
    this.#onChange = onChange
  }

  /** A token for `recordUnlessChanged`: taken before a step that may record its own reason. */
  mark(peer: string): number {
    return this.#version.get(peer) ?? 0
  }

  /** Record why `peer`'s messages wait (and when the next attempt is, if one is planned). */
  record(peer: string, reason: WaitingReason, nextAttemptAt?: number): void {
    const next: Waiting = nextAttemptAt === undefined ? { reason } : { reason, nextAttemptAt }
    const current = this.#byPeer.get(peer)
    this.#version.set(peer, (this.#version.get(peer) ?? 0) + 1)
    if (current?.reason === next.reason && current.nextAttemptAt === next.nextAttemptAt) return
    this.#byPeer.set(peer, next)
    this.#onChange(peer, next)
  }

  /** Record `reason` unless something else recorded one since `mark` (a more precise reason). */
  recordUnlessChanged(peer: string, mark: number, reason: WaitingReason): void {
    if (this.mark(peer) === mark) this.record(peer, reason)
  }

  /** The next attempt is planned at `at`: keep the reason, update the time. */
  schedule(peer: string, at: number): void {
    const current = this.#byPeer.get(peer)
    if (current !== undefined && current.reason !== 'key-changed') this.record(peer, current.reason, at)
  }

  /** Nothing of `peer` waits on the outbox any more (delivered, stored, or emptied). */
  clear(peer: string): void {
    this.#version.set(peer, (this.#version.get(peer) ?? 0) + 1)
    if (this.#byPeer.delete(peer)) this.#onChange(peer, null)
  }

  get(peer: string): Waiting | undefined {
    return this.#byPeer.get(peer)
  }

  /**
   * The `waiting` of one message as the RPC shows it: outgoing and not delivered, or stored in
   * mailboxes; undefined otherwise. `peer` is the contact of its direct conversation.
   */
  of(message: MessageRecord, peer: string): Waiting | undefined {
    if (message.direction !== 'out') return undefined
    if (message.status === 'stored') return { reason: 'stored' }
    if (!UNDELIVERED.has(message.status)) return undefined
    return this.#byPeer.get(peer) ?? { reason: 'sending' }
  }
}

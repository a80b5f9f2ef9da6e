/**
 * Peers refused for a while: a peer that went over its limits is disconnected and its
 * connections are refused (by the connection gater) until its entry expires. Entries expire by
 * the injected clock; memory is bounded (past `maxPeers` the entry closest to expiry goes first:
 * it would have been let back soonest anyway).
 */
import type { Clock } from '../../../core/src/crypto/suite.ts'

export interface DenylistInit {
  clock: Clock
  /** How long a denied peer stays refused, in ms. */
  durationMs: number
  /** Entries kept at most. */
  maxPeers: number
}

export class Denylist {
  readonly #clock: Clock
  readonly #durationMs: number
  readonly #maxPeers: number
  /** peer → ms since the epoch when it is let back; insertion order is expiry order. */
  readonly #until = new Map<string, number>()

  constructor(init: DenylistInit) {
    this.#clock = init.clock
    this.#durationMs = init.durationMs
    this.#maxPeers = init.maxPeers
  }

  /** Refuse `peer` for the configured duration from now (again, if it already was). */
  deny(peer: string): void {
    this.#until.delete(peer) // re-inserted last: every entry gets the same duration
    this.#until.set(peer, this.#clock() + this.#durationMs)
    this.#prune()
    while (this.#until.size > this.#maxPeers) {
      const first = this.#until.keys().next().value
      if (first === undefined) break
      this.#until.delete(first)
    }
  }

  /** Whether `peer` is refused now. */
  has(peer: string): boolean {
    const until = this.#until.get(peer)
    if (until === undefined) return false
    if (until > this.#clock()) return true
    this.#until.delete(peer)
    return false
  }

  /** ms until `peer` is let back (0 when it is not refused). */
  remainingMs(peer: string): number {
    return this.has(peer) ? (this.#until.get(peer) as number) - this.#clock() : 0
  }

  /** Peers refused now. */
  get size(): number {
    this.#prune()
    return this.#until.size
  }

  /** Drop expired entries (they sit at the front: insertion order is expiry order). */
  #prune(): void {
    const now = this.#clock()
    for (const [peer, until] of this.#until) {
      if (until > now) break
      this.#until.delete(peer)
    }
  }
}

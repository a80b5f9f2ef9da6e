/**
 * Outstanding owner-authentication challenges, in memory: a random nonce bound to the remote
 * PeerId that asked for it, valid for CHALLENGE_TTL_MS and consumed by its first use (success or
 * not), so a captured signature can never be replayed. Bounded per peer and in total.
 */
import { toHex } from '../../core/src/bytes.ts'
import type { Clock, Random } from '../../core/src/crypto/suite.ts'
import { CHALLENGE_NONCE_BYTES, CHALLENGE_TTL_MS } from '../../core/src/mailbox/constants.ts'
import { MAX_CHALLENGES_PER_PEER, MAX_PENDING_CHALLENGES } from './constants.ts'

interface PendingChallenge {
  readonly peer: string
  readonly expiresAt: number
}

export interface ChallengeStoreInit {
  clock: Clock
  random: Random
  ttlMs?: number
  maxPerPeer?: number
  maxPending?: number
}

export class ChallengeStore {
  readonly #clock: Clock
  readonly #random: Random
  readonly #ttlMs: number
  readonly #maxPerPeer: number
  readonly #maxPending: number
  /** nonce hex → challenge; Map order is issue order, so the oldest are evicted first. */
  readonly #pending = new Map<string, PendingChallenge>()
  readonly #perPeer = new Map<string, number>()

  constructor(init: ChallengeStoreInit) {
    this.#clock = init.clock
    this.#random = init.random
    this.#ttlMs = init.ttlMs ?? CHALLENGE_TTL_MS
    this.#maxPerPeer = init.maxPerPeer ?? MAX_CHALLENGES_PER_PEER
    this.#maxPending = init.maxPending ?? MAX_PENDING_CHALLENGES
  }

  /** A fresh nonce for `peer` (PeerId string) or undefined when that peer has too many pending. */
  issue(peer: string): { nonce: Uint8Array; expiresAt: number } | undefined {
    this.#prune()
    if ((this.#perPeer.get(peer) ?? 0) >= this.#maxPerPeer) return undefined
    while (this.#pending.size >= this.#maxPending) {
      const oldest = this.#pending.keys().next().value
      if (oldest === undefined) break
      this.#remove(oldest)
    }
    const nonce = this.#random(CHALLENGE_NONCE_BYTES)
    const expiresAt = this.#clock() + this.#ttlMs
    this.#pending.set(toHex(nonce), { peer, expiresAt })
    this.#perPeer.set(peer, (this.#perPeer.get(peer) ?? 0) + 1)
    return { nonce, expiresAt }
  }

  /** Consume `nonce`: true only if `peer` was issued it and it has not expired. Always single use. */
  consume(peer: string, nonce: Uint8Array): boolean {
    const key = toHex(nonce)
    const pending = this.#pending.get(key)
    if (pending === undefined) return false
    this.#remove(key)
    return pending.peer === peer && this.#clock() <= pending.expiresAt
  }

  get size(): number {
    return this.#pending.size
  }

  #remove(key: string): void {
    const pending = this.#pending.get(key)
    if (pending === undefined) return
    this.#pending.delete(key)
    const count = (this.#perPeer.get(pending.peer) ?? 1) - 1
    if (count <= 0) this.#perPeer.delete(pending.peer)
    else this.#perPeer.set(pending.peer, count)
  }

  #prune(): void {
    const now = this.#clock()
    for (const [key, pending] of this.#pending) {
      // issue order ≈ expiry order (fixed TTL), so stop at the first live one
      if (pending.expiresAt >= now) break
      this.#remove(key)
    }
  }
}

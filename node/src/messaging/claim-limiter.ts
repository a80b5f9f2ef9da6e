/**
 * Who may claim this device's one-time prekeys over /wren/prekey, and how often: a token bucket
 * per requesting peer and one for everybody. A claim over either limit is answered with no
 * one-time prekey; the claimer then starts its session from the signed prekey and the signed
 * last-resort ML-KEM prekey of the bundle, as PQXDH allows. The limits are documented here for
 * docs/rpc.md and the README to cite.
 */

const MINUTE_MS = 60_000

/** Claims one device may make at once: one per session it starts, plus one lost answer. */
export const PREKEY_CLAIM_PEER_BURST = 2
/** Then one more claim per device every 10 min: sessions are long-lived, resets are rare. */
export const PREKEY_CLAIM_PEER_INTERVAL_MS = 10 * MINUTE_MS
/** Claims from all devices together at once: a burst of new contacts (the pool's size). */
export const PREKEY_CLAIM_TOTAL_BURST = 20
/** Then one claim every 30 s from anyone (≤ 120 an hour): what a flood can take at most. */
export const PREKEY_CLAIM_TOTAL_INTERVAL_MS = MINUTE_MS / 2
/** Devices whose buckets are kept: bounds memory; the least recently seen are forgotten first. */
export const MAX_PREKEY_CLAIM_PEERS = 1024

interface Bucket {
  tokens: number
  at: number
}

function refill(bucket: Bucket, now: number, burst: number, intervalMs: number): void {
  const elapsed = Math.max(0, now - bucket.at)
  const gained = Math.floor(elapsed / intervalMs)
  if (gained === 0) return
  bucket.tokens = Math.min(burst, bucket.tokens + gained)
  bucket.at = bucket.tokens === burst ? now : bucket.at + gained * intervalMs
}

export class ClaimLimiter {
  readonly #now: () => number
  readonly #peers = new Map<string, Bucket>()
  readonly #total: Bucket

  constructor(now: () => number) {
    this.#now = now
    this.#total = { tokens: PREKEY_CLAIM_TOTAL_BURST, at: now() }
  }

  /** Take a claim for `peer` if both its bucket and the total one allow it. */
  allow(peer: string): boolean {
    const now = this.#now()
    let bucket = this.#peers.get(peer)
    if (bucket === undefined) {
      bucket = { tokens: PREKEY_CLAIM_PEER_BURST, at: now }
      if (this.#peers.size >= MAX_PREKEY_CLAIM_PEERS) {
        const oldest = this.#peers.keys().next().value
        if (oldest !== undefined) this.#peers.delete(oldest)
      }
    } else {
      this.#peers.delete(peer) // re-inserted below: Map order is recency
    }
    this.#peers.set(peer, bucket)
    refill(bucket, now, PREKEY_CLAIM_PEER_BURST, PREKEY_CLAIM_PEER_INTERVAL_MS)
    refill(this.#total, now, PREKEY_CLAIM_TOTAL_BURST, PREKEY_CLAIM_TOTAL_INTERVAL_MS)
    if (bucket.tokens < 1 || this.#total.tokens < 1) return false
    bucket.tokens--
    this.#total.tokens--
    return true
  }
}

/**
 * Token buckets keyed by a string (a remote PeerId, an inbox): each peer may burst `burst` requests and then
 * `ratePerSecond` per second. One flooding peer empties only its own bucket. Memory is bounded:
 * past `maxKeys` the least recently used bucket is forgotten (it would have been refilled anyway).
 */
import type { Clock } from './crypto/suite.ts'

/**
 * Buckets kept by default: bounds memory under a crowd of identities (a forgotten bucket is
 * simply full again, which is what it would be after a pause anyway).
 */
export const DEFAULT_MAX_BUCKETS = 10_000

export interface RateLimiterInit {
  /** Bucket capacity (requests). */
  burst: number
  /** Refill rate (requests per second); 0 means never refill. */
  ratePerSecond: number
  clock: Clock
  maxKeys?: number
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number }

interface Bucket {
  tokens: number
  updatedAt: number
}

/** Longest retry hint in ms (for rate 0 buckets): a day, i.e. "not soon". */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000

export class RateLimiter {
  readonly #burst: number
  readonly #ratePerMs: number
  readonly #clock: Clock
  readonly #maxKeys: number
  readonly #buckets = new Map<string, Bucket>()

  constructor(init: RateLimiterInit) {
    this.#burst = init.burst
    this.#ratePerMs = init.ratePerSecond / 1000
    this.#clock = init.clock
    this.#maxKeys = init.maxKeys ?? DEFAULT_MAX_BUCKETS
  }

  /** Take `tokens` tokens for `key` if all are available (none are taken otherwise). */
  take(key: string, requested = 1): RateDecision {
    // never more than a full bucket: a request bigger than the burst would otherwise never pass
    const tokens = Math.min(requested, this.#burst)
    const now = this.#clock()
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, updatedAt: now }
    } else {
      this.#buckets.delete(key) // re-inserted below: Map order is recency order
      const elapsed = Math.max(0, now - bucket.updatedAt)
      bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed * this.#ratePerMs)
      bucket.updatedAt = now
    }
    this.#buckets.set(key, bucket)
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value
      if (oldest !== undefined) this.#buckets.delete(oldest)
    }
    if (bucket.tokens >= tokens) {
      bucket.tokens -= tokens
      return { allowed: true }
    }
    const retryAfterMs =
      this.#ratePerMs > 0 ? Math.ceil((tokens - bucket.tokens) / this.#ratePerMs) : MAX_RETRY_AFTER_MS
    return { allowed: false, retryAfterMs: Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) }
  }

  /** Tokens `key` holds now (a full bucket for a key never seen); does not take any. */
  available(key: string): number {
    const bucket = this.#buckets.get(key)
    if (bucket === undefined) return this.#burst
    const elapsed = Math.max(0, this.#clock() - bucket.updatedAt)
    return Math.min(this.#burst, bucket.tokens + elapsed * this.#ratePerMs)
  }

  /** Forget `key`'s bucket (it is full again). */
  forget(key: string): void {
    this.#buckets.delete(key)
  }

  get size(): number {
    return this.#buckets.size
  }
}

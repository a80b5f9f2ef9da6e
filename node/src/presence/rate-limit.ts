/**
 * A token bucket per sender: `burst` frames at once, then one per `refillMs`. Frames over it are
 * refused before any decryption (a flood costs the receiver a map lookup per frame).
 */
export class RateLimiter {
  readonly #burst: number
  readonly #refillMs: number
  readonly #maxEntries: number
  readonly #now: () => number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(init: { burst: number; refillMs: number; maxEntries: number; now: () => number }) {
    this.#burst = init.burst
    this.#refillMs = init.refillMs
    this.#maxEntries = init.maxEntries
    this.#now = init.now
  }

  /** Take one token for `sender`; false when its bucket is empty. */
  allow(sender: string): boolean {
    const now = this.#now()
    const bucket = this.#buckets.get(sender) ?? { tokens: this.#burst, at: now }
    const tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) / this.#refillMs)
    this.#buckets.delete(sender)
    if (this.#buckets.size >= this.#maxEntries)
      this.#buckets.delete(this.#buckets.keys().next().value as string)
    if (tokens < 1) {
      this.#buckets.set(sender, { tokens, at: now })
      return false
    }
    this.#buckets.set(sender, { tokens: tokens - 1, at: now })
    return true
  }
}

/** A token bucket with an injected clock: `capacity` at once, then `refillPerSecond`. */
import type { Clock } from '../crypto/suite.ts'

export class TokenBucket {
  readonly #capacity: number
  readonly #refillPerMs: number
  readonly #clock: Clock
  #tokens: number
  #at: number

  constructor(init: { capacity: number; refillPerSecond: number; clock: Clock }) {
    this.#capacity = init.capacity
    this.#refillPerMs = init.refillPerSecond / 1000
    this.#clock = init.clock
    this.#tokens = init.capacity
    this.#at = init.clock()
  }

  /** Take one token; false (and nothing taken) when the bucket is empty. */
  take(): boolean {
    const now = this.#clock()
    this.#tokens = Math.min(this.#capacity, this.#tokens + Math.max(0, now - this.#at) * this.#refillPerMs)
    this.#at = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** Milliseconds until the next token (0 when one is there). */
  waitMs(): number {
    const now = this.#clock()
    const tokens = Math.min(this.#capacity, this.#tokens + Math.max(0, now - this.#at) * this.#refillPerMs)
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#refillPerMs)
  }
}

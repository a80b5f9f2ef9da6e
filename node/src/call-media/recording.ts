/**
 * The received audio of a call, placed by RTP timestamp (so a lost or late packet leaves its
 * 20 ms of silence where it belongs instead of shifting everything after it), capped in length.
 */
import { MEDIA_RATE_HZ } from './wav.ts'

/** Longest recording, in seconds: 10 minutes is 57.6 MB of 16-bit samples. */
export const MAX_RECORD_SECONDS = 600
const TIMESTAMP_SPACE = 0x1_0000_0000
const INT16_MAX = 32_767

export class Recording {
  readonly #limit: number
  #samples: Int16Array
  #length = 0
  #first: number | null = null

  /** `seconds`: how much to keep at most (≤ MAX_RECORD_SECONDS). */
  constructor(seconds: number) {
    this.#limit = Math.round(Math.min(seconds, MAX_RECORD_SECONDS) * MEDIA_RATE_HZ)
    this.#samples = new Int16Array(Math.min(this.#limit, MEDIA_RATE_HZ))
  }

  /** Decoded samples of the packet with RTP timestamp `timestamp` (48 kHz clock). */
  add(samples: Float32Array, timestamp: number): void {
    if (this.#first === null) this.#first = timestamp
    const at = (timestamp - this.#first + TIMESTAMP_SPACE) % TIMESTAMP_SPACE
    // a packet from before the first one received (reordered) wraps far ahead: dropped
    const end = Math.min(at + samples.length, this.#limit)
    if (at >= end) return
    this.#grow(end)
    for (let i = at; i < end; i++)
      this.#samples[i] = Math.round(Math.max(-1, Math.min(1, samples[i - at]!)) * INT16_MAX)
    if (end > this.#length) this.#length = end
  }

  #grow(end: number): void {
    if (end <= this.#samples.length) return
    let size = this.#samples.length
    while (size < end) size *= 2
    const next = new Int16Array(Math.min(size, this.#limit))
    next.set(this.#samples.subarray(0, this.#length))
    this.#samples = next
  }

  get seconds(): number {
    return this.#length / MEDIA_RATE_HZ
  }

  samples(): Int16Array {
    return this.#samples.slice(0, this.#length)
  }
}

/**
 * The CLI's receive side between the opened Opus packets and the recording: a small reorder
 * buffer and loss concealment (in the page, Chromium's jitter buffer does both).
 *
 * Packets are held until REORDER_DEPTH_PACKETS of them wait (a late one within that many slots
 * still takes its place), then decoded in RTP-timestamp order. A slot whose packet never came —
 * lost, or later than the depth — is filled with the decoder's loss concealment (Opus PLC: the
 * last frames' pitch and spectrum carried on and faded out) instead of silence, so a lost
 * 20 ms frame leaves no gap and no click. A packet older than what was already played is
 * dropped: decoding it would rewind the decoder's state.
 *
 * libopus conceals in chunks (opusscript asks it for 60 ms at a time), which may be more than
 * the gap: what is left over of a chunk is the decoder's continuation of the concealment, and the
 * first samples of the next decoded frame are cross-faded from it, so the seam does not click:
 * the first frame decoded after a concealment starts where the real audio is, which can be far
 * from where the concealment got to (measured: a step of 0.08 on a two-tone signal of amplitude
 * 0.4 whose own steps are ≤ 0.014). Where there is no continuation (the gap used whole chunks,
 * or libopus's next chunk, which fades by steps, follows the last) the step is ramped away.
 *
 * No clock: packets in, samples out, in order; `flush` plays out what is held (end of a call).
 */

/** The decoder this needs: one frame per packet, and concealment for what follows the last. */
export interface FrameDecoder {
  /** The samples of one packet (its duration is the number of samples, at 48 kHz). */
  decode(packet: Uint8Array): Float32Array
  /** The decoder's concealment of the frames after the last one decoded (its state moves on). */
  conceal(): Float32Array
}

/**
 * Packets held for reordering: 3 (60 ms of 20 ms frames), so a packet overtaken by up to three
 * others still takes its place. The CLI records rather than plays live, so the depth delays
 * nothing anyone hears; it only holds three packets.
 */
export const REORDER_DEPTH_PACKETS = 3
/**
 * Longest run concealed per gap, in samples at 48 kHz: 120 ms. libopus's concealment of a
 * 440 Hz tone (rms 0.36) was measured at rms 0.45, 0.36, 0.29 in its first three 20 ms frames,
 * then 0.08, 0.05, 0.05, then a 0.015 noise floor: past 120 ms it is faded out, and the rest of a
 * longer gap stays silent.
 */
export const MAX_CONCEAL_SAMPLES = 5_760
/** Cross-fade from the concealment into the next decoded frame, and the fade at the cap: 2.5 ms. */
export const SEAM_SAMPLES = 120
const TIMESTAMP_SPACE = 0x1_0000_0000
const HALF_SPACE = TIMESTAMP_SPACE / 2

export interface PlayoutCounts {
  /** Packets decoded and played. */
  played: number
  /** Packets dropped: older than what was already played, or a second copy. */
  late: number
  /** Packets the decoder refused (treated as lost). */
  undecodable: number
  /** Samples filled with concealment. */
  concealedSamples: number
  /** Samples of gaps left silent (past MAX_CONCEAL_SAMPLES). */
  silentSamples: number
}

/** Samples out, with the RTP timestamp (48 kHz clock) of their first one. */
export type PlayoutSink = (samples: Float32Array, timestamp: number) => void

export class Playout {
  readonly #decoder: FrameDecoder
  readonly #sink: PlayoutSink
  readonly #depth: number
  /** Waiting packets by RTP timestamp. */
  readonly #held = new Map<number, Uint8Array>()
  /** Timestamp of the next sample to play; null before the first packet. */
  #next: number | null = null
  /** The unused rest of the last concealment chunk (the decoder's state is past it). */
  #leftover: Float32Array | null = null
  /** What the last gap was filled with, until the next frame is decoded and joined to it. */
  #afterGap: 'concealment' | 'silence' | null = null
  /** The last two samples played (the seams are joined to their continuation). */
  #tail: [number, number] = [0, 0]
  readonly counts: PlayoutCounts = {
    played: 0,
    late: 0,
    undecodable: 0,
    concealedSamples: 0,
    silentSamples: 0,
  }

  constructor(decoder: FrameDecoder, sink: PlayoutSink, depth = REORDER_DEPTH_PACKETS) {
    this.#decoder = decoder
    this.#sink = sink
    this.#depth = depth
  }

  /** One opened packet with its RTP timestamp, in the order it arrived. */
  push(packet: Uint8Array, timestamp: number): void {
    if (this.#next === null) this.#next = timestamp
    if (this.#ahead(timestamp) >= HALF_SPACE || this.#held.has(timestamp)) {
      this.counts.late++
      return
    }
    this.#held.set(timestamp, packet)
    while (this.#held.size > this.#depth) this.#playNext()
  }

  /** Play out everything held (the call ended), concealing the gaps between. */
  flush(): void {
    while (this.#held.size > 0) this.#playNext()
  }

  /** Samples from the next one to play to `timestamp` (modulo the RTP clock: past is ≥ half). */
  #ahead(timestamp: number): number {
    return (timestamp - (this.#next as number) + TIMESTAMP_SPACE) % TIMESTAMP_SPACE
  }

  /** Play the earliest held packet, concealing the gap before it. */
  #playNext(): void {
    let timestamp = -1
    let ahead = TIMESTAMP_SPACE
    for (const t of this.#held.keys()) {
      const a = this.#ahead(t)
      if (a >= HALF_SPACE) {
        // overtaken by a longer packet played before it
        this.#held.delete(t)
        this.counts.late++
      } else if (a < ahead) {
        timestamp = t
        ahead = a
      }
    }
    if (timestamp < 0) return
    const packet = this.#held.get(timestamp) as Uint8Array
    this.#held.delete(timestamp)
    if (ahead > 0) {
      this.#conceal(this.#next as number, ahead)
      this.#next = timestamp
    }
    let samples: Float32Array
    try {
      samples = this.#decoder.decode(packet)
    } catch {
      // a packet the decoder refuses (the peer holds the call keys, so it can seal anything):
      // counted, and its time concealed with the gap before the next one
      this.counts.undecodable++
      return
    }
    this.#seam(samples)
    this.#emit(samples, timestamp)
    this.counts.played++
    this.#next = (timestamp + samples.length) % TIMESTAMP_SPACE
  }

  /** Fill `gap` samples from `from` with concealment (up to the cap; the rest stays silent). */
  #conceal(from: number, gap: number): void {
    const length = Math.min(gap, MAX_CONCEAL_SAMPLES)
    const out = new Float32Array(length)
    let filled = 0
    while (filled < length) {
      const fresh = this.#leftover === null
      const chunk = this.#leftover ?? this.#decoder.conceal()
      this.#leftover = null
      if (chunk.length === 0) break
      const take = Math.min(chunk.length, length - filled)
      out.set(chunk.subarray(0, take), filled)
      // libopus's next chunk does not start where its last one ended (it fades by steps)
      if (fresh && filled >= 2) joinFrom(out, filled, out[filled - 2] as number, out[filled - 1] as number)
      filled += take
      if (take < chunk.length) this.#leftover = chunk.slice(take)
    }
    this.#afterGap = length < gap ? 'silence' : 'concealment'
    if (length < gap) {
      // cut at the cap: fade out, and the decoder starts afresh after the silence
      fade(out, Math.max(0, length - SEAM_SAMPLES), length, 1, 0)
      this.#leftover = null
    }
    this.#emit(out, from)
    this.counts.concealedSamples += length
    this.counts.silentSamples += gap - length
  }

  /**
   * The start of the first frame decoded after a gap: cross-faded from the concealment the
   * decoder ran past when there is some, else joined to what was played before it (the
   * concealment, or the silence past the cap).
   */
  #seam(samples: Float32Array): void {
    const leftover = this.#leftover
    const after = this.#afterGap
    this.#leftover = null
    this.#afterGap = null
    if (leftover !== null) {
      const n = Math.min(SEAM_SAMPLES, leftover.length, samples.length)
      for (let i = 0; i < n; i++) {
        const w = (i + 1) / (n + 1)
        samples[i] = (1 - w) * (leftover[i] as number) + w * (samples[i] as number)
      }
    } else if (after === 'concealment') joinFrom(samples, 0, this.#tail[0], this.#tail[1])
    else if (after === 'silence') joinFrom(samples, 0, 0, 0)
  }

  #emit(samples: Float32Array, timestamp: number): void {
    if (samples.length >= 2) this.#tail = [samples.at(-2) as number, samples.at(-1) as number]
    this.#sink(samples, timestamp)
  }
}

/**
 * Remove the step where `out[at..]` starts after the samples `a`, `b`: the difference from the
 * straight continuation of `a`, `b` is added to out[at..] and ramped away over SEAM_SAMPLES.
 */
function joinFrom(out: Float32Array, at: number, a: number, b: number): void {
  const step = b + (b - a) - (out[at] as number)
  const n = Math.min(SEAM_SAMPLES, out.length - at)
  for (let i = 0; i < n; i++) out[at + i] = (out[at + i] as number) + (step * (n - i)) / n
}

/** Scale out[from..to) by a linear ramp from `a` to `b`. */
function fade(out: Float32Array, from: number, to: number, a: number, b: number): void {
  const n = to - from
  for (let i = 0; i < n; i++) out[from + i] = (out[from + i] as number) * (a + ((b - a) * (i + 1)) / n)
}

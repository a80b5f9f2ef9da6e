/**
 * When a chunk written on one direction of a simulated link arrives at the other end. Pure: the
 * caller passes the send time and a random source; nothing here reads a clock or a timer.
 *
 * The link behaves like a reliable ordered stream (TCP) over a lossy, jittery path:
 * - every chunk takes `latencyMs` plus a uniform jitter sample in [−jitterMs, +jitterMs]
 *   (never below 0), the same shape as netem's `delay L J`;
 * - a chunk is lost with probability `loss`; a lost chunk arrives only after a retransmission
 *   timeout (RTO), doubled at each further loss of the same chunk, as TCP backs off;
 * - arrivals on one direction never go backwards: a chunk that would overtake an earlier one
 *   waits for it (head-of-line blocking), so order is preserved and a retransmission holds
 *   every later chunk behind it;
 * - chunks do not wait for each other otherwise: throughput is not limited by latency, and no
 *   bandwidth limit is modelled.
 */

export interface LinkConditions {
  /** One-way base delay, ms. */
  readonly latencyMs: number
  /** Half-width of the uniform jitter added to each chunk, ms. */
  readonly jitterMs: number
  /** Probability in [0, 1] that a chunk (or one of its retransmissions) is lost. */
  readonly loss: number
}

/** Conditions on the direction from one peer to another (peer ids as strings). */
export type LinkModel = (from: string, to: string) => LinkConditions

export const PERFECT_LINK: LinkConditions = Object.freeze({ latencyMs: 0, jitterMs: 0, loss: 0 })

/** Floor of the retransmission timeout: Linux TCP's TCP_RTO_MIN. */
export const RETRANSMIT_MIN_MS = 200
/** Retransmission timeout relative to the one-way latency: one round trip plus as much margin. */
export const RETRANSMIT_LATENCY_FACTOR = 2
/**
 * Losses of one chunk in a row before it is delivered anyway: bounds a chunk's delay (at loss 1
 * a real TCP connection would give up; here the run must go on) to RTO × (2^6 − 1).
 */
export const MAX_RETRANSMISSIONS = 6

/** The first retransmission timeout for a link of this one-way latency. */
export function retransmitTimeoutMs(latencyMs: number): number {
  return Math.max(RETRANSMIT_MIN_MS, RETRANSMIT_LATENCY_FACTOR * latencyMs)
}

export interface Arrival {
  /** Arrival time, on the same clock as the send time. */
  readonly at: number
  /** Times the chunk was lost before it got through. */
  readonly retransmissions: number
}

/** The delivery schedule of one direction of one connection. */
export class DirectionSchedule {
  readonly #random: () => number
  #last = Number.NEGATIVE_INFINITY

  /** `random` returns floats in [0, 1); give each direction its own seeded stream. */
  constructor(random: () => number) {
    this.#random = random
  }

  /** The time the last scheduled chunk arrives (−∞ before the first). */
  get lastArrival(): number {
    return this.#last
  }

  /** Schedule one chunk sent at `sentAt` under `link`. */
  arrival(sentAt: number, link: LinkConditions): Arrival {
    const jitter = link.jitterMs > 0 ? (this.#random() * 2 - 1) * link.jitterMs : 0
    let delay = Math.max(0, link.latencyMs + jitter)
    let retransmissions = 0
    if (link.loss > 0) {
      let rto = retransmitTimeoutMs(link.latencyMs)
      while (retransmissions < MAX_RETRANSMISSIONS && this.#random() < link.loss) {
        delay += rto
        rto *= 2
        retransmissions++
      }
    }
    const at = Math.max(sentAt + delay, this.#last)
    this.#last = at
    return { at, retransmissions }
  }
}

/**
 * The in-call connection quality (good / fair / poor) from two getStats() readings: packet loss
 * over the interval between them, the receive jitter and the round-trip time now. Pure: the call
 * store feeds it the readings it polls.
 */

export type CallQuality = 'good' | 'fair' | 'poor'

/** The counters of one getStats() reading that the rule uses (cumulative, as getStats gives them). */
export interface QualityReading {
  /** inbound-rtp audio packetsReceived / packetsLost, summed over the call's receive streams. */
  readonly packetsReceived: number
  readonly packetsLost: number
  /** inbound-rtp jitter, in ms (RFC 3550 interarrival jitter). */
  readonly jitterMs: number | null
  /** currentRoundTripTime of the selected candidate pair, in ms. */
  readonly rttMs: number | null
}

/** Loss in an interval, as a fraction: Opus with in-band FEC and Chromium's concealment is
 * near-transparent under 2 % and clearly degraded from 8 %. */
export const FAIR_LOSS = 0.02
export const POOR_LOSS = 0.08
/** Jitter, in ms: a 20 ms frame clock absorbs 30 ms; from 75 ms the jitter buffer grows audibly. */
export const FAIR_JITTER_MS = 30
export const POOR_JITTER_MS = 75
/** Round-trip time, in ms: ITU-T G.114 keeps one-way delay under 150 ms (300 ms round trip) for
 * good conversation and finds 400 ms one way (800 ms round trip) unacceptable. */
export const FAIR_RTT_MS = 300
export const POOR_RTT_MS = 800
/** Fewer packets than this in an interval say too little about loss (2 s of 20 ms frames is 100). */
export const MIN_INTERVAL_PACKETS = 10

/** The packet loss between two readings, as a fraction, or null when too few packets came. */
export function intervalLoss(previous: QualityReading | null, now: QualityReading): number | null {
  // counters restart (or packetsLost goes negative on duplicates): count from zero then
  const received = Math.max(0, now.packetsReceived - (previous?.packetsReceived ?? 0))
  const lost = Math.max(0, now.packetsLost - (previous?.packetsLost ?? 0))
  const expected = received + lost
  return expected < MIN_INTERVAL_PACKETS ? null : lost / expected
}

/** The quality now, or null while nothing is known yet (no packets, no round trip). */
export function callQuality(previous: QualityReading | null, now: QualityReading): CallQuality | null {
  const loss = intervalLoss(previous, now)
  const grades: CallQuality[] = []
  if (loss !== null) grades.push(grade(loss, FAIR_LOSS, POOR_LOSS))
  if (now.jitterMs !== null && loss !== null) grades.push(grade(now.jitterMs, FAIR_JITTER_MS, POOR_JITTER_MS))
  if (now.rttMs !== null) grades.push(grade(now.rttMs, FAIR_RTT_MS, POOR_RTT_MS))
  // nothing received at all in a full interval while a round trip is known: audio is not arriving
  if (
    loss === null &&
    previous !== null &&
    now.rttMs !== null &&
    now.packetsReceived === previous.packetsReceived
  )
    return 'poor'
  if (grades.length === 0) return null
  if (grades.includes('poor')) return 'poor'
  return grades.includes('fair') ? 'fair' : 'good'
}

function grade(value: number, fair: number, poor: number): CallQuality {
  if (value >= poor) return 'poor'
  return value >= fair ? 'fair' : 'good'
}

export function qualityWords(quality: CallQuality): string {
  switch (quality) {
    case 'good':
      return 'good connection'
    case 'fair':
      return 'fair connection'
    case 'poor':
      return 'poor connection'
  }
}

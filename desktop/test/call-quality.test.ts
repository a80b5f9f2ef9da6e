/** The in-call connection quality rule (desktop/src/logic/call-quality.ts): loss, jitter, round trip. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  callQuality,
  FAIR_JITTER_MS,
  FAIR_LOSS,
  FAIR_RTT_MS,
  intervalLoss,
  MIN_INTERVAL_PACKETS,
  POOR_JITTER_MS,
  POOR_LOSS,
  POOR_RTT_MS,
  type QualityReading,
  qualityWords,
} from '../src/logic/call-quality.ts'

const reading = (r: Partial<QualityReading>): QualityReading => ({
  packetsReceived: 0,
  packetsLost: 0,
  jitterMs: null,
  rttMs: null,
  ...r,
})
/** 100 packets in the interval after `base`, `lost` of them lost. */
const after = (base: QualityReading, lost: number, rest: Partial<QualityReading> = {}) =>
  reading({
    packetsReceived: base.packetsReceived + 100 - lost,
    packetsLost: base.packetsLost + lost,
    jitterMs: 5,
    rttMs: 20,
    ...rest,
  })

describe('call quality', () => {
  const base = reading({ packetsReceived: 5_000, packetsLost: 40, jitterMs: 5, rttMs: 20 })

  test('loss counts over the interval only, not since the call began', () => {
    assert.equal(intervalLoss(base, after(base, 0)), 0)
    assert.equal(intervalLoss(base, after(base, 5)), 0.05)
    // 40 lost earlier, none now: good, although the cumulative loss is not zero
    assert.equal(callQuality(base, after(base, 0)), 'good')
  })

  test('the loss thresholds: below fair is good, from fair to poor is fair, from poor is poor', () => {
    assert.equal(callQuality(base, after(base, FAIR_LOSS * 100 - 1)), 'good')
    assert.equal(callQuality(base, after(base, FAIR_LOSS * 100)), 'fair')
    assert.equal(callQuality(base, after(base, POOR_LOSS * 100 - 1)), 'fair')
    assert.equal(callQuality(base, after(base, POOR_LOSS * 100)), 'poor')
  })

  test('jitter and round trip grade too; the worst of the three wins', () => {
    assert.equal(callQuality(base, after(base, 0, { jitterMs: FAIR_JITTER_MS - 1 })), 'good')
    assert.equal(callQuality(base, after(base, 0, { jitterMs: FAIR_JITTER_MS })), 'fair')
    assert.equal(callQuality(base, after(base, 0, { jitterMs: POOR_JITTER_MS })), 'poor')
    assert.equal(callQuality(base, after(base, 0, { rttMs: FAIR_RTT_MS })), 'fair')
    assert.equal(callQuality(base, after(base, 0, { rttMs: POOR_RTT_MS })), 'poor')
    assert.equal(callQuality(base, after(base, POOR_LOSS * 100, { rttMs: 10, jitterMs: 1 })), 'poor')
    assert.equal(callQuality(base, after(base, FAIR_LOSS * 100, { jitterMs: POOR_JITTER_MS })), 'poor')
  })

  test('too few packets say nothing about loss; nothing known at all is null', () => {
    const few = reading({ packetsReceived: MIN_INTERVAL_PACKETS - 2, packetsLost: 1 })
    assert.equal(intervalLoss(null, few), null)
    assert.equal(callQuality(null, few), null)
    assert.equal(callQuality(null, reading({})), null)
    // the first reading of a call: since the start, round trip known
    assert.equal(callQuality(null, reading({ packetsReceived: 50, rttMs: 12, jitterMs: 3 })), 'good')
    // with a round trip only: it grades alone
    assert.equal(callQuality(null, reading({ rttMs: FAIR_RTT_MS })), 'fair')
  })

  test('no audio arriving for a whole interval while the path is up is poor', () => {
    assert.equal(callQuality(base, { ...base, rttMs: 20 }), 'poor')
  })

  test('counters that restart (a new receive stream) do not go negative', () => {
    const restarted = reading({ packetsReceived: 60, packetsLost: 0, jitterMs: 4, rttMs: 20 })
    assert.equal(intervalLoss(base, restarted), null)
    assert.notEqual(callQuality(base, restarted), null)
  })

  test('words', () => {
    assert.equal(qualityWords('good'), 'good connection')
    assert.equal(qualityWords('fair'), 'fair connection')
    assert.equal(qualityWords('poor'), 'poor connection')
  })
})

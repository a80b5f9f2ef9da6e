/**
 * The disappearing-messages timer's wire form (core/src/conversation/disappearing.ts): round
 * trips, the allowed values (off, 5 s .. 4 weeks) on both sides of the codec, a size cap, other
 * versions refused, and fuzzed bytes that only ever decode or fail with a typed error.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import {
  decodeTimerChange,
  describeTimer,
  encodeTimerChange,
  isTimerSeconds,
  MAX_TIMER_CHANGE_BYTES,
  TIMER_MAX_SECONDS,
  TIMER_MIN_SECONDS,
  TIMER_OFF,
} from '../src/conversation/disappearing.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../src/errors.ts'
import { TimerChange as TimerChangeProto } from '../src/proto/timer.ts'

const SET_AT = 1_760_000_000_000

describe('disappearing-messages timer change', () => {
  test('off, the shortest and the longest timers round-trip', () => {
    for (const seconds of [TIMER_OFF, TIMER_MIN_SECONDS, 3600, TIMER_MAX_SECONDS]) {
      const bytes = encodeTimerChange({ seconds, setAt: SET_AT })
      assert.ok(bytes.length <= MAX_TIMER_CHANGE_BYTES)
      assert.deepEqual(decodeTimerChange(bytes), { seconds, setAt: SET_AT })
    }
  })

  test('values outside off and 5 s .. 4 weeks are refused when sent and when received', () => {
    for (const seconds of [1, TIMER_MIN_SECONDS - 1, TIMER_MAX_SECONDS + 1, 2.5, -5]) {
      assert.equal(isTimerSeconds(seconds), false)
      assert.throws(() => encodeTimerChange({ seconds, setAt: SET_AT }), InvalidKeyError)
    }
    for (const seconds of [1, TIMER_MIN_SECONDS - 1, TIMER_MAX_SECONDS + 1]) {
      const bytes = TimerChangeProto.encode({ version: 1, seconds, setAt: SET_AT })
      assert.throws(() => decodeTimerChange(bytes), DecodeError)
    }
  })

  test('another wire version and oversized input are refused', () => {
    assert.throws(
      () => decodeTimerChange(TimerChangeProto.encode({ version: 2, seconds: 5, setAt: SET_AT })),
      UnsupportedVersionError,
    )
    assert.throws(() => decodeTimerChange(new Uint8Array(MAX_TIMER_CHANGE_BYTES + 1)), DecodeError)
  })

  test('its line in the chat names the timer in the largest whole unit', () => {
    assert.equal(describeTimer(5), '5 seconds')
    assert.equal(describeTimer(60), '1 minute')
    assert.equal(describeTimer(3 * 3600), '3 hours')
    assert.equal(describeTimer(TIMER_MAX_SECONDS), '4 weeks')
    assert.equal(describeTimer(TIMER_OFF), 'off')
  })

  test('fuzzed bytes decode to an allowed timer or fail with a typed error', () => {
    const { rejected } = fuzzDecoder(
      (bytes) => {
        const change = decodeTimerChange(bytes)
        assert.ok(isTimerSeconds(change.seconds))
        return change
      },
      {
        seed: 'timer-change',
        runs: 2000,
        maxLength: 2 * MAX_TIMER_CHANGE_BYTES,
        samples: [
          encodeTimerChange({ seconds: 5, setAt: SET_AT }),
          encodeTimerChange({ seconds: 0, setAt: 1 }),
        ],
      },
    )
    assert.ok(rejected > 0)
  })
})

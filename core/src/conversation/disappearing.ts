/**
 * Disappearing messages (issue 19): the timer's bounds and the wire form of a change of a
 * conversation's timer (TimerChange in core/src/proto/timer.proto), sent by either side of a
 * direct chat inside the pairwise session. decodeTimerChange is the edge parser: size cap first,
 * the version must be ours, the seconds one of the allowed values.
 */
import { checkDecodedUint, decodeCapped } from '../checks.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../errors.ts'
import { TimerChange as TimerChangeProto } from '../proto/timer.ts'

const MINUTE_S = 60
const DAY_S = 24 * 60 * MINUTE_S

/** Wire version of TimerChange; others are rejected. */
export const TIMER_WIRE_VERSION = 1
/** The timer off: messages stay. */
export const TIMER_OFF = 0
/** Shortest timer: 5 s (what Signal offers; short enough for the tests to watch it work). */
export const TIMER_MIN_SECONDS = 5
/** Longest timer: 4 weeks (issue 19); beyond that, off says what is meant. */
export const TIMER_MAX_SECONDS = 28 * DAY_S
/** An encoded TimerChange: three varints and their tags, with room to spare. */
export const MAX_TIMER_CHANGE_BYTES = 64

export interface TimerChange {
  /** The new timer in seconds, TIMER_OFF or TIMER_MIN_SECONDS..TIMER_MAX_SECONDS. */
  readonly seconds: number
  /** The setter's clock, ms since the Unix epoch. */
  readonly setAt: number
}

/** Whether `seconds` is an allowed timer: off, or whole seconds from 5 s to 4 weeks. */
export function isTimerSeconds(seconds: number): boolean {
  return (
    seconds === TIMER_OFF ||
    (Number.isInteger(seconds) && seconds >= TIMER_MIN_SECONDS && seconds <= TIMER_MAX_SECONDS)
  )
}

export function encodeTimerChange(change: TimerChange): Uint8Array {
  if (!isTimerSeconds(change.seconds))
    throw new InvalidKeyError(`timer of ${change.seconds} s is not allowed`)
  if (!Number.isSafeInteger(change.setAt) || change.setAt < 0)
    throw new InvalidKeyError('setAt must be a non-negative integer')
  return TimerChangeProto.encode({
    version: TIMER_WIRE_VERSION,
    seconds: change.seconds,
    setAt: change.setAt,
  })
}

/** Parse a contact's timer change; DecodeError / UnsupportedVersionError for anything malformed. */
export function decodeTimerChange(bytes: Uint8Array): TimerChange {
  const proto = decodeCapped('timer change', bytes, MAX_TIMER_CHANGE_BYTES, (b) => TimerChangeProto.decode(b))
  if (proto.version !== TIMER_WIRE_VERSION)
    throw new UnsupportedVersionError(`timer change version ${proto.version}`)
  checkDecodedUint('setAt', proto.setAt)
  if (!isTimerSeconds(proto.seconds)) throw new DecodeError(`timer of ${proto.seconds} s is not allowed`)
  return { seconds: proto.seconds, setAt: proto.setAt }
}

/** The timer in words for its line in the chat ("5 seconds", "1 hour", "4 weeks"). */
export function describeTimer(seconds: number): string {
  if (seconds === TIMER_OFF) return 'off'
  const units: Array<[number, string]> = [
    [7 * DAY_S, 'week'],
    [DAY_S, 'day'],
    [60 * MINUTE_S, 'hour'],
    [MINUTE_S, 'minute'],
    [1, 'second'],
  ]
  for (const [size, name] of units)
    if (seconds % size === 0) {
      const n = seconds / size
      return `${n} ${name}${n === 1 ? '' : 's'}`
    }
  return `${seconds} seconds`
}

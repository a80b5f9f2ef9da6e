/**
 * The call signal codec (core/src/call/signal.ts): every kind round-trips, each kind's fields
 * are required and the others refused, and the decoder under fuzzing (random, truncated and
 * bit-flipped input) throws only typed core errors, rejecting what it must.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { formatCallId, newCallId, parseCallId } from '../src/call/call-id.ts'
import {
  HANGUP_FAILED_ICE,
  MAX_CALL_SIGNAL_BYTES,
  MAX_MEDIA_DATA_BYTES,
  SIGNAL_ACCEPT,
  SIGNAL_ANSWER,
  SIGNAL_ANSWERED_ELSEWHERE,
  SIGNAL_BUSY,
  SIGNAL_DECLINE,
  SIGNAL_HANGUP,
  SIGNAL_ICE,
  SIGNAL_INVITE,
  SIGNAL_OFFER,
  SIGNAL_RINGING,
} from '../src/call/constants.ts'
import { type CallSignal, decodeCallSignal, encodeCallSignal } from '../src/call/signal.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../src/errors.ts'
import { CallSignal as CallSignalProto } from '../src/proto/call.ts'

const random = seededRandom('call-signal')
const callId = newCallId(random)
const mediaKey = random(32)
const sentAt = 1_760_000_000_000

const samples: CallSignal[] = [
  { kind: SIGNAL_INVITE, callId, sentAt, mediaKey },
  { kind: SIGNAL_RINGING, callId, sentAt },
  { kind: SIGNAL_ACCEPT, callId, sentAt, mediaKey },
  { kind: SIGNAL_BUSY, callId, sentAt },
  { kind: SIGNAL_DECLINE, callId, sentAt },
  { kind: SIGNAL_ANSWERED_ELSEWHERE, callId, sentAt, answeredKey: null },
  { kind: SIGNAL_ANSWERED_ELSEWHERE, callId, sentAt, answeredKey: mediaKey },
  { kind: SIGNAL_HANGUP, callId, sentAt, reason: HANGUP_FAILED_ICE },
  { kind: SIGNAL_OFFER, callId, sentAt, data: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' },
  { kind: SIGNAL_ANSWER, callId, sentAt, data: 'v=0\r\n☎ answer' },
  { kind: SIGNAL_ICE, callId, sentAt, data: '{"candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host"}' },
]

/** Raw proto bytes, bypassing the encoder's checks (what a hostile contact could send). */
function raw(fields: Partial<Parameters<typeof CallSignalProto.encode>[0]>): Uint8Array {
  return CallSignalProto.encode({
    version: 1,
    callId: callId as Uint8Array<ArrayBuffer>,
    kind: SIGNAL_RINGING,
    sentAt,
    mediaKey: new Uint8Array(0),
    data: '',
    reason: 0,
    ...fields,
  })
}

describe('call signals', () => {
  test('every kind round-trips', () => {
    for (const signal of samples) assert.deepEqual(decodeCallSignal(encodeCallSignal(signal)), signal)
  })

  test('each kind carries exactly its fields: others are refused', () => {
    assert.throws(() => decodeCallSignal(raw({ kind: SIGNAL_INVITE })), DecodeError, 'invite without key')
    assert.throws(
      () => decodeCallSignal(raw({ kind: SIGNAL_ACCEPT, mediaKey: new Uint8Array(31) })),
      DecodeError,
    )
    assert.throws(() => decodeCallSignal(raw({ mediaKey: mediaKey as Uint8Array<ArrayBuffer> })), DecodeError)
    assert.throws(() => decodeCallSignal(raw({ data: 'sdp' })), DecodeError, 'data on ringing')
    assert.throws(
      () => decodeCallSignal(raw({ kind: SIGNAL_ANSWERED_ELSEWHERE, mediaKey: new Uint8Array(31) })),
      DecodeError,
      'short answered key',
    )
    assert.throws(() => decodeCallSignal(raw({ kind: SIGNAL_HANGUP })), DecodeError, 'hangup without reason')
    assert.throws(() => decodeCallSignal(raw({ kind: SIGNAL_HANGUP, reason: 99 })), DecodeError)
    assert.throws(() => decodeCallSignal(raw({ reason: 1 })), DecodeError, 'reason on ringing')
    assert.throws(() => decodeCallSignal(raw({ kind: 0 })), DecodeError, 'kind 0')
    assert.throws(() => decodeCallSignal(raw({ kind: 11 })), DecodeError, 'unknown kind')
    assert.throws(() => decodeCallSignal(raw({ callId: new Uint8Array(15) })), DecodeError, 'short call id')
    assert.throws(() => decodeCallSignal(raw({ version: 2 })), UnsupportedVersionError)
    assert.throws(() => decodeCallSignal(raw({ version: 0 })), UnsupportedVersionError)
  })

  test('media data is capped in bytes on both sides (multi-byte text counted as UTF-8)', () => {
    const atCap = 'é'.repeat(MAX_MEDIA_DATA_BYTES / 2)
    const signal: CallSignal = { kind: SIGNAL_OFFER, callId, sentAt, data: atCap }
    assert.deepEqual(decodeCallSignal(encodeCallSignal(signal)), signal)
    const over = `${atCap}x`
    assert.throws(() => encodeCallSignal({ ...signal, data: over }), InvalidKeyError)
    assert.throws(() => decodeCallSignal(raw({ kind: SIGNAL_OFFER, data: over })), DecodeError)
  })

  test('the encoder refuses what the decoder would refuse', () => {
    assert.throws(
      () => encodeCallSignal({ kind: SIGNAL_INVITE, callId: random(8), sentAt, mediaKey }),
      InvalidKeyError,
    )
    assert.throws(
      () => encodeCallSignal({ kind: SIGNAL_INVITE, callId, sentAt, mediaKey: random(31) }),
      InvalidKeyError,
    )
    assert.throws(() => encodeCallSignal({ kind: SIGNAL_HANGUP, callId, sentAt, reason: 0 }), InvalidKeyError)
    assert.throws(() => encodeCallSignal({ kind: SIGNAL_BUSY, callId, sentAt: -1 }), InvalidKeyError)
    assert.throws(
      () => encodeCallSignal({ kind: SIGNAL_ANSWERED_ELSEWHERE, callId, sentAt, answeredKey: random(31) }),
      InvalidKeyError,
    )
  })

  test('input over the size cap is refused before parsing', () => {
    assert.throws(() => decodeCallSignal(new Uint8Array(MAX_CALL_SIGNAL_BYTES + 1)), DecodeError)
  })

  test('decodeCallSignal under fuzzing throws only typed errors and rejects malformed input', () => {
    const { accepted, rejected } = fuzzDecoder(decodeCallSignal, {
      seed: 'call-signal',
      samples: samples.map(encodeCallSignal),
    })
    assert.ok(rejected > 500, `only ${rejected} of the fuzzed inputs were rejected`)
    // random bytes almost never form a valid signal; bit flips of valid ones sometimes do
    assert.ok(accepted < rejected, `${accepted} accepted vs ${rejected} rejected`)
  })

  test('call ids: 16 random bytes written as 32 lowercase hex characters, parsed strictly', () => {
    const text = formatCallId(callId)
    assert.match(text, /^[0-9a-f]{32}$/)
    assert.deepEqual(parseCallId(text), callId)
    for (const bad of ['', text.toUpperCase(), `${text}00`, text.slice(2), `${text.slice(0, 31)}g`])
      assert.throws(() => parseCallId(bad), DecodeError, bad)
    assert.throws(() => formatCallId(random(15)), InvalidKeyError)
  })
})

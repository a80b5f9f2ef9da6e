/**
 * The signalling keys of a call and the frames of /wren/call/1.0.0 (core/src/call/media-keys.ts
 * deriveSignalKeys, core/src/call/stream-frame.ts): fixed vectors computed outside the code under
 * test (node:crypto and a hand-written protobuf encoding), both sides agree, the signalling keys
 * are not the media keys, a frame opens only under its key, call and counter, and the frame and
 * reply parsers under fuzzing (random, truncated and bit-flipped input) throw only typed core
 * errors, rejecting what they must.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { fromHex, toHex } from '../src/bytes.ts'
import {
  HANGUP_BY_USER,
  MAX_CALL_STREAM_FRAME_BYTES,
  MAX_CALL_STREAM_REPLY_BYTES,
  MAX_MEDIA_DATA_BYTES,
  SIGNAL_ACCEPT,
  SIGNAL_ANSWER,
  SIGNAL_HANGUP,
  SIGNAL_ICE,
  SIGNAL_INVITE,
  SIGNAL_OFFER,
  SIGNAL_RINGING,
  STREAM_DELIVERED,
  STREAM_GONE,
  STREAM_NOT_READY,
} from '../src/call/constants.ts'
import { deriveMediaKeys, deriveSignalKeys, type MediaKeyInput } from '../src/call/media-keys.ts'
import { type CallSignal, encodeCallSignal } from '../src/call/signal.ts'
import {
  decodeCallFrame,
  decodeCallReply,
  encodeCallReply,
  openCallFrame,
  sealCallFrame,
} from '../src/call/stream-frame.ts'
import { createNobleSuite } from '../src/crypto/noble-suite.ts'
import type { KeyPair } from '../src/crypto/suite.ts'
import { AeadError, DecodeError, InvalidKeyError, UnsupportedVersionError } from '../src/errors.ts'
import { CallStreamFrame, CallStreamReply } from '../src/proto/call.ts'

interface Vector {
  name: string
  callId: string
  callerSecret: string
  calleeSecret: string
  callerIdentityKey: string
  calleeIdentityKey: string
  callerToCallee: string
  calleeToCaller: string
  frame: { counter: number; sentAt: number; data: string; plaintext: string; frame: string }
}

const vectors = (
  JSON.parse(readFileSync(new URL('./vectors/call-signal-keys.json', import.meta.url), 'utf8')) as {
    vectors: Vector[]
  }
).vectors

const suite = createNobleSuite(() => {
  throw new Error('no randomness needed: frames are sealed with counter nonces')
})

function pair(secretHex: string): KeyPair {
  const secretKey = fromHex(secretHex)
  return { secretKey, publicKey: suite.x25519PublicKey(secretKey) }
}

function inputs(v: Vector): { caller: MediaKeyInput; callee: MediaKeyInput } {
  const caller = pair(v.callerSecret)
  const callee = pair(v.calleeSecret)
  const common = {
    callId: fromHex(v.callId),
    callerIdentityKey: fromHex(v.callerIdentityKey),
    calleeIdentityKey: fromHex(v.calleeIdentityKey),
  }
  return {
    caller: { ...common, role: 'caller', own: caller, peerMediaKey: callee.publicKey },
    callee: { ...common, role: 'callee', own: callee, peerMediaKey: caller.publicKey },
  }
}

const seeded = seededSuite('call-stream')
const callId = seeded.randomBytes(16)
const key = seeded.randomBytes(32)
const sentAt = 1_760_000_000_000
const streamSamples: CallSignal[] = [
  { kind: SIGNAL_OFFER, callId, sentAt, data: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' },
  { kind: SIGNAL_ANSWER, callId, sentAt, data: 'v=0\r\n☎ answer' },
  { kind: SIGNAL_ICE, callId, sentAt, data: '{"candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host"}' },
  { kind: SIGNAL_HANGUP, callId, sentAt, reason: HANGUP_BY_USER },
]

describe('call signalling keys', () => {
  for (const v of vectors) {
    test(`fixed vector: ${v.name}`, () => {
      const { caller, callee } = inputs(v)
      const a = deriveSignalKeys(suite, caller)
      const b = deriveSignalKeys(suite, callee)
      assert.equal(toHex(a.sendKey), v.callerToCallee)
      assert.equal(toHex(a.receiveKey), v.calleeToCaller)
      assert.equal(toHex(b.sendKey), v.calleeToCaller)
      assert.equal(toHex(b.receiveKey), v.callerToCallee)
    })

    test(`fixed frame: ${v.name}`, () => {
      const { caller, callee } = inputs(v)
      const signal: CallSignal = {
        kind: SIGNAL_ICE,
        callId: fromHex(v.callId),
        sentAt: v.frame.sentAt,
        data: v.frame.data,
      }
      assert.equal(toHex(encodeCallSignal(signal)), v.frame.plaintext)
      const sealed = sealCallFrame(suite, deriveSignalKeys(suite, caller).sendKey, v.frame.counter, signal)
      assert.equal(toHex(sealed), v.frame.frame)
      const frame = decodeCallFrame(fromHex(v.frame.frame))
      assert.equal(frame.counter, v.frame.counter)
      assert.deepEqual(openCallFrame(suite, deriveSignalKeys(suite, callee).receiveKey, frame), signal)
    })
  }

  test('the signalling keys are not the media keys, and both sides agree (seeded random keys)', () => {
    for (let i = 0; i < 10; i++) {
      const caller = seeded.x25519Generate()
      const callee = seeded.x25519Generate()
      const common = {
        callId: seeded.randomBytes(16),
        callerIdentityKey: seeded.ed25519Generate().publicKey,
        calleeIdentityKey: seeded.ed25519Generate().publicKey,
      }
      const a: MediaKeyInput = { ...common, role: 'caller', own: caller, peerMediaKey: callee.publicKey }
      const b: MediaKeyInput = { ...common, role: 'callee', own: callee, peerMediaKey: caller.publicKey }
      const signalA = deriveSignalKeys(seeded, a)
      const signalB = deriveSignalKeys(seeded, b)
      const media = deriveMediaKeys(seeded, a)
      assert.deepEqual(signalA.sendKey, signalB.receiveKey)
      assert.deepEqual(signalA.receiveKey, signalB.sendKey)
      assert.notDeepEqual(signalA.sendKey, signalA.receiveKey)
      for (const k of [media.sendKey, media.receiveKey]) {
        assert.notDeepEqual(signalA.sendKey, k)
        assert.notDeepEqual(signalA.receiveKey, k)
      }
    }
  })
})

describe('call stream frames', () => {
  test('every kind a stream carries round-trips', () => {
    let counter = 1
    for (const signal of streamSamples) {
      const frame = decodeCallFrame(sealCallFrame(suite, key, counter, signal))
      assert.equal(frame.counter, counter++)
      assert.deepEqual(frame.callId, callId)
      assert.deepEqual(openCallFrame(suite, key, frame), signal)
    }
  })

  test('the largest media text fits under the frame cap', () => {
    const big: CallSignal = { kind: SIGNAL_OFFER, callId, sentAt, data: 'é'.repeat(MAX_MEDIA_DATA_BYTES / 2) }
    const bytes = sealCallFrame(suite, key, Number.MAX_SAFE_INTEGER, big)
    assert.ok(bytes.length <= MAX_CALL_STREAM_FRAME_BYTES, `${bytes.length} bytes`)
    assert.deepEqual(openCallFrame(suite, key, decodeCallFrame(bytes)), big)
  })

  test('a frame opens only under its key, with its call id and its counter', () => {
    const signal = streamSamples[2] as CallSignal
    const frame = decodeCallFrame(sealCallFrame(suite, key, 7, signal))
    const otherKey = seeded.randomBytes(32)
    assert.throws(() => openCallFrame(suite, otherKey, frame), AeadError, 'other key')
    assert.throws(() => openCallFrame(suite, key, { ...frame, counter: 8 }), AeadError, 'other counter')
    const otherCall = frame.callId.slice()
    otherCall[0] = (otherCall[0] as number) ^ 1
    assert.throws(() => openCallFrame(suite, key, { ...frame, callId: otherCall }), AeadError, 'other call')
    const tampered = frame.ciphertext.slice()
    tampered[3] = (tampered[3] as number) ^ 0x80
    assert.throws(() => openCallFrame(suite, key, { ...frame, ciphertext: tampered }), AeadError, 'tampered')
  })

  test('kinds of the pairwise session are refused on both sides', () => {
    const mediaKey = seeded.randomBytes(32)
    for (const signal of [
      { kind: SIGNAL_INVITE, callId, sentAt, mediaKey },
      { kind: SIGNAL_ACCEPT, callId, sentAt, mediaKey },
      { kind: SIGNAL_RINGING, callId, sentAt },
    ] as CallSignal[]) {
      assert.throws(() => sealCallFrame(suite, key, 1, signal), InvalidKeyError)
      // a peer that seals one anyway (bypassing the sealer's check) is refused after opening
      const plaintext = encodeCallSignal(signal)
      const nonce = new Uint8Array(12)
      nonce[11] = 1
      const aad = new Uint8Array([...new TextEncoder().encode('wren/call/signal-key/v1'), 1, ...callId])
      const ciphertext = suite.aesGcmEncrypt(key, nonce, plaintext, aad)
      const forged = decodeCallFrame(
        CallStreamFrame.encode({
          version: 1,
          callId: new Uint8Array(callId),
          counter: 1,
          ciphertext: new Uint8Array(ciphertext),
        }),
      )
      assert.throws(() => openCallFrame(suite, key, forged), DecodeError)
    }
  })

  test('a signal naming another call than its frame is refused', () => {
    const other = seeded.randomBytes(16)
    const signal: CallSignal = { kind: SIGNAL_ICE, callId: other, sentAt, data: 'x' }
    const sealed = decodeCallFrame(sealCallFrame(suite, key, 1, signal))
    // re-seal the same plaintext under the other frame's call id, as a hostile peer could
    const nonce = new Uint8Array(12)
    nonce[11] = 1
    const aad = new Uint8Array([...new TextEncoder().encode('wren/call/signal-key/v1'), 1, ...callId])
    const ciphertext = suite.aesGcmEncrypt(key, nonce, encodeCallSignal(signal), aad)
    assert.throws(() => openCallFrame(suite, key, { ...sealed, callId, ciphertext }), DecodeError)
  })

  test('the sealer refuses a counter below 1 and a wrong key length', () => {
    const signal = streamSamples[0] as CallSignal
    assert.throws(() => sealCallFrame(suite, key, 0, signal), InvalidKeyError)
    assert.throws(() => sealCallFrame(suite, key, 1.5, signal), InvalidKeyError)
    assert.throws(() => sealCallFrame(suite, key.subarray(0, 16), 1, signal), InvalidKeyError)
  })

  test('the frame parser refuses what it must, and input over the cap before parsing', () => {
    const raw = (fields: Partial<Parameters<typeof CallStreamFrame.encode>[0]>) =>
      CallStreamFrame.encode({
        version: 1,
        callId: new Uint8Array(callId),
        counter: 1,
        ciphertext: new Uint8Array(32),
        ...fields,
      })
    assert.throws(() => decodeCallFrame(new Uint8Array(MAX_CALL_STREAM_FRAME_BYTES + 1)), DecodeError)
    assert.throws(() => decodeCallFrame(raw({ version: 2 })), UnsupportedVersionError)
    assert.throws(() => decodeCallFrame(raw({ callId: new Uint8Array(15) })), DecodeError)
    assert.throws(() => decodeCallFrame(raw({ counter: 0 })), DecodeError)
    assert.throws(() => decodeCallFrame(raw({ ciphertext: new Uint8Array(15) })), DecodeError)
  })

  test('replies: every status round-trips, others are refused', () => {
    for (const status of [STREAM_DELIVERED, STREAM_GONE, STREAM_NOT_READY])
      assert.equal(decodeCallReply(encodeCallReply(status)), status)
    assert.throws(() => encodeCallReply(0), InvalidKeyError)
    assert.throws(() => decodeCallReply(CallStreamReply.encode({ version: 1, status: 9 })), DecodeError)
    assert.throws(
      () => decodeCallReply(CallStreamReply.encode({ version: 3, status: 1 })),
      UnsupportedVersionError,
    )
    assert.throws(() => decodeCallReply(new Uint8Array(MAX_CALL_STREAM_REPLY_BYTES + 1)), DecodeError)
  })

  test('decodeCallFrame under fuzzing throws only typed errors and rejects malformed input', () => {
    const { accepted, rejected } = fuzzDecoder(decodeCallFrame, {
      seed: 'call-stream-frame',
      samples: streamSamples.map((s, i) => sealCallFrame(suite, key, i + 1, s)),
    })
    assert.ok(rejected > 500, `only ${rejected} of the fuzzed inputs were rejected`)
    assert.ok(accepted < rejected, `${accepted} accepted vs ${rejected} rejected`)
  })

  test('opening fuzzed frames under the right key throws only typed errors and opens none of the flips', () => {
    const samples = streamSamples.map((s, i) => sealCallFrame(suite, key, i + 1, s))
    const fields = (f: { callId: Uint8Array; counter: number; ciphertext: Uint8Array }) =>
      `${toHex(f.callId)}/${f.counter}/${toHex(f.ciphertext)}`
    const originals = new Set(samples.map((s) => fields(decodeCallFrame(s))))
    let opened = 0
    const { rejected } = fuzzDecoder(
      (bytes) => {
        const frame = decodeCallFrame(bytes)
        const signal = openCallFrame(suite, key, frame)
        // only a sample's own fields may open (protobuf framing may vary, e.g. an unknown field)
        if (!originals.has(fields(frame))) opened++
        return signal
      },
      { seed: 'call-stream-open', samples },
    )
    assert.ok(rejected > 500, `only ${rejected} rejected`)
    assert.equal(opened, 0, 'a mutated frame opened')
  })

  test('decodeCallReply under fuzzing throws only typed errors and rejects malformed input', () => {
    const { accepted, rejected } = fuzzDecoder(decodeCallReply, {
      seed: 'call-stream-reply',
      samples: [STREAM_DELIVERED, STREAM_GONE, STREAM_NOT_READY].map(encodeCallReply),
    })
    assert.ok(rejected > 400, `only ${rejected} rejected`)
    assert.ok(accepted < rejected, `${accepted} accepted vs ${rejected} rejected`)
  })
})

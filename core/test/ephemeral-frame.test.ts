/**
 * Ephemeral frames (core/src/ephemeral/frame.ts): the two sides derive the same key per
 * direction and different keys for the two directions; a frame opens only under its direction's
 * key; the parser is capped and, under fuzzing, throws only typed core errors.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNobleSuite } from '../src/crypto/noble-suite.ts'
import {
  EPHEMERAL_GROUP_TYPING,
  EPHEMERAL_PRESENCE,
  EPHEMERAL_TYPING,
  MAX_EPHEMERAL_FRAME_BYTES,
} from '../src/ephemeral/constants.ts'
import { ephemeralKey, openEphemeral, sealEphemeral } from '../src/ephemeral/frame.ts'
import { AeadError, DecodeError, InvalidKeyError } from '../src/errors.ts'

const suite = createNobleSuite(seededRandom('ephemeral-frame'))
const alice = suite.ed25519Generate()
const bob = suite.ed25519Generate()
const aToB = { sender: alice.publicKey, recipient: bob.publicKey }
const bToA = { sender: bob.publicKey, recipient: alice.publicKey }

describe('ephemeral frames', () => {
  test('both sides derive the same key per direction, and the directions differ', () => {
    const senderSide = ephemeralKey(suite, alice.secretKey, aToB, bob.publicKey)
    const receiverSide = ephemeralKey(suite, bob.secretKey, aToB, alice.publicKey)
    assert.deepEqual(senderSide, receiverSide)
    assert.notDeepEqual(ephemeralKey(suite, bob.secretKey, bToA, alice.publicKey), senderSide)
  })

  test('a frame opens under its key only, and round-trips its signal', () => {
    const key = ephemeralKey(suite, alice.secretKey, aToB, bob.publicKey)
    const other = ephemeralKey(suite, bob.secretKey, bToA, alice.publicKey)
    const signal = { kind: EPHEMERAL_TYPING, counter: 1_760_000_000_123, on: true }
    const frame = sealEphemeral(suite, key, signal)
    assert.ok(frame.length <= MAX_EPHEMERAL_FRAME_BYTES)
    assert.deepEqual(openEphemeral(suite, key, frame), signal)
    assert.throws(() => openEphemeral(suite, other, frame), AeadError)
    const presence = { kind: EPHEMERAL_PRESENCE, counter: 0, on: false }
    assert.deepEqual(openEphemeral(suite, key, sealEphemeral(suite, key, presence)), presence)
  })

  test('a group typing signal carries its 16-byte group id, and only it carries one', () => {
    const key = ephemeralKey(suite, alice.secretKey, aToB, bob.publicKey)
    const group = seededRandom('ephemeral-group')(16)
    const signal = { kind: EPHEMERAL_GROUP_TYPING, counter: 1_760_000_000_456, on: true, group }
    const frame = sealEphemeral(suite, key, signal)
    assert.ok(frame.length <= MAX_EPHEMERAL_FRAME_BYTES, `${frame.length} bytes`)
    assert.deepEqual(openEphemeral(suite, key, frame), signal)
    assert.throws(
      () => sealEphemeral(suite, key, { ...signal, group: group.subarray(0, 15) }),
      InvalidKeyError,
    )
    assert.throws(
      () => sealEphemeral(suite, key, { kind: EPHEMERAL_GROUP_TYPING, counter: 1, on: true }),
      InvalidKeyError,
    )
    assert.throws(
      () => sealEphemeral(suite, key, { kind: EPHEMERAL_TYPING, counter: 1, on: true, group }),
      InvalidKeyError,
    )
  })

  test('the parser is capped and, fuzzed, throws only typed errors and rejects what it must', () => {
    const key = ephemeralKey(suite, alice.secretKey, aToB, bob.publicKey)
    assert.throws(() => openEphemeral(suite, key, new Uint8Array(MAX_EPHEMERAL_FRAME_BYTES + 1)), DecodeError)
    const signals = [
      { kind: EPHEMERAL_TYPING, counter: 5, on: true },
      { kind: EPHEMERAL_PRESENCE, counter: 9, on: false },
      { kind: EPHEMERAL_GROUP_TYPING, counter: 11, on: true, group: seededRandom('fuzz-group')(16) },
    ]
    const { accepted, rejected } = fuzzDecoder(
      (bytes) => {
        const opened = openEphemeral(suite, key, bytes)
        // what opens is one of the genuine signals: a flip of a field tag's wire-type bits
        // changes nothing the decoder reads, and any other change breaks the tag
        assert.ok(signals.some((s) => JSON.stringify(s) === JSON.stringify(opened)))
        return opened
      },
      { seed: 'ephemeral-frame', maxLength: 256, samples: signals.map((s) => sealEphemeral(suite, key, s)) },
    )
    assert.ok(rejected > 500, `only ${rejected} rejected`)
    assert.ok(accepted < 64, `${accepted} accepted`)
  })
})

/**
 * Double Ratchet sessions end to end: the spec's key schedule recomputed independently, immutable
 * states, initialisation rules, session binding. (A session between the noble and node suites is
 * node/test/crypto-node-suite-session.test.ts: core does not import node/.)
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { gcm } from '@noble/ciphers/aes.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { concatBytes, u32be } from '../src/bytes.ts'
import { DecryptError, InvalidKeyError, InvalidStateError } from '../src/errors.ts'
import {
  decodeRatchetMessage,
  encodeRatchetState,
  initAsInitiator,
  initAsResponder,
  RATCHET_MESSAGE_VERSION,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from '../src/ratchet/index.ts'
import { ratchetPair, text } from './ratchet-fixture.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

describe('ratchet sessions', () => {
  test("the initiator's first message follows the spec's key schedule (KDF_RK, KDF_CK, message-key HKDF, AES-GCM with AD ‖ header), recomputed with raw primitives", () => {
    const suite = seededSuite('schedule')
    const sharedSecret = suite.randomBytes(32)
    const associatedData = suite.randomBytes(64)
    const bobPrekey = suite.x25519Generate()
    const alice = initAsInitiator(suite, {
      sharedSecret,
      associatedData,
      remoteRatchetKey: bobPrekey.publicKey,
    })
    const plaintext = text('hello Bob')
    const { message } = ratchetEncrypt(suite, alice, plaintext)

    const dh = x25519.getSharedSecret(alice.sendingRatchetKey.secretKey, bobPrekey.publicKey)
    const root = hkdf(sha256, dh, sharedSecret, utf8('wren/ratchet/root/v1'), 64)
    const chainKey = root.slice(32)
    const messageKey = hmac(sha256, chainKey, Uint8Array.of(1))
    const material = hkdf(sha256, messageKey, new Uint8Array(32), utf8('wren/ratchet/message/v1'), 44)
    const header = concatBytes(
      u32be(RATCHET_MESSAGE_VERSION),
      alice.sendingRatchetKey.publicKey,
      u32be(0),
      u32be(0),
    )
    const expected = gcm(
      material.slice(0, 32),
      material.slice(32),
      concatBytes(associatedData, header),
    ).encrypt(plaintext)

    const decoded = decodeRatchetMessage(message)
    assert.deepEqual(decoded.ciphertext, expected)
    assert.equal(decoded.counter, 0)
    assert.equal(decoded.previousCounter, 0)
    // The next chain key is HMAC(ck, 0x02): the second message uses HMAC(that, 0x01).
    const second = ratchetEncrypt(suite, ratchetEncrypt(suite, alice, plaintext).state, plaintext)
    const nextKey = hmac(sha256, hmac(sha256, chainKey, Uint8Array.of(2)), Uint8Array.of(1))
    const material2 = hkdf(sha256, nextKey, new Uint8Array(32), utf8('wren/ratchet/message/v1'), 44)
    const header2 = concatBytes(
      u32be(RATCHET_MESSAGE_VERSION),
      alice.sendingRatchetKey.publicKey,
      u32be(0),
      u32be(1),
    )
    const expected2 = gcm(
      material2.slice(0, 32),
      material2.slice(32),
      concatBytes(associatedData, header2),
    ).encrypt(plaintext)
    assert.deepEqual(decodeRatchetMessage(second.message).ciphertext, expected2)
  })

  test('messages flow both ways across many DH ratchet steps, bursts included', () => {
    const { suite, alice, bob } = ratchetPair('flow')
    let a = alice
    let b = bob
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i <= round % 3; i++) {
        const out = ratchetEncrypt(suite, a, text(`a ${round} ${i}`))
        a = out.state
        const got = ratchetDecrypt(suite, b, out.message)
        assert.deepEqual(got.plaintext, text(`a ${round} ${i}`))
        b = got.state
      }
      const out = ratchetEncrypt(suite, b, text(`b ${round}`))
      b = out.state
      const got = ratchetDecrypt(suite, a, out.message)
      assert.deepEqual(got.plaintext, text(`b ${round}`))
      a = got.state
    }
    assert.equal(b.previousChains.length, 5)
  })

  test('encrypt and decrypt leave their input state unchanged and return a new one', () => {
    const { suite, alice, bob } = ratchetPair('immutable')
    const aliceBefore = encodeRatchetState(alice)
    const bobBefore = encodeRatchetState(bob)
    const out = ratchetEncrypt(suite, alice, text('x'))
    const got = ratchetDecrypt(suite, bob, out.message)
    assert.deepEqual(encodeRatchetState(alice), aliceBefore)
    assert.deepEqual(encodeRatchetState(bob), bobBefore)
    assert.notDeepEqual(encodeRatchetState(out.state), aliceBefore)
    assert.notDeepEqual(encodeRatchetState(got.state), bobBefore)
    // Mutating the caller's message buffer afterwards cannot reach into the new state.
    const saved = encodeRatchetState(got.state)
    out.message.fill(0)
    assert.deepEqual(encodeRatchetState(got.state), saved)
  })

  test('a responder cannot send before its first received message (InvalidStateError)', () => {
    const { suite, bob } = ratchetPair('responder-first')
    assert.throws(() => ratchetEncrypt(suite, bob, text('too early')), InvalidStateError)
  })

  test('a different shared secret or associated data makes every message fail with DecryptError, state unchanged', () => {
    const suite = seededSuite('binding')
    const sharedSecret = suite.randomBytes(32)
    const associatedData = suite.randomBytes(64)
    const bobPrekey = suite.x25519Generate()
    const alice = initAsInitiator(suite, {
      sharedSecret,
      associatedData,
      remoteRatchetKey: bobPrekey.publicKey,
    })
    const { message } = ratchetEncrypt(suite, alice, text('bound'))
    const variants = [
      { sharedSecret: suite.randomBytes(32), associatedData },
      { sharedSecret, associatedData: suite.randomBytes(64) },
    ]
    for (const variant of variants) {
      const bob: RatchetState = initAsResponder(suite, { ...variant, ourRatchetKeyPair: bobPrekey })
      const before = encodeRatchetState(bob)
      assert.throws(() => ratchetDecrypt(suite, bob, message), DecryptError)
      assert.deepEqual(encodeRatchetState(bob), before)
    }
  })

  test('initialisation rejects keys of the wrong length with InvalidKeyError', () => {
    const suite = seededSuite('init-checks')
    const associatedData = new Uint8Array(64)
    const pair = suite.x25519Generate()
    assert.throws(
      () =>
        initAsInitiator(suite, {
          sharedSecret: new Uint8Array(31),
          associatedData,
          remoteRatchetKey: pair.publicKey,
        }),
      InvalidKeyError,
    )
    assert.throws(
      () =>
        initAsInitiator(suite, {
          sharedSecret: new Uint8Array(32),
          associatedData,
          remoteRatchetKey: new Uint8Array(33),
        }),
      InvalidKeyError,
    )
    assert.throws(
      () =>
        initAsResponder(suite, {
          sharedSecret: new Uint8Array(32),
          associatedData,
          ourRatchetKeyPair: { publicKey: pair.publicKey, secretKey: new Uint8Array(16) },
        }),
      InvalidKeyError,
    )
  })
})

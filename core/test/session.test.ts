import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bytesEqual, fromUtf8, utf8 } from '../../core/src/bytes.ts'
import type { CryptoSuite } from '../../core/src/crypto/suite.ts'
import { signDeviceCertificate } from '../../core/src/device-certificate.ts'
import { CONTENT_TYPE_MESSAGE, CONTENT_TYPE_PREKEY } from '../../core/src/envelope.ts'
import { DuplicateMessageError, InvalidStateError } from '../../core/src/errors.ts'
import { generateIdentityKeyPair, type IdentityKeyPair } from '../../core/src/identity.ts'
import { signKemPrekey, signPrekey, signPrekeyBundle } from '../../core/src/prekey-bundle.ts'
import {
  acceptPrekeyMessage,
  decodeSessionRecord,
  encodeSessionRecord,
  initiateSession,
  type PrekeySecrets,
  sessionDecrypt,
  sessionEncrypt,
} from '../../core/src/session.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'

const NOW = 1_790_000_000_000

function makeResponder(suite: CryptoSuite) {
  const identity = generateIdentityKeyPair(suite)
  const device = suite.ed25519Generate()
  const signed = suite.x25519Generate()
  const kem = suite.mlkemGenerate()
  const oneTime = suite.x25519Generate()
  const oneTimeKem = suite.mlkemGenerate()
  const bundle = signPrekeyBundle(suite, identity, {
    deviceCertificate: signDeviceCertificate(suite, identity, {
      devicePeerId: suite.randomBytes(38),
      deviceKey: device.publicKey,
      createdAt: NOW,
    }),
    signedPrekey: signPrekey(suite, identity, 7, signed.publicKey),
    kemPrekey: signKemPrekey(suite, identity, 8, kem.publicKey, true),
    mailboxes: [],
    createdAt: NOW,
  })
  const used = new Set<string>()
  const prekeys: PrekeySecrets = {
    signedPrekey: (id) => (id === 7 ? signed : undefined),
    kemPrekey: (id, oneTimeFlag) =>
      id === 8 && !oneTimeFlag ? kem : id === 9 && oneTimeFlag ? oneTimeKem : undefined,
    oneTimePrekey: (id) => (id === 10 && !used.has('otp') ? oneTime : undefined),
  }
  return {
    identity,
    bundle,
    prekeys,
    used,
    oneTime: { id: 10, publicKey: oneTime.publicKey },
    oneTimeKem: signKemPrekey(suite, identity, 9, oneTimeKem.publicKey, false),
  }
}

function aliceStarts(suite: CryptoSuite, alice: IdentityKeyPair, bob: ReturnType<typeof makeResponder>) {
  return initiateSession(suite, {
    identity: alice,
    bundle: bob.bundle,
    oneTimePrekey: bob.oneTime,
    oneTimeKemPrekey: bob.oneTimeKem,
    now: NOW,
  })
}

describe('1:1 session (PQXDH + Double Ratchet)', () => {
  test('initiator repeats the PQXDH header until the first reply, then sends plain ratchet messages', () => {
    const suite = seededSuite('session-flow')
    const alice = generateIdentityKeyPair(suite)
    const bob = makeResponder(suite)
    let aliceRecord = aliceStarts(suite, alice, bob)

    const first = sessionEncrypt(suite, aliceRecord, utf8('hello'))
    aliceRecord = first.record
    const second = sessionEncrypt(suite, aliceRecord, utf8('again'))
    aliceRecord = second.record
    assert.equal(first.encrypted.type, CONTENT_TYPE_PREKEY)
    assert.equal(second.encrypted.type, CONTENT_TYPE_PREKEY)

    const accepted = acceptPrekeyMessage(suite, {
      identity: bob.identity,
      body: first.encrypted.body,
      existing: null,
      prekeys: bob.prekeys,
      now: NOW,
    })
    assert.equal(fromUtf8(accepted.plaintext), 'hello')
    assert.ok(accepted.newSession)
    assert.equal(accepted.usedOneTimePrekeyId, 10)
    assert.equal(accepted.usedOneTimeKemPrekeyId, 9)
    assert.ok(bytesEqual(accepted.remoteIdentityKey, alice.publicKey))
    bob.used.add('otp')

    // The second prekey message maps onto the session Bob already holds (same base key).
    const repeat = acceptPrekeyMessage(suite, {
      identity: bob.identity,
      body: second.encrypted.body,
      existing: accepted.record,
      prekeys: bob.prekeys,
      now: NOW,
    })
    assert.equal(fromUtf8(repeat.plaintext), 'again')
    assert.equal(repeat.newSession, false)
    let bobRecord = repeat.record

    const reply = sessionEncrypt(suite, bobRecord, utf8('hi alice'))
    bobRecord = reply.record
    assert.equal(reply.encrypted.type, CONTENT_TYPE_MESSAGE)
    const got = sessionDecrypt(suite, aliceRecord, reply.encrypted.body)
    aliceRecord = got.record
    assert.equal(fromUtf8(got.plaintext), 'hi alice')
    assert.equal(aliceRecord.pendingPrekey, null)

    const third = sessionEncrypt(suite, aliceRecord, utf8('confirmed'))
    assert.equal(third.encrypted.type, CONTENT_TYPE_MESSAGE)
    assert.equal(fromUtf8(sessionDecrypt(suite, bobRecord, third.encrypted.body).plaintext), 'confirmed')
  })

  test('a replayed prekey message is rejected as a duplicate by the session it created', () => {
    const suite = seededSuite('session-replay')
    const alice = generateIdentityKeyPair(suite)
    const bob = makeResponder(suite)
    const first = sessionEncrypt(suite, aliceStarts(suite, alice, bob), utf8('once'))
    const accepted = acceptPrekeyMessage(suite, {
      identity: bob.identity,
      body: first.encrypted.body,
      existing: null,
      prekeys: bob.prekeys,
      now: NOW,
    })
    assert.throws(
      () =>
        acceptPrekeyMessage(suite, {
          identity: bob.identity,
          body: first.encrypted.body,
          existing: accepted.record,
          prekeys: bob.prekeys,
          now: NOW,
        }),
      DuplicateMessageError,
    )
  })

  test('a prekey message naming a used-up one-time prekey is refused with InvalidStateError', () => {
    const suite = seededSuite('session-used-otp')
    const alice = generateIdentityKeyPair(suite)
    const bob = makeResponder(suite)
    bob.used.add('otp')
    const first = sessionEncrypt(suite, aliceStarts(suite, alice, bob), utf8('late'))
    assert.throws(
      () =>
        acceptPrekeyMessage(suite, {
          identity: bob.identity,
          body: first.encrypted.body,
          existing: null,
          prekeys: bob.prekeys,
          now: NOW,
        }),
      InvalidStateError,
    )
  })

  test('without one-time prekeys the session starts from the signed prekey and last-resort KEM key', () => {
    const suite = seededSuite('session-fallback')
    const alice = generateIdentityKeyPair(suite)
    const bob = makeResponder(suite)
    const record = initiateSession(suite, { identity: alice, bundle: bob.bundle, now: NOW })
    const first = sessionEncrypt(suite, record, utf8('fallback'))
    const accepted = acceptPrekeyMessage(suite, {
      identity: bob.identity,
      body: first.encrypted.body,
      existing: null,
      prekeys: bob.prekeys,
      now: NOW,
    })
    assert.equal(fromUtf8(accepted.plaintext), 'fallback')
    assert.equal(accepted.usedOneTimePrekeyId, null)
    assert.equal(accepted.usedOneTimeKemPrekeyId, null)
  })

  test('session records survive encode/decode in both roles and keep working', () => {
    const suite = seededSuite('session-codec')
    const alice = generateIdentityKeyPair(suite)
    const bob = makeResponder(suite)
    const first = sessionEncrypt(suite, aliceStarts(suite, alice, bob), utf8('x'))
    const aliceRecord = decodeSessionRecord(encodeSessionRecord(first.record))
    assert.notEqual(aliceRecord.pendingPrekey, null)
    const accepted = acceptPrekeyMessage(suite, {
      identity: bob.identity,
      body: first.encrypted.body,
      existing: null,
      prekeys: bob.prekeys,
      now: NOW,
    })
    const bobRecord = decodeSessionRecord(encodeSessionRecord(accepted.record))
    const reply = sessionEncrypt(suite, bobRecord, utf8('y'))
    assert.equal(fromUtf8(sessionDecrypt(suite, aliceRecord, reply.encrypted.body).plaintext), 'y')
  })

  test('fuzzed session records only ever give typed errors', () => {
    const suite = seededSuite('session-fuzz')
    const alice = generateIdentityKeyPair(suite)
    const bob = makeResponder(suite)
    const sample = encodeSessionRecord(
      sessionEncrypt(suite, aliceStarts(suite, alice, bob), utf8('z')).record,
    )
    const result = fuzzDecoder(decodeSessionRecord, { seed: 'session', runs: 200, samples: [sample] })
    assert.ok(result.rejected > 0)
  })
})

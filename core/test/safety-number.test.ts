import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { fromHex, toHex, utf8 } from '../src/bytes.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../src/errors.ts'
import {
  compareSafetyNumberQr,
  decodeSafetyNumberQr,
  encodeSafetyNumberQr,
  fingerprintDigits,
  fingerprintScannableBytes,
  SAFETY_NUMBER_QR_BYTES,
  safetyNumber,
  safetyNumberFingerprint,
  safetyNumberQrPayload,
  verifySafetyNumberQr,
} from '../src/safety-number.ts'

interface Vectors {
  signal: {
    aliceKey: string
    aliceId: string
    bobKey: string
    bobId: string
    displayable: string
    aliceScannable: string
    bobScannable: string
  }
  wren: Array<{
    localIdentityKey: string
    localId: string
    remoteIdentityKey: string
    remoteId: string
    digits: string
    localQrPayload: string
  }>
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/safety-number.json', import.meta.url), 'utf8'),
) as Vectors
const suite = seededSuite('safety-number')

function party(seed: string) {
  const s = seededSuite(`safety-number-party:${seed}`)
  return { id: s.randomBytes(16), identityKey: s.ed25519Generate().publicKey }
}

describe('safety numbers (Signal NumericFingerprint)', () => {
  test("fingerprintDigits reproduces libsignal's published displayable vector and scannable encodings", () => {
    const v = vectors.signal
    const alice = fingerprintDigits(suite, fromHex(v.aliceKey), utf8(v.aliceId))
    const bob = fingerprintDigits(suite, fromHex(v.bobKey), utf8(v.bobId))
    assert.equal(alice.length, 30)
    assert.equal(bob.length, 30)
    assert.equal(alice < bob ? alice + bob : bob + alice, v.displayable)
    const aliceScan = fingerprintScannableBytes(suite, fromHex(v.aliceKey), utf8(v.aliceId))
    const bobScan = fingerprintScannableBytes(suite, fromHex(v.bobKey), utf8(v.bobId))
    assert.equal(toHex(encodeSafetyNumberQr(aliceScan, bobScan)), v.aliceScannable)
    assert.equal(toHex(encodeSafetyNumberQr(bobScan, aliceScan)), v.bobScannable)
    assert.equal(compareSafetyNumberQr(fromHex(v.aliceScannable), fromHex(v.bobScannable)), true)
  })

  test('Ed25519 identity keys give the same digits and QR bytes as libsignal on their X25519 form', () => {
    for (const c of vectors.wren) {
      const local = { id: fromHex(c.localId), identityKey: fromHex(c.localIdentityKey) }
      const remote = { id: fromHex(c.remoteId), identityKey: fromHex(c.remoteIdentityKey) }
      const fp = safetyNumberFingerprint(suite, local, remote)
      assert.equal(fp.digits, c.digits)
      assert.equal(toHex(fp.qrPayload), c.localQrPayload)
    }
    const first = vectors.wren[0]
    assert.ok(first)
    assert.equal(
      safetyNumber(
        suite,
        { id: fromHex(first.localId), identityKey: fromHex(first.localIdentityKey) },
        { id: fromHex(first.remoteId), identityKey: fromHex(first.remoteIdentityKey) },
      ),
      first.digits,
    )
  })

  test('both parties compute the same 60-digit number and each accepts the QR code of the other', () => {
    const alice = party('alice')
    const bob = party('bob')
    const fromAlice = safetyNumberFingerprint(suite, alice, bob)
    const fromBob = safetyNumberFingerprint(suite, bob, alice)
    assert.match(fromAlice.digits, /^[0-9]{60}$/)
    assert.equal(fromAlice.digits, fromBob.digits)
    assert.notDeepEqual(fromAlice.qrPayload, fromBob.qrPayload)
    assert.equal(compareSafetyNumberQr(fromAlice.qrPayload, fromBob.qrPayload), true)
    assert.equal(verifySafetyNumberQr(suite, alice, bob, fromBob.qrPayload), true)
    // scanning your own screen (e.g. a mirror) is not a match
    assert.equal(compareSafetyNumberQr(fromAlice.qrPayload, fromAlice.qrPayload), false)
  })

  test('a different identity key or id changes the number and fails the QR check', () => {
    const alice = party('alice')
    const bob = party('bob')
    const mallory = { id: bob.id, identityKey: party('mallory').identityKey }
    const genuine = safetyNumberFingerprint(suite, alice, bob)
    const substituted = safetyNumberFingerprint(suite, alice, mallory)
    assert.notEqual(genuine.digits, substituted.digits)
    const mallorysView = safetyNumberQrPayload(suite, mallory, alice)
    assert.equal(compareSafetyNumberQr(genuine.qrPayload, mallorysView), false)
    const otherId = safetyNumber(suite, alice, { id: party('carol').id, identityKey: bob.identityKey })
    assert.notEqual(otherId, genuine.digits)
  })

  test('rejects malformed keys and QR payloads with typed errors', () => {
    assert.throws(() => fingerprintDigits(suite, new Uint8Array(33), utf8('x')), InvalidKeyError)
    assert.throws(() => fingerprintDigits(suite, new Uint8Array(32).fill(5), utf8('x')), InvalidKeyError)
    const v = fromHex(vectors.signal.aliceScannable)
    const otherVersion = v.slice()
    otherVersion[1] = 2
    assert.throws(() => decodeSafetyNumberQr(otherVersion), UnsupportedVersionError)
    assert.throws(() => decodeSafetyNumberQr(v.subarray(0, SAFETY_NUMBER_QR_BYTES - 1)), DecodeError)
    assert.throws(() => decodeSafetyNumberQr(utf8('https://example.org/')), DecodeError)
  })

  test('the QR decoder never throws untyped errors on random, truncated or bit-flipped input', () => {
    const result = fuzzDecoder(decodeSafetyNumberQr, {
      seed: 'safety-number-qr',
      maxLength: 160,
      samples: [fromHex(vectors.signal.aliceScannable), fromHex(vectors.signal.bobScannable)],
    })
    assert.ok(result.rejected > 0)
  })
})

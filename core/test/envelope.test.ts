import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import {
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  MAX_PADDED_BYTES,
  MAX_SEALED_BODY_BYTES,
  PADDING_BUCKETS,
} from '../src/constants.ts'
import { AES_GCM_TAG_BYTES } from '../src/crypto/suite.ts'
import { deviceDhPublicKey, deviceDhSecretKey } from '../src/device-certificate.ts'
import {
  CONTENT_TYPE_MESSAGE,
  CONTENT_TYPE_PREKEY,
  decodeEnvelope,
  encodeEnvelope,
  encodeSealedContent,
  openEnvelope,
  type SealedContent,
  sealEnvelope,
} from '../src/envelope.ts'
import {
  AeadError,
  DecodeError,
  InvalidKeyError,
  TooLargeError,
  UnsupportedVersionError,
  WrenCoreError,
} from '../src/errors.ts'
import { generateIdentityKeyPair } from '../src/identity.ts'
import { isPaddingBucket, pad, paddedLength, unpad } from '../src/padding.ts'

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

describe('padding', () => {
  test('buckets are ascending and the largest is MAX_PADDED_BYTES', () => {
    for (let i = 1; i < PADDING_BUCKETS.length; i++)
      assert.ok((PADDING_BUCKETS[i] as number) > (PADDING_BUCKETS[i - 1] as number))
    assert.equal(PADDING_BUCKETS.at(-1), MAX_PADDED_BYTES)
  })

  test('pad picks the smallest bucket that holds the data and the 0x80 marker', () => {
    assert.equal(pad(new Uint8Array(0)).length, 256)
    assert.equal(pad(new Uint8Array(255)).length, 256)
    assert.equal(pad(new Uint8Array(256)).length, 1024)
    assert.equal(pad(new Uint8Array(64 * 1024)).length, 128 * 1024)
    assert.equal(paddedLength(MAX_PADDED_BYTES - 1), MAX_PADDED_BYTES)
    assert.throws(() => paddedLength(MAX_PADDED_BYTES), TooLargeError)
  })

  test('unpad inverts pad, including data that ends in 0x80 or zero bytes', () => {
    const suite = seededSuite('padding')
    for (const data of [
      new Uint8Array(0),
      Uint8Array.of(0x80),
      Uint8Array.of(1, 0, 0),
      suite.randomBytes(1000),
    ]) {
      const padded = pad(data)
      assert.equal(padded[data.length], 0x80)
      assert.deepEqual(unpad(padded), data)
    }
  })

  test('unpad rejects non-bucket lengths and missing markers with DecodeError', () => {
    assert.throws(() => unpad(new Uint8Array(255)), DecodeError)
    assert.throws(() => unpad(new Uint8Array(256)), DecodeError)
    const noMarker = new Uint8Array(256)
    noMarker[10] = 0x7f
    assert.throws(() => unpad(noMarker), DecodeError)
  })
})

describe('sealed envelope', () => {
  const suite = seededSuite('envelope')
  const sender = { identity: generateIdentityKeyPair(suite), device: suite.ed25519Generate() }
  const recipientDevice = suite.ed25519Generate()
  const recipientKey = deviceDhPublicKey(suite, recipientDevice.publicKey)
  const recipientSecretKey = deviceDhSecretKey(suite, recipientDevice.secretKey)
  const content = (body: Uint8Array, type = CONTENT_TYPE_MESSAGE): SealedContent => ({
    type,
    senderIdentityKey: sender.identity.publicKey,
    senderDeviceKey: sender.device.publicKey,
    body,
  })

  test('seal then open returns the same content', () => {
    for (const type of [CONTENT_TYPE_PREKEY, CONTENT_TYPE_MESSAGE]) {
      const original = content(suite.randomBytes(300), type)
      const opened = openEnvelope(suite, {
        recipientSecretKey,
        envelope: sealEnvelope(suite, { recipientKey, content: original }),
      })
      assert.deepEqual({ ...opened }, { ...original })
    }
  })

  test('the sender identity and device keys do not appear in the sealed bytes', () => {
    const envelope = sealEnvelope(suite, { recipientKey, content: content(suite.randomBytes(50)) })
    assert.ok(contains(envelope, decodeEnvelope(envelope).ephemeralKey), 'search helper finds present bytes')
    assert.ok(!contains(envelope, sender.identity.publicKey))
    assert.ok(!contains(envelope, sender.device.publicKey))
    assert.ok(!contains(envelope, deviceDhPublicKey(suite, sender.device.publicKey)))
  })

  test('sealed plaintext lands on a padding bucket and envelopes of one bucket have one size', () => {
    const sizes = [0, 1, 100, 150, 900, 4000, 20_000, 70_000, 200_000, MAX_SEALED_BODY_BYTES]
    const byBucket = new Map<number, Set<number>>()
    for (const size of sizes) {
      const c = content(new Uint8Array(size).fill(7))
      const envelope = sealEnvelope(suite, { recipientKey, content: c })
      assert.ok(envelope.length <= MAX_ENVELOPE_BYTES)
      const padded = decodeEnvelope(envelope).ciphertext.length - AES_GCM_TAG_BYTES
      assert.ok(isPaddingBucket(padded), `${size} B body → ${padded} B padded`)
      assert.equal(padded, paddedLength(encodeSealedContent(c).length))
      const lengths = byBucket.get(padded) ?? new Set<number>()
      lengths.add(envelope.length)
      byBucket.set(padded, lengths)
    }
    assert.ok((byBucket.get(256)?.size ?? 0) === 1, 'the 0/1/100/150-byte bodies share one envelope size')
    for (const [bucket, lengths] of byBucket)
      assert.equal(lengths.size, 1, `bucket ${bucket}: ${[...lengths]}`)
  })

  test('a body past MAX_SEALED_BODY_BYTES is refused with TooLargeError', () => {
    assert.throws(
      () =>
        sealEnvelope(suite, { recipientKey, content: content(new Uint8Array(MAX_SEALED_BODY_BYTES + 1)) }),
      TooLargeError,
    )
  })

  test('sealing refuses malformed keys and unknown content types', () => {
    const c = content(new Uint8Array(1))
    assert.throws(
      () => sealEnvelope(suite, { recipientKey: new Uint8Array(31), content: c }),
      InvalidKeyError,
    )
    assert.throws(() => sealEnvelope(suite, { recipientKey, content: { ...c, type: 9 } }), InvalidKeyError)
    assert.throws(
      () => sealEnvelope(suite, { recipientKey, content: { ...c, senderDeviceKey: new Uint8Array(0) } }),
      InvalidKeyError,
    )
  })

  test('any tampered byte of the ciphertext or ephemeral key fails authentication', () => {
    const envelope = sealEnvelope(suite, { recipientKey, content: content(suite.randomBytes(40)) })
    const frame = decodeEnvelope(envelope)
    for (const at of [0, 17, frame.ciphertext.length - 1]) {
      const ciphertext = frame.ciphertext.slice()
      ciphertext[at] = (ciphertext[at] as number) ^ 0x01
      const tampered = encodeEnvelope({ ...frame, ciphertext })
      assert.throws(() => openEnvelope(suite, { recipientSecretKey, envelope: tampered }), AeadError)
    }
    const ephemeralKey = frame.ephemeralKey.slice()
    ephemeralKey[3] = (ephemeralKey[3] as number) ^ 0x01
    assert.throws(
      () => openEnvelope(suite, { recipientSecretKey, envelope: encodeEnvelope({ ...frame, ephemeralKey }) }),
      AeadError,
    )
    // Truncated ciphertext: still well-formed outer frame, fails the tag check.
    const truncated = encodeEnvelope({ ...frame, ciphertext: frame.ciphertext.slice(0, -1) })
    assert.throws(() => openEnvelope(suite, { recipientSecretKey, envelope: truncated }), AeadError)
  })

  test('an envelope opens with the recipient public key passed in, and not with a key that does not match', () => {
    const original = content(suite.randomBytes(120))
    const envelope = sealEnvelope(suite, { recipientKey, content: original })
    const opened = openEnvelope(suite, { recipientSecretKey, recipientPublicKey: recipientKey, envelope })
    assert.deepEqual({ ...opened }, { ...original })
    const otherKey = deviceDhPublicKey(suite, suite.ed25519Generate().publicKey)
    assert.throws(
      () => openEnvelope(suite, { recipientSecretKey, recipientPublicKey: otherKey, envelope }),
      AeadError,
    )
  })

  test('the wrong recipient cannot open the envelope', () => {
    const envelope = sealEnvelope(suite, { recipientKey, content: content(suite.randomBytes(40)) })
    const other = suite.ed25519Generate()
    assert.throws(
      () => openEnvelope(suite, { recipientSecretKey: deviceDhSecretKey(suite, other.secretKey), envelope }),
      AeadError,
    )
  })

  test('an unknown envelope version is rejected before decryption', () => {
    const frame = decodeEnvelope(sealEnvelope(suite, { recipientKey, content: content(new Uint8Array(5)) }))
    assert.equal(frame.version, ENVELOPE_VERSION)
    const v2 = encodeEnvelope({ ...frame, version: 2 })
    assert.throws(() => openEnvelope(suite, { recipientSecretKey, envelope: v2 }), UnsupportedVersionError)
  })

  test('malformed outer frames give typed errors, oversize input is refused before parsing', () => {
    assert.throws(() => decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)), DecodeError)
    assert.throws(() => decodeEnvelope(Uint8Array.of(0x0a, 0xff)), DecodeError)
    const frame = decodeEnvelope(sealEnvelope(suite, { recipientKey, content: content(new Uint8Array(5)) }))
    assert.throws(
      () => decodeEnvelope(encodeEnvelope({ ...frame, ephemeralKey: new Uint8Array(31) })),
      DecodeError,
    )
    assert.throws(
      () => decodeEnvelope(encodeEnvelope({ ...frame, ciphertext: new Uint8Array(15) })),
      DecodeError,
    )
    // An all-zero (low-order) ephemeral key is a typed error, not a crash.
    assert.throws(
      () =>
        openEnvelope(suite, {
          recipientSecretKey,
          envelope: encodeEnvelope({ ...frame, ephemeralKey: new Uint8Array(32) }),
        }),
      WrenCoreError,
    )
  })
})

/**
 * Every identity-layer decoder of untrusted bytes, fed random, truncated and bit-flipped input:
 * only typed WrenCoreError subclasses may come out, never a crash or an untyped exception.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import {
  MAX_BUNDLE_BYTES,
  MAX_DEVICE_CERTIFICATE_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_PREKEY_BYTES,
  MAX_PREKEY_MESSAGE_BYTES,
} from '../src/constants.ts'
import {
  decodeDeviceCertificate,
  deviceDhPublicKey,
  deviceDhSecretKey,
  encodeDeviceCertificate,
} from '../src/device-certificate.ts'
import {
  CONTENT_TYPE_PREKEY,
  decodeEnvelope,
  decodePrekeyMessage,
  decodeSealedContent,
  encodePrekeyMessage,
  encodeSealedContent,
  openEnvelope,
  sealEnvelope,
} from '../src/envelope.ts'
import { DecodeError } from '../src/errors.ts'
import { formatUserId, parseUserId } from '../src/identity.ts'
import { pad, unpad } from '../src/padding.ts'
import { pqxdhInitiate } from '../src/pqxdh.ts'
import { verifyPrekeyBundle } from '../src/prekey-bundle.ts'
import {
  decodeOneTimePrekey,
  decodePrekeyBundle,
  decodeSignedKemPrekey,
  encodeOneTimePrekey,
  encodePrekeyBundle,
  encodeSignedKemPrekey,
} from '../src/prekey-bundle-codec.ts'
import { makeDevice, NOW } from './identity-fixtures.ts'

describe('identity-layer decoders under fuzzing', () => {
  const suite = seededSuite('fuzz-identity')
  const alice = makeDevice(suite)
  const bob = makeDevice(suite)
  const recipientKey = deviceDhPublicKey(suite, bob.device.publicKey)
  const recipientSecretKey = deviceDhSecretKey(suite, bob.device.secretKey)
  const init = pqxdhInitiate(suite, {
    identity: alice.identity,
    bundle: bob.bundle,
    oneTimePrekey: bob.publicOneTimePrekey,
  })
  const prekeyMessage = encodePrekeyMessage({ header: init.header, message: suite.randomBytes(64) })
  const sealedContent = {
    type: CONTENT_TYPE_PREKEY,
    senderIdentityKey: alice.identity.publicKey,
    senderDeviceKey: alice.device.publicKey,
    body: prekeyMessage,
  }
  const envelope = sealEnvelope(suite, { recipientKey, content: sealedContent })

  function overCap(decode: (bytes: Uint8Array) => unknown, cap: number) {
    assert.throws(() => decode(new Uint8Array(cap + 1)), DecodeError)
  }

  test('decodeDeviceCertificate', () => {
    fuzzDecoder(decodeDeviceCertificate, {
      seed: 'cert',
      samples: [encodeDeviceCertificate(alice.bundle.deviceCertificate)],
    })
    overCap(decodeDeviceCertificate, MAX_DEVICE_CERTIFICATE_BYTES)
  })

  test('decodePrekeyBundle, then verifyPrekeyBundle on whatever decodes', () => {
    const decodeAndVerify = (bytes: Uint8Array) =>
      verifyPrekeyBundle(suite, decodePrekeyBundle(bytes), { now: NOW })
    const { accepted } = fuzzDecoder(decodeAndVerify, {
      seed: 'bundle',
      runs: 200,
      samples: [encodePrekeyBundle(alice.bundle)],
    })
    assert.equal(accepted, 0, 'no mutated bundle decodes and verifies (canonical encoding + signature)')
    fuzzDecoder(decodePrekeyBundle, { seed: 'bundle-decode-only', runs: 300 })
    overCap(decodePrekeyBundle, MAX_BUNDLE_BYTES)
  })

  test('decodeSignedKemPrekey and decodeOneTimePrekey', () => {
    fuzzDecoder(decodeSignedKemPrekey, {
      seed: 'kem-prekey',
      samples: [encodeSignedKemPrekey(alice.signedOneTimeKemPrekey)],
    })
    fuzzDecoder(decodeOneTimePrekey, {
      seed: 'otpk',
      samples: [encodeOneTimePrekey(alice.publicOneTimePrekey)],
    })
    overCap(decodeSignedKemPrekey, MAX_PREKEY_BYTES)
    overCap(decodeOneTimePrekey, MAX_PREKEY_BYTES)
  })

  test('decodeEnvelope and openEnvelope', () => {
    fuzzDecoder(decodeEnvelope, { seed: 'envelope', samples: [envelope] })
    // Protobuf admits other encodings of one frame (e.g. a field's wire type bits), so a mutation
    // may still open: it must then yield exactly the sealed content (AEAD binds the meaning).
    const open = (bytes: Uint8Array) => {
      const opened = openEnvelope(suite, { recipientSecretKey, envelope: bytes })
      assert.deepEqual(encodeSealedContent(opened), encodeSealedContent(sealedContent))
    }
    fuzzDecoder(open, { seed: 'open', runs: 200, samples: [envelope] })
    overCap(decodeEnvelope, MAX_ENVELOPE_BYTES)
  })

  test('decodeSealedContent and unpad (the decrypted side)', () => {
    const encoded = encodeSealedContent(sealedContent)
    fuzzDecoder(decodeSealedContent, { seed: 'sealed', samples: [encoded] })
    fuzzDecoder(unpad, { seed: 'unpad', maxLength: 1100, samples: [pad(encoded)] })
  })

  test('decodePrekeyMessage', () => {
    fuzzDecoder(decodePrekeyMessage, { seed: 'prekey-message', samples: [prekeyMessage] })
    overCap(decodePrekeyMessage, MAX_PREKEY_MESSAGE_BYTES)
  })

  test('parseUserId on random strings', () => {
    const random = seededRandom('user-id-strings')
    const parse = (bytes: Uint8Array) => parseUserId(String.fromCharCode(...bytes))
    fuzzDecoder(parse, {
      seed: 'user-id',
      maxLength: 40,
      samples: [new TextEncoder().encode(formatUserId(random(16)))],
    })
  })
})

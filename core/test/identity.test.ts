import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { toHex } from '../src/bytes.ts'
import { DEVICE_CERTIFICATE_VERSION, MAX_DEVICE_CERTIFICATE_BYTES } from '../src/constants.ts'
import {
  type DeviceCertificate,
  decodeDeviceCertificate,
  deviceDhPublicKey,
  deviceDhSecretKey,
  encodeDeviceCertificate,
  signDeviceCertificate,
  verifyDeviceCertificate,
} from '../src/device-certificate.ts'
import {
  DecodeError,
  InvalidKeyError,
  InvalidSignatureError,
  UnsupportedVersionError,
} from '../src/errors.ts'
import {
  formatUserId,
  generateIdentityKeyPair,
  identityDhPublicKey,
  identityDhSecretKey,
  identityKeyPairFromSeed,
  parseUserId,
  userIdFromIdentityKey,
} from '../src/identity.ts'
import { DeviceCertificate as DeviceCertificateProto } from '../src/proto/identity.ts'
import { fakePeerId, NOW } from './identity-fixtures.ts'

describe('user id', () => {
  // Vector: seededSuite('identity-user-id-vector'); the hash and base32 were cross-checked with
  // Python's hashlib and base64.b32encode.
  const VECTOR = {
    seed: '229b1e415f7e99fb8112976f31b3991a13ddde23e82eb2b8ee1ba671d87ba3db',
    identityKey: 'c1779d2343422c0b9b2e444033cf863fd83118318061a1bd5889316f04a2564c',
    userId: 'a49cbacee5a3ee56cadf10a79b2d5e69',
    printed: 'wuusolvtxfupxfnsw7cctzwlk6ne',
  }

  test('derivation from a seeded identity key matches the fixed vector', () => {
    const suite = seededSuite('identity-user-id-vector')
    const identity = generateIdentityKeyPair(suite)
    assert.equal(toHex(identity.secretKey), VECTOR.seed)
    assert.equal(toHex(identity.publicKey), VECTOR.identityKey)
    const userId = userIdFromIdentityKey(suite, identity.publicKey)
    assert.equal(toHex(userId), VECTOR.userId)
    assert.equal(formatUserId(userId), VECTOR.printed)
    assert.equal(toHex(parseUserId(VECTOR.printed)), VECTOR.userId)
  })

  test('an identity restored from its seed has the same key and user id', () => {
    const suite = seededSuite('identity-restore')
    const identity = generateIdentityKeyPair(suite)
    const restored = identityKeyPairFromSeed(suite, identity.secretKey)
    assert.deepEqual(restored.publicKey, identity.publicKey)
    assert.deepEqual(
      userIdFromIdentityKey(suite, restored.publicKey),
      userIdFromIdentityKey(suite, identity.publicKey),
    )
  })

  test('distinct identity keys give distinct user ids', () => {
    const suite = seededSuite('identity-distinct')
    const a = userIdFromIdentityKey(suite, generateIdentityKeyPair(suite).publicKey)
    const b = userIdFromIdentityKey(suite, generateIdentityKeyPair(suite).publicKey)
    assert.notDeepEqual(a, b)
  })

  test('formatting uses lowercase RFC 4648 base32 without padding, prefixed wu', () => {
    assert.equal(formatUserId(new Uint8Array(16)), `wu${'a'.repeat(26)}`)
    assert.equal(formatUserId(new Uint8Array(16).fill(0xff)), `wu${'7'.repeat(25)}4`)
  })

  test('parsing accepts any letter case and round-trips random ids', () => {
    const suite = seededSuite('identity-parse')
    for (let i = 0; i < 50; i++) {
      const id = suite.randomBytes(16)
      assert.deepEqual(parseUserId(formatUserId(id)), id)
      assert.deepEqual(parseUserId(formatUserId(id).toUpperCase()), id)
    }
  })

  test('malformed printed ids are rejected with DecodeError', () => {
    const good = VECTOR.printed
    for (const bad of [
      '',
      good.slice(0, -1),
      `${good}a`,
      `wx${good.slice(2)}`,
      `${good.slice(0, -1)}1`,
      `${good.slice(0, -1)}=`,
      `wu${'7'.repeat(26)}`, // non-zero trailing bits: does not format back to itself
    ]) {
      assert.throws(() => parseUserId(bad), DecodeError, `accepted ${JSON.stringify(bad)}`)
    }
  })

  test('user id derivation rejects a key of the wrong length', () => {
    assert.throws(() => userIdFromIdentityKey(seededSuite('x'), new Uint8Array(31)), InvalidKeyError)
  })

  test('X25519 forms of two identity keys agree on a shared secret', () => {
    const suite = seededSuite('identity-dh')
    const a = generateIdentityKeyPair(suite)
    const b = generateIdentityKeyPair(suite)
    const ab = suite.x25519(identityDhSecretKey(suite, a.secretKey), identityDhPublicKey(suite, b.publicKey))
    const ba = suite.x25519(identityDhSecretKey(suite, b.secretKey), identityDhPublicKey(suite, a.publicKey))
    assert.deepEqual(ab, ba)
    assert.deepEqual(
      suite.x25519PublicKey(identityDhSecretKey(suite, a.secretKey)),
      identityDhPublicKey(suite, a.publicKey),
    )
  })
})

describe('device certificate', () => {
  function setup(seed: string) {
    const suite = seededSuite(seed)
    const identity = generateIdentityKeyPair(suite)
    const device = suite.ed25519Generate()
    const cert = signDeviceCertificate(suite, identity, {
      devicePeerId: fakePeerId(device.publicKey),
      deviceKey: device.publicKey,
      createdAt: NOW,
    })
    return { suite, identity, device, cert }
  }

  test('a signed certificate verifies and carries the current version', () => {
    const { suite, identity, cert } = setup('cert-ok')
    assert.equal(cert.version, DEVICE_CERTIFICATE_VERSION)
    assert.deepEqual(cert.identityKey, identity.publicKey)
    verifyDeviceCertificate(suite, cert)
  })

  test('changing any signed field breaks the signature', () => {
    const { suite, cert } = setup('cert-tamper')
    const flip = (b: Uint8Array) => {
      const c = b.slice()
      c[0] = (c[0] as number) ^ 1
      return c
    }
    const tampered: DeviceCertificate[] = [
      { ...cert, identityKey: generateIdentityKeyPair(suite).publicKey },
      { ...cert, devicePeerId: flip(cert.devicePeerId) },
      { ...cert, deviceKey: suite.ed25519Generate().publicKey },
      { ...cert, createdAt: cert.createdAt + 1 },
      { ...cert, signature: flip(cert.signature) },
    ]
    for (const t of tampered) assert.throws(() => verifyDeviceCertificate(suite, t), InvalidSignatureError)
  })

  test('a certificate signed by another identity does not verify under the claimed one', () => {
    const { suite, cert } = setup('cert-other-ik')
    const mallory = generateIdentityKeyPair(suite)
    const forged = signDeviceCertificate(suite, mallory, {
      devicePeerId: cert.devicePeerId,
      deviceKey: cert.deviceKey,
      createdAt: cert.createdAt,
    })
    assert.throws(
      () => verifyDeviceCertificate(suite, { ...forged, identityKey: cert.identityKey }),
      InvalidSignatureError,
    )
  })

  test('an unknown version is rejected with UnsupportedVersionError', () => {
    const { suite, cert } = setup('cert-version')
    assert.throws(() => verifyDeviceCertificate(suite, { ...cert, version: 2 }), UnsupportedVersionError)
    const encoded = DeviceCertificateProto.encode({
      ...DeviceCertificateProto.decode(encodeDeviceCertificate(cert)),
      version: 2,
    })
    assert.throws(() => decodeDeviceCertificate(encoded), UnsupportedVersionError)
  })

  test('encode/decode round-trips and the decoded certificate verifies', () => {
    const { suite, cert } = setup('cert-codec')
    const decoded = decodeDeviceCertificate(encodeDeviceCertificate(cert))
    assert.deepEqual({ ...decoded }, { ...cert })
    verifyDeviceCertificate(suite, decoded)
  })

  test('decoding rejects oversize input and wrong field sizes with DecodeError', () => {
    const { cert } = setup('cert-decode')
    assert.throws(
      () => decodeDeviceCertificate(new Uint8Array(MAX_DEVICE_CERTIFICATE_BYTES + 1)),
      DecodeError,
    )
    const proto = DeviceCertificateProto.decode(encodeDeviceCertificate(cert))
    assert.throws(
      () =>
        decodeDeviceCertificate(DeviceCertificateProto.encode({ ...proto, deviceKey: new Uint8Array(31) })),
      DecodeError,
    )
    assert.throws(
      () =>
        decodeDeviceCertificate(DeviceCertificateProto.encode({ ...proto, signature: new Uint8Array(0) })),
      DecodeError,
    )
  })

  test('signing refuses malformed inputs with InvalidKeyError', () => {
    const { suite, identity, device } = setup('cert-sign-bad')
    const fields = { devicePeerId: fakePeerId(device.publicKey), deviceKey: device.publicKey, createdAt: NOW }
    assert.throws(
      () => signDeviceCertificate(suite, identity, { ...fields, deviceKey: new Uint8Array(33) }),
      InvalidKeyError,
    )
    assert.throws(
      () => signDeviceCertificate(suite, identity, { ...fields, devicePeerId: new Uint8Array(0) }),
      InvalidKeyError,
    )
    assert.throws(() => signDeviceCertificate(suite, identity, { ...fields, createdAt: -1 }), InvalidKeyError)
  })

  test('the X25519 form of a device key is what its seed derives', () => {
    const { suite, device } = setup('cert-dh')
    assert.deepEqual(
      suite.x25519PublicKey(deviceDhSecretKey(suite, device.secretKey)),
      deviceDhPublicKey(suite, device.publicKey),
    )
  })
})

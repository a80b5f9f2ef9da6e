import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { concatBytes } from '../src/bytes.ts'
import {
  MAX_BUNDLE_AGE_MS,
  MAX_BUNDLE_BYTES,
  MAX_BUNDLE_FUTURE_SKEW_MS,
  MAX_MAILBOX_HINTS,
  PREKEY_BUNDLE_VERSION,
} from '../src/constants.ts'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { signDeviceCertificate } from '../src/device-certificate.ts'
import {
  DecodeError,
  ExpiredError,
  InvalidKeyError,
  InvalidSignatureError,
  UnsupportedVersionError,
} from '../src/errors.ts'
import { generateIdentityKeyPair } from '../src/identity.ts'
import {
  type PrekeyBundle,
  signKemPrekey,
  signPrekey,
  signPrekeyBundle,
  verifyKemPrekey,
  verifyPrekeyBundle,
  verifySignedPrekey,
} from '../src/prekey-bundle.ts'
import {
  decodeOneTimePrekey,
  decodePrekeyBundle,
  decodeSignedKemPrekey,
  encodeOneTimePrekey,
  encodePrekeyBundle,
  encodeSignedKemPrekey,
} from '../src/prekey-bundle-codec.ts'
import { PrekeyBundle as PrekeyBundleProto } from '../src/proto/identity.ts'
import { fakePeerId, makeDevice, makeMailboxes, NOW } from './identity-fixtures.ts'

function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = bytes.slice()
  copy[at] = (copy[at] as number) ^ 0x01
  return copy
}

describe('prekey bundle', () => {
  const suite = seededSuite('prekey-bundle')
  const alice = makeDevice(suite)
  const { bundle } = alice

  test('a freshly signed bundle verifies and carries the current version', () => {
    assert.equal(bundle.version, PREKEY_BUNDLE_VERSION)
    verifyPrekeyBundle(suite, bundle, { now: NOW })
    verifyPrekeyBundle(suite, bundle, { now: NOW, identityKey: alice.identity.publicKey })
  })

  test('changing any signed field of the bundle breaks the signature', () => {
    const mailbox = bundle.mailboxes[0]
    assert.ok(mailbox)
    const tampered: Array<[string, PrekeyBundle]> = [
      ['createdAt', { ...bundle, createdAt: bundle.createdAt - 1 }],
      ['signature', { ...bundle, signature: flipped(bundle.signature) }],
      ['mailbox dropped', { ...bundle, mailboxes: bundle.mailboxes.slice(1) }],
      ['mailbox inbox', { ...bundle, mailboxes: [{ ...mailbox, inboxId: flipped(mailbox.inboxId) }] }],
      [
        'mailbox addr',
        { ...bundle, mailboxes: [{ ...mailbox, addrs: [flipped(mailbox.addrs[0] as Uint8Array, 1)] }] },
      ],
      ['mailbox added', { ...bundle, mailboxes: [...bundle.mailboxes, ...makeMailboxes(suite, 1)] }],
    ]
    for (const [what, t] of tampered) {
      assert.throws(() => verifyPrekeyBundle(suite, t, { now: NOW }), InvalidSignatureError, what)
    }
  })

  test('swapping in another validly signed prekey of the same identity breaks the bundle signature', () => {
    const otherSpk = signPrekey(suite, alice.identity, 8, suite.x25519Generate().publicKey)
    assert.throws(
      () => verifyPrekeyBundle(suite, { ...bundle, signedPrekey: otherSpk }, { now: NOW }),
      /prekey bundle signature/,
    )
    const otherCert = signDeviceCertificate(suite, alice.identity, {
      devicePeerId: bundle.deviceCertificate.devicePeerId,
      deviceKey: bundle.deviceCertificate.deviceKey,
      createdAt: NOW + 1,
    })
    assert.throws(
      () => verifyPrekeyBundle(suite, { ...bundle, deviceCertificate: otherCert }, { now: NOW }),
      InvalidSignatureError,
    )
  })

  test('a bundle claimed for the wrong identity key is rejected', () => {
    const mallory = generateIdentityKeyPair(suite)
    assert.throws(
      () => verifyPrekeyBundle(suite, { ...bundle, identityKey: mallory.publicKey }, { now: NOW }),
      InvalidSignatureError,
    )
    // Correctly signed, but not the identity the caller expects (e.g. a pinned contact).
    assert.throws(
      () => verifyPrekeyBundle(suite, bundle, { now: NOW, identityKey: mallory.publicKey }),
      InvalidSignatureError,
    )
  })

  test('a bundle re-signed by another identity around the victim certificate is rejected', () => {
    const mallory = generateIdentityKeyPair(suite)
    const forged = {
      ...bundle,
      identityKey: mallory.publicKey,
      signedPrekey: signPrekey(suite, mallory, 7, suite.x25519Generate().publicKey),
      kemPrekey: signKemPrekey(suite, mallory, 9, suite.mlkemGenerate().publicKey, true),
    }
    assert.throws(() => verifyPrekeyBundle(suite, forged, { now: NOW }), /device certificate belongs/)
    assert.throws(
      () =>
        signPrekeyBundle(suite, mallory, {
          deviceCertificate: bundle.deviceCertificate,
          signedPrekey: forged.signedPrekey,
          kemPrekey: forged.kemPrekey,
          mailboxes: [],
          createdAt: NOW,
        }),
      InvalidKeyError,
    )
  })

  test('a bad signed-prekey or KEM-prekey signature is caught by the prekey check', () => {
    const badSpk = { ...bundle.signedPrekey, signature: flipped(bundle.signedPrekey.signature) }
    assert.throws(
      () => verifyPrekeyBundle(suite, { ...bundle, signedPrekey: badSpk }, { now: NOW }),
      /signed prekey/,
    )
    const badKem = { ...bundle.kemPrekey, signature: flipped(bundle.kemPrekey.signature) }
    assert.throws(
      () => verifyPrekeyBundle(suite, { ...bundle, kemPrekey: badKem }, { now: NOW }),
      /KEM prekey/,
    )
    // The lastResort flag is signed: flipping it invalidates the prekey signature.
    const flippedFlag = { ...alice.signedOneTimeKemPrekey, lastResort: true }
    assert.throws(() => verifyKemPrekey(suite, alice.identity.publicKey, flippedFlag), InvalidSignatureError)
    // Prekeys signed by someone else.
    const mallory = generateIdentityKeyPair(suite)
    const foreign = signPrekey(suite, mallory, 1, suite.x25519Generate().publicKey)
    assert.throws(() => verifySignedPrekey(suite, alice.identity.publicKey, foreign), InvalidSignatureError)
    assert.throws(
      () => signPrekeyBundle(suite, alice.identity, { ...bundle, signedPrekey: foreign }),
      InvalidSignatureError,
    )
  })

  test('signing refuses a bundle whose KEM prekey is not last-resort', () => {
    assert.throws(
      () => signPrekeyBundle(suite, alice.identity, { ...bundle, kemPrekey: alice.signedOneTimeKemPrekey }),
      InvalidKeyError,
    )
  })

  test('validity window: too old or too far in the future gives ExpiredError, edges are accepted', () => {
    verifyPrekeyBundle(suite, bundle, { now: NOW + MAX_BUNDLE_AGE_MS })
    verifyPrekeyBundle(suite, bundle, { now: NOW - MAX_BUNDLE_FUTURE_SKEW_MS })
    assert.throws(() => verifyPrekeyBundle(suite, bundle, { now: NOW + MAX_BUNDLE_AGE_MS + 1 }), ExpiredError)
    assert.throws(
      () => verifyPrekeyBundle(suite, bundle, { now: NOW - MAX_BUNDLE_FUTURE_SKEW_MS - 1 }),
      ExpiredError,
    )
  })

  test('an unknown version is rejected with UnsupportedVersionError', () => {
    assert.throws(
      () => verifyPrekeyBundle(suite, { ...bundle, version: 2 }, { now: NOW }),
      UnsupportedVersionError,
    )
    const proto = PrekeyBundleProto.decode(encodePrekeyBundle(bundle))
    assert.throws(
      () => decodePrekeyBundle(PrekeyBundleProto.encode({ ...proto, version: 2 })),
      UnsupportedVersionError,
    )
    const cert = proto.deviceCertificate
    assert.ok(cert)
    assert.throws(
      () =>
        decodePrekeyBundle(
          PrekeyBundleProto.encode({ ...proto, deviceCertificate: { ...cert, version: 0 } }),
        ),
      UnsupportedVersionError,
    )
  })

  test('encode/decode round-trips and the decoded bundle verifies', () => {
    const encoded = encodePrekeyBundle(bundle)
    assert.ok(encoded.length < MAX_BUNDLE_BYTES)
    const decoded = decodePrekeyBundle(encoded)
    assert.deepEqual(JSON.stringify(decoded), JSON.stringify(bundle))
    verifyPrekeyBundle(suite, decoded, { now: NOW })
    assert.deepEqual(encodePrekeyBundle(decoded), encoded)
  })

  test('a bundle at the mailbox-hint limit fits under MAX_BUNDLE_BYTES', () => {
    const big = signPrekeyBundle(suite, alice.identity, {
      ...bundle,
      mailboxes: Array.from({ length: MAX_MAILBOX_HINTS }, () => ({
        relayPeerId: new Uint8Array(64).fill(1),
        inboxId: new Uint8Array(64).fill(2),
        addrs: Array.from({ length: 4 }, () => new Uint8Array(256).fill(3)),
      })),
    })
    const encoded = encodePrekeyBundle(big)
    assert.ok(encoded.length <= MAX_BUNDLE_BYTES, `${encoded.length} bytes`)
    verifyPrekeyBundle(suite, decodePrekeyBundle(encoded), { now: NOW })
  })

  test('decoding rejects oversize input, too many mailboxes and wrong key sizes with DecodeError', () => {
    assert.throws(() => decodePrekeyBundle(new Uint8Array(MAX_BUNDLE_BYTES + 1)), DecodeError)
    const proto = PrekeyBundleProto.decode(encodePrekeyBundle(bundle))
    const mailboxes = Array.from(
      { length: MAX_MAILBOX_HINTS + 1 },
      () => proto.mailboxes[0] as (typeof proto.mailboxes)[0],
    )
    assert.throws(() => decodePrekeyBundle(PrekeyBundleProto.encode({ ...proto, mailboxes })), DecodeError)
    const spk = proto.signedPrekey
    assert.ok(spk)
    assert.throws(
      () =>
        decodePrekeyBundle(
          PrekeyBundleProto.encode({ ...proto, signedPrekey: { ...spk, publicKey: new Uint8Array(31) } }),
        ),
      DecodeError,
    )
    assert.throws(
      () => decodePrekeyBundle(PrekeyBundleProto.encode({ ...proto, kemPrekey: undefined })),
      DecodeError,
    )
    // Non-canonical encodings of a valid bundle: an unknown field appended, a field's wire type changed.
    const encoded = encodePrekeyBundle(bundle)
    assert.throws(() => decodePrekeyBundle(concatBytes(encoded, Uint8Array.of(0x78, 0x01))), /non-canonical/)
    const retyped = encoded.slice()
    assert.equal(retyped[0], 0x08) // field 1 (version), varint
    retyped[0] = 0x0d // field 1, wire type 5: protons would read the value the same way
    assert.throws(() => decodePrekeyBundle(retyped), DecodeError)
    assert.throws(
      () => decodePrekeyBundle(PrekeyBundleProto.encode({ ...proto, identityKey: new Uint8Array(0) })),
      DecodeError,
    )
  })

  test('one-time prekey codecs round-trip and keep the KEM signature valid', () => {
    const otk = decodeSignedKemPrekey(encodeSignedKemPrekey(alice.signedOneTimeKemPrekey))
    assert.equal(otk.lastResort, false)
    verifyKemPrekey(suite, alice.identity.publicKey, otk)
    const opk = decodeOneTimePrekey(encodeOneTimePrekey(alice.publicOneTimePrekey))
    assert.deepEqual({ ...opk }, { id: 101, publicKey: alice.oneTimePrekey.publicKey })
  })

  test('a device certificate of another identity cannot be bundled', () => {
    const bob = makeDevice(seededSuite('prekey-bundle-bob'))
    const cert = signDeviceCertificate(suite, bob.identity, {
      devicePeerId: fakePeerId(bob.device.publicKey),
      deviceKey: bob.device.publicKey,
      createdAt: NOW,
    })
    assert.throws(
      () => signPrekeyBundle(suite, alice.identity, { ...bundle, deviceCertificate: cert }),
      InvalidKeyError,
    )
  })

  test('re-checking an unchanged, already checked prekey, certificate or bundle costs no verification', () => {
    const counted = countingVerifies(seededSuite('prekey-bundle-count'))
    const dev = makeDevice(counted.suite)
    const spk = signPrekey(counted.suite, dev.identity, 7, counted.suite.x25519Generate().publicKey)
    const kem = signKemPrekey(counted.suite, dev.identity, 8, dev.kemPrekey.publicKey, true)
    const fields = { deviceCertificate: dev.bundle.deviceCertificate, signedPrekey: spk, kemPrekey: kem }
    counted.verifies = 0
    // Prekeys this module just signed and a certificate it checked before: nothing to verify.
    const signed = signPrekeyBundle(counted.suite, dev.identity, { ...fields, mailboxes: [], createdAt: NOW })
    assert.equal(counted.verifies, 0)
    // A received bundle is verified in full once (certificate, two prekeys, bundle), then no more.
    const received = decodePrekeyBundle(encodePrekeyBundle(signed))
    verifyPrekeyBundle(counted.suite, received, { now: NOW })
    assert.equal(counted.verifies, 4)
    verifyPrekeyBundle(counted.suite, received, { now: NOW })
    assert.equal(counted.verifies, 4)
    // The window is still checked on every call.
    assert.throws(
      () => verifyPrekeyBundle(counted.suite, received, { now: NOW + MAX_BUNDLE_AGE_MS + 1 }),
      ExpiredError,
    )
  })

  test('a checked bundle or prekey changed in place afterwards is verified again and refused', () => {
    const dev = makeDevice(seededSuite('prekey-bundle-mutate'))
    const copy = () => decodePrekeyBundle(encodePrekeyBundle(dev.bundle))
    const cases: [string, (b: PrekeyBundle) => void][] = [
      ['signed prekey bytes', (b) => b.signedPrekey.publicKey.set([1, 2, 3])],
      ['signed prekey signature', (b) => b.signedPrekey.signature.set([1, 2, 3])],
      ['KEM prekey bytes', (b) => b.kemPrekey.publicKey.set([1, 2, 3])],
      ['certificate device key', (b) => b.deviceCertificate.deviceKey.set([1, 2, 3])],
      ['bundle signature', (b) => b.signature.set([1, 2, 3])],
      ['identity key', (b) => b.identityKey.set(generateIdentityKeyPair(suite).publicKey)],
      ['mailboxes', (b) => b.mailboxes.push(...makeMailboxes(suite, 1))],
    ]
    for (const [what, mutate] of cases) {
      const b = copy()
      verifyPrekeyBundle(suite, b, { now: NOW })
      mutate(b)
      assert.throws(() => verifyPrekeyBundle(suite, b, { now: NOW }), InvalidSignatureError, what)
    }
    // A prekey checked under one identity key proves nothing under another.
    const spk = copy().signedPrekey
    verifySignedPrekey(suite, dev.identity.publicKey, spk)
    assert.throws(() => verifySignedPrekey(suite, alice.identity.publicKey, spk), InvalidSignatureError)
  })

  test('a prekey signed with a key pair whose halves do not match is not vouched for', () => {
    const mallory = generateIdentityKeyPair(suite)
    const mismatched = { publicKey: alice.identity.publicKey, secretKey: mallory.secretKey }
    const spk = signPrekey(suite, mismatched, 9, suite.x25519Generate().publicKey)
    assert.throws(() => verifySignedPrekey(suite, alice.identity.publicKey, spk), InvalidSignatureError)
    const kem = signKemPrekey(suite, mismatched, 10, alice.kemPrekey.publicKey, true)
    assert.throws(() => verifyKemPrekey(suite, alice.identity.publicKey, kem), InvalidSignatureError)
  })
})

/** A real suite whose ed25519Verify calls are counted. */
function countingVerifies(inner: CryptoSuite): { suite: CryptoSuite; verifies: number } {
  const counter = {
    verifies: 0,
    suite: {
      ...inner,
      ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
        counter.verifies++
        return inner.ed25519Verify(publicKey, message, signature)
      },
    },
  }
  return counter
}

/**
 * Identity succession: a user changes identity key and keeps the user id their contacts know,
 * while nobody else can claim that user id in a prekey bundle or a contact card.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { fromBase64url, toBase64url } from '../src/base64url.ts'
import { bytesEqual } from '../src/bytes.ts'
import {
  type ContactCard,
  decodeContactCard,
  encodeContactCard,
  parseContactCard,
  signContactCard,
} from '../src/contact-card.ts'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { signDeviceCertificate } from '../src/device-certificate.ts'
import { DecodeError, InvalidKeyError, InvalidSignatureError } from '../src/errors.ts'
import { generateIdentityKeyPair, type IdentityKeyPair, userIdFromIdentityKey } from '../src/identity.ts'
import {
  type IdentitySuccession,
  isUserBound,
  signIdentitySuccession,
  verifyUserBinding,
} from '../src/identity-succession.ts'
import {
  type PrekeyBundle,
  signKemPrekey,
  signPrekey,
  signPrekeyBundle,
  verifyPrekeyBundle,
  verifyPrekeyBundleSignatures,
} from '../src/prekey-bundle.ts'
import { decodePrekeyBundle, encodePrekeyBundle } from '../src/prekey-bundle-codec.ts'
import { ContactCard as ContactCardProto } from '../src/proto/contact-card.ts'
import { PrekeyBundle as PrekeyBundleProto } from '../src/proto/identity.ts'
import { fakePeerId, makeDevice, makeMailboxes, NOW } from './identity-fixtures.ts'

const suite = seededSuite('identity-succession')

function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = bytes.slice()
  copy[at] = (copy[at] as number) ^ 0x01
  return copy
}

/** A user who moved from `origin` to `current`: the user id still derives from `origin`. */
function rotatedUser(s: CryptoSuite = suite) {
  const origin = generateIdentityKeyPair(s)
  const current = generateIdentityKeyPair(s)
  const userId = userIdFromIdentityKey(s, origin.publicKey)
  const succession = signIdentitySuccession(s, origin, current.publicKey)
  return { origin, current, userId, succession }
}

/** A bundle signed by `identity` naming `userId` (through `succession` when given). */
function bundleFor(
  identity: IdentityKeyPair,
  extra: { userId?: Uint8Array; succession?: IdentitySuccession | null } = {},
): PrekeyBundle {
  const device = suite.ed25519Generate()
  return signPrekeyBundle(suite, identity, {
    deviceCertificate: signDeviceCertificate(suite, identity, {
      devicePeerId: fakePeerId(device.publicKey),
      deviceKey: device.publicKey,
      createdAt: NOW,
    }),
    signedPrekey: signPrekey(suite, identity, 1, suite.x25519Generate().publicKey),
    kemPrekey: signKemPrekey(suite, identity, 2, suite.mlkemGenerate().publicKey, true),
    mailboxes: makeMailboxes(suite, 2),
    createdAt: NOW,
    ...extra,
  })
}

function cardFor(
  identity: IdentityKeyPair,
  userId: Uint8Array,
  succession?: IdentitySuccession | null,
): ContactCard {
  return signContactCard(suite, identity, {
    userId,
    identityKey: identity.publicKey,
    displayName: 'Alice',
    devicePeerId: fakePeerId(suite.randomBytes(32)),
    addrs: [Uint8Array.of(4, 127, 0, 0, 1, 6, 0x1f, 0x90)],
    createdAt: NOW,
    ...(succession === undefined ? {} : { succession }),
  })
}

describe('identity succession: binding a user id to an identity key', () => {
  test('a user id is bound to the identity key it derives from, without a succession', () => {
    const alice = generateIdentityKeyPair(suite)
    const userId = userIdFromIdentityKey(suite, alice.publicKey)
    verifyUserBinding(suite, userId, alice.publicKey, null)
    assert.equal(isUserBound(suite, userId, alice.publicKey, null), true)
    const other = generateIdentityKeyPair(suite)
    assert.throws(() => verifyUserBinding(suite, userId, other.publicKey, null), InvalidSignatureError)
    assert.equal(isUserBound(suite, userId, other.publicKey, null), false)
  })

  test('a succession signed by the origin key binds the same user id to the new identity key', () => {
    const { origin, current, userId, succession } = rotatedUser()
    assert.deepEqual(succession.originIdentityKey, origin.publicKey)
    assert.equal(succession.signature.length, 64)
    verifyUserBinding(suite, userId, current.publicKey, succession)
    assert.equal(isUserBound(suite, userId, current.publicKey, succession), true)
    // The origin key may sign several later keys; each is bound on its own.
    const next = generateIdentityKeyPair(suite)
    verifyUserBinding(suite, userId, next.publicKey, signIdentitySuccession(suite, origin, next.publicKey))
  })

  test('a succession made by a key that is not the origin of the user id is rejected', () => {
    const { origin, current, userId } = rotatedUser()
    const mallory = generateIdentityKeyPair(suite)
    // Mallory signs for herself: the user id does not derive from her key.
    const own = signIdentitySuccession(suite, mallory, current.publicKey)
    assert.throws(
      () => verifyUserBinding(suite, userId, current.publicKey, own),
      /does not derive from the succession origin/,
    )
    // Mallory names the real origin key but signs with her own secret.
    const misattributed = { originIdentityKey: origin.publicKey, signature: own.signature }
    assert.throws(
      () => verifyUserBinding(suite, userId, current.publicKey, misattributed),
      /succession signature does not verify/,
    )
    // Mallory's own rotated key, presented with Alice's real succession of another key.
    const aliceSuccession = signIdentitySuccession(suite, origin, current.publicKey)
    assert.throws(
      () => verifyUserBinding(suite, userId, mallory.publicKey, aliceSuccession),
      InvalidSignatureError,
    )
    assert.equal(isUserBound(suite, userId, mallory.publicKey, aliceSuccession), false)
  })

  test('a succession presented for another user id is rejected', () => {
    const alice = rotatedUser()
    const bob = rotatedUser()
    assert.throws(
      () => verifyUserBinding(suite, bob.userId, alice.current.publicKey, alice.succession),
      InvalidSignatureError,
    )
    // Bob's origin signed Alice's current key, then the pair is claimed under Alice's user id.
    const crossed = signIdentitySuccession(suite, bob.origin, alice.current.publicKey)
    assert.throws(
      () => verifyUserBinding(suite, alice.userId, alice.current.publicKey, crossed),
      InvalidSignatureError,
    )
  })

  test('a tampered succession is rejected', () => {
    const { current, userId, succession } = rotatedUser()
    for (const at of [0, 31, 63]) {
      const bad = { ...succession, signature: flipped(succession.signature, at) }
      assert.throws(() => verifyUserBinding(suite, userId, current.publicKey, bad), InvalidSignatureError)
    }
    const badOrigin = { ...succession, originIdentityKey: flipped(succession.originIdentityKey) }
    assert.throws(() => verifyUserBinding(suite, userId, current.publicKey, badOrigin), InvalidSignatureError)
    assert.throws(
      () => verifyUserBinding(suite, flipped(userId), current.publicKey, succession),
      InvalidSignatureError,
    )
    assert.throws(
      () => verifyUserBinding(suite, userId, flipped(current.publicKey), succession),
      InvalidSignatureError,
    )
  })

  test('malformed inputs and a redundant succession give InvalidKeyError; isUserBound says false', () => {
    const { origin, current, userId, succession } = rotatedUser()
    assert.throws(() => signIdentitySuccession(suite, origin, origin.publicKey), InvalidKeyError)
    assert.throws(() => signIdentitySuccession(suite, origin, new Uint8Array(31)), InvalidKeyError)
    const selfSigned = {
      originIdentityKey: origin.publicKey,
      signature: signIdentitySuccession(suite, origin, current.publicKey).signature,
    }
    assert.throws(() => verifyUserBinding(suite, userId, origin.publicKey, selfSigned), InvalidKeyError)
    const cases: Array<[Uint8Array, Uint8Array, IdentitySuccession | null]> = [
      [userId.subarray(1), current.publicKey, succession],
      [userId, current.publicKey.subarray(1), succession],
      [userId, current.publicKey, { ...succession, signature: succession.signature.subarray(1) }],
      [userId, current.publicKey, { ...succession, originIdentityKey: new Uint8Array(0) }],
    ]
    for (const [u, k, s] of cases) {
      assert.throws(() => verifyUserBinding(suite, u, k, s), InvalidKeyError)
      assert.equal(isUserBound(suite, u, k, s), false)
    }
  })
})

describe('identity succession in prekey bundles', () => {
  test('bundles signed without userId/succession name the derived user id and no succession', () => {
    const { bundle, identity } = makeDevice(suite)
    assert.deepEqual(bundle.userId, userIdFromIdentityKey(suite, identity.publicKey))
    assert.equal(bundle.succession, null)
    verifyPrekeyBundle(suite, bundle, { now: NOW, userId: bundle.userId })
  })

  test('a bundle of a rotated identity key with its succession verifies and keeps the user id', () => {
    const { origin, current, userId, succession } = rotatedUser()
    const before = bundleFor(origin)
    const after = bundleFor(current, { userId, succession })
    assert.deepEqual(after.userId, before.userId)
    assert.ok(!bytesEqual(after.identityKey, before.identityKey), 'the identity key changed')
    verifyPrekeyBundle(suite, after, { now: NOW, userId, identityKey: current.publicKey })
    verifyPrekeyBundleSignatures(suite, after)
    // A contact who pinned the old key sees a different identity key (the TOFU key-change event).
    assert.throws(
      () => verifyPrekeyBundle(suite, after, { now: NOW, identityKey: origin.publicKey }),
      InvalidSignatureError,
    )
  })

  test('a rotated bundle survives encode/decode in its one canonical form and still verifies', () => {
    const { current, userId, succession } = rotatedUser()
    const bundle = bundleFor(current, { userId, succession })
    const encoded = encodePrekeyBundle(bundle)
    const decoded = decodePrekeyBundle(encoded)
    assert.deepEqual(JSON.stringify(decoded), JSON.stringify(bundle))
    assert.deepEqual(encodePrekeyBundle(decoded), encoded)
    verifyPrekeyBundle(suite, decoded, { now: NOW, userId })
    // A plain bundle decodes with no succession.
    const plain = decodePrekeyBundle(encodePrekeyBundle(bundleFor(current)))
    assert.equal(plain.succession, null)
  })

  test('nobody can sign a bundle under a user id their key is not bound to', () => {
    const alice = rotatedUser()
    const mallory = generateIdentityKeyPair(suite)
    assert.throws(() => bundleFor(mallory, { userId: alice.userId }), InvalidSignatureError)
    assert.throws(
      () => bundleFor(mallory, { userId: alice.userId, succession: alice.succession }),
      InvalidSignatureError,
    )
    // Even Alice's current key cannot drop the succession and keep the origin's user id.
    assert.throws(() => bundleFor(alice.current, { userId: alice.userId }), InvalidSignatureError)
    assert.throws(() => bundleFor(mallory, { userId: new Uint8Array(15) }), InvalidKeyError)
  })

  test('verification rejects a bundle claiming a user id it is not bound to', () => {
    const alice = rotatedUser()
    const mallory = generateIdentityKeyPair(suite)
    const own = bundleFor(mallory)
    const forged: Array<[string, PrekeyBundle]> = [
      ['foreign user id', { ...own, userId: alice.userId }],
      ['foreign user id + succession', { ...own, userId: alice.userId, succession: alice.succession }],
    ]
    const rotated = bundleFor(alice.current, { userId: alice.userId, succession: alice.succession })
    forged.push(['succession stripped', { ...rotated, succession: null }])
    forged.push([
      'succession tampered',
      { ...rotated, succession: { ...alice.succession, signature: flipped(alice.succession.signature) } },
    ])
    for (const [what, bundle] of forged) {
      assert.throws(() => verifyPrekeyBundle(suite, bundle, { now: NOW }), InvalidSignatureError, what)
      assert.throws(() => verifyPrekeyBundleSignatures(suite, bundle), InvalidSignatureError, what)
      // The same through the wire: decode accepts the shape, verify refuses the claim.
      const decoded = decodePrekeyBundle(encodePrekeyBundle(bundle))
      assert.throws(() => verifyPrekeyBundle(suite, decoded, { now: NOW }), InvalidSignatureError, what)
    }
    // A valid bundle under the DHT key of another user id.
    assert.throws(
      () => verifyPrekeyBundle(suite, own, { now: NOW, userId: alice.userId }),
      /different user id/,
    )
  })

  test('the user id and succession are covered by the bundle and card signatures', () => {
    const alice = rotatedUser()
    const rotated = bundleFor(alice.current, { userId: alice.userId, succession: alice.succession })
    // Another origin also signs Alice's current key: (other.userId, current key) is then a bound
    // pair, but Alice's bundle was signed for her own user id, so moving it there must fail.
    const other = rotatedUser()
    const swapped = {
      ...rotated,
      userId: other.userId,
      succession: signIdentitySuccession(suite, other.origin, alice.current.publicKey),
    }
    verifyUserBinding(suite, swapped.userId, swapped.identityKey, swapped.succession)
    assert.throws(() => verifyPrekeyBundle(suite, swapped, { now: NOW }), /prekey bundle signature/)
    // Same for a card.
    const card = cardFor(alice.current, alice.userId, alice.succession)
    const movedCard = { ...card, userId: swapped.userId, succession: swapped.succession }
    assert.throws(() => parseContactCard(suite, encodeContactCard(movedCard)), /contact card signature/)
  })

  test('decoding rejects malformed user ids and successions with DecodeError', () => {
    const alice = rotatedUser()
    const proto = PrekeyBundleProto.decode(
      encodePrekeyBundle(bundleFor(alice.current, { userId: alice.userId, succession: alice.succession })),
    )
    const succession = proto.succession
    assert.ok(succession)
    const bad = [
      { ...proto, userId: new Uint8Array(0) },
      { ...proto, userId: new Uint8Array(17) },
      { ...proto, succession: { ...succession, signature: new Uint8Array(63) } },
      { ...proto, succession: { ...succession, originIdentityKey: new Uint8Array(0) } },
      { ...proto, succession: { originIdentityKey: new Uint8Array(0), signature: new Uint8Array(0) } },
    ]
    for (const b of bad) assert.throws(() => decodePrekeyBundle(PrekeyBundleProto.encode(b)), DecodeError)
  })

  test('fuzzed rotated bundles only give typed errors and never decode-and-verify when mutated', () => {
    const alice = rotatedUser()
    const sample = encodePrekeyBundle(
      bundleFor(alice.current, { userId: alice.userId, succession: alice.succession }),
    )
    const { accepted } = fuzzDecoder((b) => verifyPrekeyBundle(suite, decodePrekeyBundle(b), { now: NOW }), {
      seed: 'rotated-bundle',
      runs: 100,
      samples: [sample],
    })
    assert.equal(accepted, 0)
  })
})

describe('identity succession in contact cards', () => {
  test('a card of the origin key carries no succession and parses', () => {
    const alice = generateIdentityKeyPair(suite)
    const card = cardFor(alice, userIdFromIdentityKey(suite, alice.publicKey))
    assert.equal(card.succession, null)
    assert.equal(parseContactCard(suite, encodeContactCard(card)).succession, null)
  })

  test('a card of a rotated identity key with its succession round-trips and keeps the user id', () => {
    const { origin, current, userId, succession } = rotatedUser()
    const card = cardFor(current, userId, succession)
    const parsed = parseContactCard(suite, encodeContactCard(card))
    assert.deepEqual(parsed.userId, userIdFromIdentityKey(suite, origin.publicKey))
    assert.deepEqual(parsed.identityKey, current.publicKey)
    assert.deepEqual(parsed.succession, succession)
    assert.equal(encodeContactCard(parsed), encodeContactCard(card))
  })

  test('nobody can sign or pass off a card under a user id their key is not bound to', () => {
    const alice = rotatedUser()
    const mallory = generateIdentityKeyPair(suite)
    assert.throws(() => cardFor(mallory, alice.userId), InvalidSignatureError)
    assert.throws(() => cardFor(mallory, alice.userId, alice.succession), InvalidSignatureError)
    assert.throws(() => cardFor(alice.current, alice.userId), InvalidSignatureError)
    // The card's identity key must be the signing key.
    assert.throws(
      () => signContactCard(suite, mallory, { ...cardFor(alice.current, alice.userId, alice.succession) }),
      InvalidKeyError,
    )
    const own = cardFor(mallory, userIdFromIdentityKey(suite, mallory.publicKey))
    const rotated = cardFor(alice.current, alice.userId, alice.succession)
    const forged: Array<[string, ContactCard]> = [
      ['foreign user id', { ...own, userId: alice.userId }],
      ['foreign user id + succession', { ...own, userId: alice.userId, succession: alice.succession }],
      ['succession stripped', { ...rotated, succession: null }],
    ]
    for (const [what, card] of forged) {
      assert.throws(
        () => parseContactCard(suite, encodeContactCard(card)),
        /user id does not derive|succession/,
        what,
      )
    }
    const tampered = {
      ...rotated,
      succession: { ...alice.succession, signature: flipped(alice.succession.signature) },
    }
    assert.throws(() => parseContactCard(suite, encodeContactCard(tampered)), InvalidSignatureError)
  })

  test('card decoding rejects a half or malformed succession with DecodeError, and fuzzing gives typed errors', () => {
    const alice = rotatedUser()
    const text = encodeContactCard(cardFor(alice.current, alice.userId, alice.succession))
    const proto = ContactCardProto.decode(fromBase64url(text.slice(5)))
    const encode = (p: typeof proto) => `wren:${toBase64url(ContactCardProto.encode(p))}`
    const bad = [
      { ...proto, successionSignature: new Uint8Array(0) },
      { ...proto, successionOriginIdentityKey: new Uint8Array(0) },
      { ...proto, successionSignature: new Uint8Array(65) },
    ]
    for (const b of bad) assert.throws(() => decodeContactCard(encode(b)), DecodeError)
    fuzzDecoder((b) => parseContactCard(suite, `wren:${toBase64url(b)}`), {
      seed: 'rotated-card',
      runs: 100,
      maxLength: 600,
      samples: [fromBase64url(text.slice(5))],
    })
  })
})

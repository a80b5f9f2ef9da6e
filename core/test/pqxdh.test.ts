import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { concatBytes } from '../src/bytes.ts'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { decodePrekeyMessage, encodePrekeyMessage } from '../src/envelope.ts'
import { InvalidKeyError, InvalidSignatureError, InvalidStateError } from '../src/errors.ts'
import { identityDhPublicKey, identityDhSecretKey } from '../src/identity.ts'
import { pqxdhInitiate, pqxdhRespond } from '../src/pqxdh.ts'
import { signKemPrekey, verifyPrekeyBundle } from '../src/prekey-bundle.ts'
import { decodePrekeyBundle, encodePrekeyBundle } from '../src/prekey-bundle-codec.ts'
import { makeDevice, NOW } from './identity-fixtures.ts'

describe('PQXDH', () => {
  const suite = seededSuite('pqxdh')
  const alice = makeDevice(suite)
  const bob = makeDevice(suite)

  const cases = [
    { name: 'one-time X25519 prekey and one-time KEM prekey', opk: true, otk: true },
    { name: 'one-time X25519 prekey and last-resort KEM prekey', opk: true, otk: false },
    { name: 'no one-time X25519 prekey, one-time KEM prekey', opk: false, otk: true },
    { name: 'no one-time X25519 prekey, last-resort KEM prekey', opk: false, otk: false },
  ]
  for (const c of cases) {
    test(`both sides derive the same secret and AD: ${c.name}`, () => {
      const init = pqxdhInitiate(suite, {
        identity: alice.identity,
        bundle: bob.bundle,
        ...(c.opk ? { oneTimePrekey: bob.publicOneTimePrekey } : {}),
        ...(c.otk ? { oneTimeKemPrekey: bob.signedOneTimeKemPrekey } : {}),
      })
      const { header } = init
      assert.equal(header.kemPrekeyOneTime, c.otk)
      assert.equal(header.kemPrekeyId, c.otk ? bob.signedOneTimeKemPrekey.id : bob.bundle.kemPrekey.id)
      assert.equal(header.oneTimePrekeyId, c.opk ? bob.publicOneTimePrekey.id : undefined)
      assert.equal(header.signedPrekeyId, bob.bundle.signedPrekey.id)
      assert.deepEqual(init.remoteRatchetKey, bob.signedPrekey.publicKey)
      assert.equal(init.sharedSecret.length, 32)

      const resp = pqxdhRespond(suite, {
        identity: bob.identity,
        signedPrekey: bob.signedPrekey,
        kemPrekey: c.otk ? bob.oneTimeKemPrekey : bob.kemPrekey,
        ...(c.opk ? { oneTimePrekey: bob.oneTimePrekey } : {}),
        header,
      })
      assert.deepEqual(resp.sharedSecret, init.sharedSecret)
      assert.deepEqual(resp.associatedData, init.associatedData)
      assert.deepEqual(init.associatedData, concatBytes(alice.identity.publicKey, bob.identity.publicKey))
    })
  }

  test('the KDF input is 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 ‖ DH4 ‖ SS with zero salt and the Wren info string', () => {
    const init = pqxdhInitiate(suite, {
      identity: alice.identity,
      bundle: bob.bundle,
      oneTimePrekey: bob.publicOneTimePrekey,
    })
    // Recompute from the responder's secrets with @noble/hashes directly.
    const ek = init.header.ephemeralKey
    const ikA = identityDhPublicKey(suite, alice.identity.publicKey)
    const ikB = identityDhSecretKey(suite, bob.identity.secretKey)
    const ikm = concatBytes(
      new Uint8Array(32).fill(0xff),
      suite.x25519(bob.signedPrekey.secretKey, ikA),
      suite.x25519(ikB, ek),
      suite.x25519(bob.signedPrekey.secretKey, ek),
      suite.x25519(bob.oneTimePrekey.secretKey, ek),
      suite.mlkemDecapsulate(bob.kemPrekey.secretKey, init.header.kemCiphertext),
    )
    const expected = hkdf(
      sha256,
      ikm,
      new Uint8Array(32),
      new TextEncoder().encode('Wren_PQXDH_X25519_SHA-256_ML-KEM-768'),
      32,
    )
    assert.deepEqual(init.sharedSecret, expected)
  })

  test('two runs against the same bundle give different secrets (fresh ephemeral key and KEM encapsulation)', () => {
    const a = pqxdhInitiate(suite, { identity: alice.identity, bundle: bob.bundle })
    const b = pqxdhInitiate(suite, { identity: alice.identity, bundle: bob.bundle })
    assert.notDeepEqual(a.sharedSecret, b.sharedSecret)
    assert.notDeepEqual(a.header.ephemeralKey, b.header.ephemeralKey)
  })

  test('a responder using the wrong keys derives a different secret', () => {
    const init = pqxdhInitiate(suite, {
      identity: alice.identity,
      bundle: bob.bundle,
      oneTimePrekey: bob.publicOneTimePrekey,
    })
    const right = {
      identity: bob.identity,
      signedPrekey: bob.signedPrekey,
      kemPrekey: bob.kemPrekey,
      oneTimePrekey: bob.oneTimePrekey,
      header: init.header,
    }
    const carol = makeDevice(seededSuite('pqxdh-carol'))
    const wrong = [
      { ...right, identity: carol.identity },
      { ...right, signedPrekey: carol.signedPrekey },
      { ...right, kemPrekey: carol.kemPrekey }, // ML-KEM implicit rejection: a pseudorandom SS
      { ...right, oneTimePrekey: carol.oneTimePrekey },
    ]
    for (const input of wrong) assert.notDeepEqual(pqxdhRespond(suite, input).sharedSecret, init.sharedSecret)
  })

  test('a header from an initiator claiming another identity derives a different secret', () => {
    const init = pqxdhInitiate(suite, { identity: alice.identity, bundle: bob.bundle })
    const carol = makeDevice(seededSuite('pqxdh-carol-ik'))
    const resp = pqxdhRespond(suite, {
      identity: bob.identity,
      signedPrekey: bob.signedPrekey,
      kemPrekey: bob.kemPrekey,
      header: { ...init.header, identityKey: carol.identity.publicKey },
    })
    assert.notDeepEqual(resp.sharedSecret, init.sharedSecret)
    assert.notDeepEqual(resp.associatedData, init.associatedData)
  })

  test('the initiator refuses a bundle with a broken signature', () => {
    const spk = bob.bundle.signedPrekey
    const badSignature = spk.signature.slice()
    badSignature[5] = (badSignature[5] as number) ^ 0x40
    assert.throws(
      () =>
        pqxdhInitiate(suite, {
          identity: alice.identity,
          bundle: { ...bob.bundle, signedPrekey: { ...spk, signature: badSignature } },
        }),
      InvalidSignatureError,
    )
    // A signed prekey substituted by someone without Bob's identity key.
    const substituted = { ...spk, publicKey: suite.x25519Generate().publicKey }
    assert.throws(
      () =>
        pqxdhInitiate(suite, {
          identity: alice.identity,
          bundle: { ...bob.bundle, signedPrekey: substituted },
        }),
      InvalidSignatureError,
    )
  })

  test('the initiator refuses a one-time KEM prekey not signed by the bundle identity, or marked last-resort', () => {
    const mallory = makeDevice(seededSuite('pqxdh-mallory'))
    assert.throws(
      () =>
        pqxdhInitiate(suite, {
          identity: alice.identity,
          bundle: bob.bundle,
          oneTimeKemPrekey: mallory.signedOneTimeKemPrekey,
        }),
      InvalidSignatureError,
    )
    const lastResort = signKemPrekey(suite, bob.identity, 77, bob.oneTimeKemPrekey.publicKey, true)
    assert.throws(
      () =>
        pqxdhInitiate(suite, { identity: alice.identity, bundle: bob.bundle, oneTimeKemPrekey: lastResort }),
      InvalidKeyError,
    )
  })

  test('the responder refuses a header and one-time prekey that do not match', () => {
    const withOpk = pqxdhInitiate(suite, {
      identity: alice.identity,
      bundle: bob.bundle,
      oneTimePrekey: bob.publicOneTimePrekey,
    })
    assert.throws(
      () =>
        pqxdhRespond(suite, {
          identity: bob.identity,
          signedPrekey: bob.signedPrekey,
          kemPrekey: bob.kemPrekey,
          header: withOpk.header,
        }),
      InvalidStateError,
    )
    const withoutOpk = pqxdhInitiate(suite, { identity: alice.identity, bundle: bob.bundle })
    assert.throws(
      () =>
        pqxdhRespond(suite, {
          identity: bob.identity,
          signedPrekey: bob.signedPrekey,
          kemPrekey: bob.kemPrekey,
          oneTimePrekey: bob.oneTimePrekey,
          header: withoutOpk.header,
        }),
      InvalidStateError,
    )
  })

  test('the header survives the prekey-message codec and the responder agrees from the decoded copy', () => {
    for (const opk of [true, false]) {
      const init = pqxdhInitiate(suite, {
        identity: alice.identity,
        bundle: bob.bundle,
        oneTimeKemPrekey: bob.signedOneTimeKemPrekey,
        ...(opk ? { oneTimePrekey: bob.publicOneTimePrekey } : {}),
      })
      const message = suite.randomBytes(100)
      const decoded = decodePrekeyMessage(encodePrekeyMessage({ header: init.header, message }))
      assert.deepEqual(decoded.message, message)
      assert.deepEqual({ ...decoded.header }, { ...init.header })
      const resp = pqxdhRespond(suite, {
        identity: bob.identity,
        signedPrekey: bob.signedPrekey,
        kemPrekey: bob.oneTimeKemPrekey,
        ...(opk ? { oneTimePrekey: bob.oneTimePrekey } : {}),
        header: decoded.header,
      })
      assert.deepEqual(resp.sharedSecret, init.sharedSecret)
    }
  })

  test('after verifyPrekeyBundle the initiator does not verify the same bundle again, but still refuses a changed one', () => {
    let verifies = 0
    const counted: CryptoSuite = {
      ...suite,
      ed25519Verify: (publicKey, message, signature) => {
        verifies++
        return suite.ed25519Verify(publicKey, message, signature)
      },
    }
    const received = decodePrekeyBundle(encodePrekeyBundle(bob.bundle))
    verifyPrekeyBundle(counted, received, { now: NOW })
    const checked = verifies
    pqxdhInitiate(counted, { identity: alice.identity, bundle: received })
    assert.equal(verifies, checked)
    // The same object changed in place after the check: verified again, and refused.
    received.signedPrekey.publicKey.set(suite.x25519Generate().publicKey)
    assert.throws(
      () => pqxdhInitiate(counted, { identity: alice.identity, bundle: received }),
      InvalidSignatureError,
    )
    assert.ok(verifies > checked)
  })
})

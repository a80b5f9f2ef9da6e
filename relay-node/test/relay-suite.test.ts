import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { createNobleSuite } from '../../core/src/crypto/noble-suite.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createRelaySuite } from '../src/relay-suite.ts'

const random = seededRandom('relay-suite')
const noble = createNobleSuite(random)
const relay = createRelaySuite()

test('relay Ed25519 verification agrees with noble on honest and tampered signatures', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(7), (message, flipAt, bit) => {
      const key = noble.ed25519Generate()
      const signature = noble.ed25519Sign(key.secretKey, message)
      assert.equal(relay.ed25519Verify(key.publicKey, message, signature), true)
      const tampered = signature.slice()
      const at = flipAt % tampered.length
      tampered[at] = (tampered[at] as number) ^ (1 << bit)
      assert.equal(
        relay.ed25519Verify(key.publicKey, message, tampered),
        noble.ed25519Verify(key.publicKey, message, tampered),
      )
      assert.equal(relay.ed25519Verify(key.publicKey, message, tampered), false)
    }),
    { seed: 1207, numRuns: 200 },
  )
})

test('relay Ed25519 verification refuses malformed keys and signatures without throwing', () => {
  const key = noble.ed25519Generate()
  const message = new TextEncoder().encode('fetch challenge')
  const signature = noble.ed25519Sign(key.secretKey, message)
  assert.equal(relay.ed25519Verify(key.publicKey.subarray(1), message, signature), false)
  assert.equal(relay.ed25519Verify(key.publicKey, message, signature.subarray(1)), false)
  assert.equal(relay.ed25519Verify(new Uint8Array(32).fill(0xff), message, signature), false)
  assert.equal(relay.ed25519Verify(key.publicKey, message, new Uint8Array(64)), false)
})

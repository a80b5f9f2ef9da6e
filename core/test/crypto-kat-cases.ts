/**
 * Known-answer tests from the RFC / spec texts (vectors in ./vectors/*.json) for any CryptoSuite:
 * every implementation runs the same cases. crypto-kat.test.ts runs them on the noble suite; the
 * node:crypto suite runs them from node/test/crypto-kat.test.ts, since core does not import node/.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { concatBytes, fromHex, toHex } from '../src/bytes.ts'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { AeadError } from '../src/errors.ts'

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T
}

interface HkdfVector {
  name: string
  ikm: string
  salt: string
  info: string
  length: number
  okm: string
}
interface X25519Vectors {
  scalarMult: { name: string; scalar: string; u: string; out: string }[]
  iterated: { start: string; after1: string; after1000: string }
  dh: { alicePrivate: string; alicePublic: string; bobPrivate: string; bobPublic: string; shared: string }
}
interface Ed25519Vector {
  name: string
  seed: string
  publicKey: string
  message: string
  signature: string
}
interface GcmVector {
  name: string
  key: string
  nonce: string
  plaintext: string
  aad: string
  ciphertext: string
  tag: string
}
interface HmacVector {
  name: string
  key: string
  data: string
  mac: string
}
interface ShaVector {
  name: string
  algorithm: 'sha256' | 'sha512'
  message: string
  digest: string
}

const hkdf = load<{ vectors: HkdfVector[] }>('hkdf-sha256.json').vectors
const x25519 = load<X25519Vectors>('x25519.json')
const ed25519 = load<{ vectors: Ed25519Vector[] }>('ed25519.json').vectors
const gcm = load<{ vectors: GcmVector[] }>('aes-256-gcm.json').vectors
const hmac = load<{ vectors: HmacVector[] }>('hmac-sha256.json').vectors
const sha = load<{ vectors: ShaVector[] }>('sha2.json').vectors

/** RFC 7748 §5.2 iteration: k, u ← X25519(k, u), k (k and u start at the base point 9). */
function iterateX25519(suite: CryptoSuite, start: Uint8Array, rounds: number): Uint8Array {
  let k = start
  let u = start
  for (let i = 0; i < rounds; i++) {
    const next = suite.x25519(k, u)
    u = k
    k = next
  }
  return k
}

/** The known-answer cases as one describe block, named for the suite. */
export function describeKnownAnswers(suite: CryptoSuite): void {
  describe(`${suite.name} suite known answers`, () => {
    for (const v of hkdf) {
      test(`HKDF-SHA256 gives the ${v.name} output`, () => {
        const okm = suite.hkdf(fromHex(v.ikm), fromHex(v.salt), fromHex(v.info), v.length)
        assert.equal(toHex(okm), v.okm)
      })
    }

    for (const v of x25519.scalarMult) {
      test(`X25519 gives the ${v.name} output`, () => {
        assert.equal(toHex(suite.x25519(fromHex(v.scalar), fromHex(v.u))), v.out)
      })
    }
    test('X25519 iterated from the base point matches RFC 7748 §5.2 after 1 and 1000 rounds', () => {
      const start = fromHex(x25519.iterated.start)
      assert.equal(toHex(iterateX25519(suite, start, 1)), x25519.iterated.after1)
      assert.equal(toHex(iterateX25519(suite, start, 1000)), x25519.iterated.after1000)
    })
    test('X25519 Alice/Bob public keys and shared secret match RFC 7748 §6.1', () => {
      const v = x25519.dh
      assert.equal(toHex(suite.x25519PublicKey(fromHex(v.alicePrivate))), v.alicePublic)
      assert.equal(toHex(suite.x25519PublicKey(fromHex(v.bobPrivate))), v.bobPublic)
      assert.equal(toHex(suite.x25519(fromHex(v.alicePrivate), fromHex(v.bobPublic))), v.shared)
      assert.equal(toHex(suite.x25519(fromHex(v.bobPrivate), fromHex(v.alicePublic))), v.shared)
    })

    for (const v of ed25519) {
      test(`Ed25519 public key, signature and verification match ${v.name}`, () => {
        const seed = fromHex(v.seed)
        const message = fromHex(v.message)
        assert.equal(toHex(suite.ed25519PublicKey(seed)), v.publicKey)
        assert.equal(toHex(suite.ed25519Sign(seed, message)), v.signature)
        assert.equal(suite.ed25519Verify(fromHex(v.publicKey), message, fromHex(v.signature)), true)
        const wrong = concatBytes(message, Uint8Array.of(0))
        assert.equal(suite.ed25519Verify(fromHex(v.publicKey), wrong, fromHex(v.signature)), false)
      })
    }

    for (const v of gcm) {
      test(`AES-256-GCM encrypts and decrypts ${v.name}`, () => {
        const key = fromHex(v.key)
        const nonce = fromHex(v.nonce)
        const aad = fromHex(v.aad)
        const sealed = suite.aesGcmEncrypt(key, nonce, fromHex(v.plaintext), aad)
        assert.equal(toHex(sealed), v.ciphertext + v.tag)
        assert.equal(toHex(suite.aesGcmDecrypt(key, nonce, sealed, aad)), v.plaintext)
        const tampered = sealed.slice()
        tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1
        assert.throws(() => suite.aesGcmDecrypt(key, nonce, tampered, aad), AeadError)
      })
    }

    for (const v of hmac) {
      test(`HMAC-SHA256 gives the ${v.name} output`, () => {
        assert.equal(toHex(suite.hmacSha256(fromHex(v.key), fromHex(v.data))), v.mac)
      })
    }

    for (const v of sha) {
      test(`${v.name} matches FIPS 180`, () => {
        const digest =
          v.algorithm === 'sha256' ? suite.sha256(fromHex(v.message)) : suite.sha512(fromHex(v.message))
        assert.equal(toHex(digest), v.digest)
      })
    }
  })
}

/**
 * The fast CryptoSuite on node:crypto (OpenSSL) and libsodium (sodium-native), used by the daemon. Byte for byte equal to
 * core/src/crypto/noble-suite.ts (node/test/crypto-differential.test.ts checks every operation)
 * and throws the same error classes.
 *
 * X25519 runs on libsodium: it takes raw bytes (no KeyObject import, which costs a fifth of an
 * X25519 in OpenSSL), its fixed-base multiply for a new key's public half is twice as fast as
 * OpenSSL's generic ladder, and its variable-base multiply is ~10 % faster — the Double Ratchet
 * does two of each kind per turn of the conversation (node/bench/x25519 figures in
 * docs/benchmarks.md). Everything else is node:crypto.
 *
 * Raw Ed25519 and ML-KEM keys are imported into KeyObjects (key-import.ts) and the KeyObjects of recently used keys
 * are cached: importing costs more than an X25519 or Ed25519 operation. Without an injected
 * Random, key generation runs inside OpenSSL (generateKeyPairSync, same OS randomness as
 * randomBytes) and keeps the generated private KeyObject, which skips the import (and the public
 * key derivation it implies) that dominates a fresh key's cost; with an injected Random, keys
 * are derived from its bytes as in the noble suite. AES-GCM keys and HKDF input keys go through
 * createSecretKey(): node:crypto's raw-bytes key path costs two to three times as much.
 * Known difference: ML-KEM encapsulation draws its message from OpenSSL's DRBG, not from the
 * injected Random, so encapsulations are not reproducible under a seeded Random (decapsulation,
 * key generation and everything else are).
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  decapsulate,
  encapsulate,
  generateKeyPairSync,
  hash,
  type KeyObject,
  type KeyPairKeyObjectResult,
  randomBytes,
  sign,
  verify,
} from 'node:crypto'
import sodium from 'sodium-native'
import {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  type CryptoSuite,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
  type KemEncapsulation,
  type KeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SEED_BYTES,
  type Random,
  X25519_KEY_BYTES,
} from '../../../core/src/crypto/suite.ts'
import { AeadError, CryptoError, InvalidKeyError } from '../../../core/src/errors.ts'
import { edwardsToMontgomery, isRejectedVerifyKey } from './ed25519-point.ts'
import { hkdfSha256, hmacSha256 } from './hmac-sha256.ts'
import { BoundedCache } from './key-cache.ts'
import {
  exportRawPrivate,
  exportRawPublic,
  exportRawSeed,
  importEd25519Private,
  importEd25519Public,
  importMlKem768Private,
  importMlKem768Public,
} from './key-import.ts'
import { sha512IterateFast } from './sha512-chain.ts'

/** Imported Ed25519 keys kept per cache: a node's live keys (identity, devices, peers' keys) fit. */
export const CURVE_KEY_CACHE_ENTRIES = 256
/** Expanded ML-KEM-768 keys kept (each a few KiB inside OpenSSL): prekeys in use plus peers' keys. */
export const MLKEM_KEY_CACHE_ENTRIES = 64

function checkLength(name: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array)) throw new InvalidKeyError(`${name} must be a Uint8Array`)
  if (value.length !== length)
    throw new InvalidKeyError(`${name} must be ${length} bytes, got ${value.length}`)
}

/** A plain Uint8Array over a Buffer's bytes; copies when the Buffer lives in a shared pool. */
function plain(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength) return new Uint8Array(buf.buffer)
  return new Uint8Array(buf)
}

function nodeRandom(length: number): Uint8Array {
  return plain(randomBytes(length))
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number
  return acc === 0
}

/**
 * `random` defaults to the OS source (randomBytes); pass a seeded Random for reproducible keys.
 * Only without one does key generation run inside OpenSSL (see the top of this file).
 */
export function createNodeSuite(injectedRandom?: Random): CryptoSuite {
  const random = injectedRandom ?? nodeRandom
  const nativeKeygen = injectedRandom === undefined
  const ed25519Seeds = new BoundedCache<KeyObject>(CURVE_KEY_CACHE_ENTRIES)
  const ed25519Publics = new BoundedCache<KeyObject>(CURVE_KEY_CACHE_ENTRIES)
  const mlkemSeeds = new BoundedCache<KeyObject>(MLKEM_KEY_CACHE_ENTRIES)
  const mlkemPublics = new BoundedCache<KeyObject>(MLKEM_KEY_CACHE_ENTRIES)
  const montgomeryPublics = new BoundedCache<Uint8Array>(CURVE_KEY_CACHE_ENTRIES)

  const ed25519Secret = (seed: Uint8Array) => ed25519Seeds.get(seed, () => importEd25519Private(seed))
  const mlkemSecret = (seed: Uint8Array) => mlkemSeeds.get(seed, () => importMlKem768Private(seed))

  function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
    checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
    const publicKey = new Uint8Array(X25519_KEY_BYTES)
    sodium.crypto_scalarmult_base(publicKey as Buffer, secretKey as Buffer)
    return publicKey
  }

  function ed25519PublicKey(seed: Uint8Array): Uint8Array {
    checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES)
    return plain(exportRawPublic(ed25519Secret(seed)))
  }

  function mlkemKeyPair(seed: Uint8Array): KeyPair {
    checkLength('ML-KEM seed', seed, MLKEM768_SEED_BYTES)
    return { publicKey: plain(exportRawPublic(mlkemSecret(seed))), secretKey: seed.slice() }
  }

  /**
   * A key pair generated inside OpenSSL; its private KeyObject goes into `cache` under the raw
   * secret, so the first operation with the new key imports nothing.
   */
  function nativeKeyPair(
    generate: () => KeyPairKeyObjectResult,
    exportSecret: (key: KeyObject) => Buffer,
    cache: BoundedCache<KeyObject>,
  ): KeyPair {
    const { privateKey, publicKey } = generate()
    const secretKey = plain(exportSecret(privateKey))
    cache.set(secretKey, privateKey)
    return { publicKey: plain(exportRawPublic(publicKey)), secretKey }
  }

  const suite: CryptoSuite = {
    name: 'node',
    randomBytes: (length) => random(length),

    x25519PublicKey,
    x25519(secretKey, publicKey) {
      checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
      checkLength('X25519 public key', publicKey, X25519_KEY_BYTES)
      const shared = new Uint8Array(X25519_KEY_BYTES)
      try {
        // libsodium returns -1 (sodium-native throws) for an all-zero result (RFC 7748 §6.1).
        sodium.crypto_scalarmult(shared as Buffer, secretKey as Buffer, publicKey as Buffer)
      } catch (cause) {
        throw new CryptoError('X25519 produced an all-zero secret (low-order point)', { cause })
      }
      if (isAllZero(shared)) throw new CryptoError('X25519 produced an all-zero secret (low-order point)')
      return shared
    },
    x25519Generate() {
      const secretKey = random(X25519_KEY_BYTES)
      return { secretKey, publicKey: x25519PublicKey(secretKey) }
    },

    ed25519PublicKey,
    ed25519Sign(seed, message) {
      checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES)
      return plain(sign(null, message, ed25519Secret(seed)))
    },
    ed25519Verify(publicKey, message, signature) {
      try {
        if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
          return false
        // Refuse what noble's strict mode refuses before OpenSSL sees it (non-canonical y,
        // small-order keys), so the two suites agree on every verdict.
        if (isRejectedVerifyKey(publicKey)) return false
        const key = ed25519Publics.get(publicKey, () => importEd25519Public(publicKey))
        return verify(null, message, key, signature)
      } catch {
        return false
      }
    },
    ed25519Generate() {
      if (nativeKeygen)
        return nativeKeyPair(() => generateKeyPairSync('ed25519'), exportRawPrivate, ed25519Seeds)
      const secretKey = random(ED25519_SEED_BYTES)
      return { secretKey, publicKey: ed25519PublicKey(secretKey) }
    },
    ed25519PublicToX25519(publicKey) {
      checkLength('Ed25519 public key', publicKey, ED25519_PUBLIC_KEY_BYTES)
      // Cached: the same peer identity keys are converted again and again; copied out so a
      // caller wiping its result cannot corrupt the cache.
      return montgomeryPublics.get(publicKey, () => edwardsToMontgomery(publicKey)).slice()
    },
    ed25519SeedToX25519(seed) {
      checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES)
      // RFC 8032 §5.1.5: the scalar is the clamped first half of SHA-512(seed).
      const scalar = plain(hash('sha512', seed, 'buffer')).slice(0, X25519_KEY_BYTES)
      scalar[0] = (scalar[0] as number) & 248
      scalar[31] = ((scalar[31] as number) & 127) | 64
      return scalar
    },

    hkdf: hkdfSha256,
    hmacSha256,
    sha256: (data) => plain(hash('sha256', data, 'buffer')),
    sha512: (data) => plain(hash('sha512', data, 'buffer')),
    sha512Iterate: sha512IterateFast,

    aesGcmEncrypt(key, nonce, plaintext, aad) {
      checkLength('AES-GCM key', key, AES_GCM_KEY_BYTES)
      checkLength('AES-GCM nonce', nonce, AES_GCM_NONCE_BYTES)
      const cipher = createCipheriv('aes-256-gcm', createSecretKey(key), nonce, {
        authTagLength: AES_GCM_TAG_BYTES,
      })
      cipher.setAAD(aad)
      const out = new Uint8Array(plaintext.length + AES_GCM_TAG_BYTES)
      const body = cipher.update(plaintext)
      out.set(body, 0)
      const rest = cipher.final() // empty for GCM, kept for completeness
      out.set(rest, body.length)
      out.set(cipher.getAuthTag(), body.length + rest.length)
      return out
    },
    aesGcmDecrypt(key, nonce, ciphertext, aad) {
      checkLength('AES-GCM key', key, AES_GCM_KEY_BYTES)
      checkLength('AES-GCM nonce', nonce, AES_GCM_NONCE_BYTES)
      if (ciphertext.length < AES_GCM_TAG_BYTES) throw new AeadError('ciphertext shorter than the tag')
      const bodyLength = ciphertext.length - AES_GCM_TAG_BYTES
      try {
        const decipher = createDecipheriv('aes-256-gcm', createSecretKey(key), nonce, {
          authTagLength: AES_GCM_TAG_BYTES,
        })
        decipher.setAAD(aad)
        decipher.setAuthTag(ciphertext.subarray(bodyLength))
        const body = decipher.update(ciphertext.subarray(0, bodyLength))
        const rest = decipher.final() // checks the tag; empty for GCM (a stream mode)
        // the update's own buffer, as a plain view: no second copy of a 256 KiB file chunk
        if (rest.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
        const out = new Uint8Array(bodyLength)
        out.set(body, 0)
        out.set(rest, body.length)
        return out
      } catch (cause) {
        throw new AeadError('authentication failed', { cause })
      }
    },

    mlkemKeyPair,
    mlkemGenerate: () =>
      nativeKeygen
        ? nativeKeyPair(() => generateKeyPairSync('ml-kem-768'), exportRawSeed, mlkemSeeds)
        : mlkemKeyPair(random(MLKEM768_SEED_BYTES)),
    mlkemEncapsulate(publicKey): KemEncapsulation {
      checkLength('ML-KEM public key', publicKey, MLKEM768_PUBLIC_KEY_BYTES)
      let result: { sharedKey: Buffer; ciphertext: Buffer }
      try {
        // OpenSSL runs the FIPS 203 §7.2 modulus check on import: bad keys throw here.
        const key = mlkemPublics.get(publicKey, () => importMlKem768Public(publicKey))
        result = encapsulate(key)
      } catch (cause) {
        throw new InvalidKeyError(`invalid ML-KEM public key: ${(cause as Error).message}`)
      }
      return { ciphertext: plain(result.ciphertext), sharedSecret: plain(result.sharedKey) }
    },
    mlkemDecapsulate(secretKey, ciphertext) {
      checkLength('ML-KEM seed', secretKey, MLKEM768_SEED_BYTES)
      checkLength('ML-KEM ciphertext', ciphertext, MLKEM768_CIPHERTEXT_BYTES)
      return plain(decapsulate(mlkemSecret(secretKey), ciphertext))
    },
  }
  return Object.freeze(suite)
}

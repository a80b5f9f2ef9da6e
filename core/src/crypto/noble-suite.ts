/**
 * Portable CryptoSuite on the audited @noble libraries. Pure: randomness is injected.
 * Must agree byte for byte with node/src/crypto/node-suite.ts (differential tests).
 */
import { gcm } from '@noble/ciphers/aes.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { AeadError, CryptoError, InvalidKeyError } from '../errors.ts'
import { sha512IterateWith } from './sha512-iterate.ts'
import {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  type CryptoSuite,
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  type KemEncapsulation,
  type KeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SEED_BYTES,
  type Random,
  X25519_KEY_BYTES,
} from './suite.ts'

export function checkLength(name: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array)) throw new InvalidKeyError(`${name} must be a Uint8Array`)
  if (value.length !== length)
    throw new InvalidKeyError(`${name} must be ${length} bytes, got ${value.length}`)
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number
  return acc === 0
}

/** Expanded ML-KEM secret keys by seed, so decapsulation does not re-run keygen each time. */
const KEM_CACHE_LIMIT = 256

export function createNobleSuite(random: Random): CryptoSuite {
  const kemCache = new Map<string, { publicKey: Uint8Array; secretKey: Uint8Array }>()
  function expandKem(seed: Uint8Array) {
    checkLength('ML-KEM seed', seed, MLKEM768_SEED_BYTES)
    const id = String.fromCharCode(...seed)
    let keys = kemCache.get(id)
    if (keys === undefined) {
      keys = ml_kem768.keygen(seed)
      if (kemCache.size >= KEM_CACHE_LIMIT) kemCache.delete(kemCache.keys().next().value as string)
      kemCache.set(id, keys)
    }
    return keys
  }

  const suite: CryptoSuite = {
    name: 'noble',
    randomBytes: (length) => random(length),

    x25519PublicKey(secretKey) {
      checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
      return x25519.getPublicKey(secretKey)
    },
    x25519(secretKey, publicKey) {
      checkLength('X25519 secret key', secretKey, X25519_KEY_BYTES)
      checkLength('X25519 public key', publicKey, X25519_KEY_BYTES)
      let shared: Uint8Array
      try {
        shared = x25519.getSharedSecret(secretKey, publicKey)
      } catch (cause) {
        throw new CryptoError('X25519 failed', { cause })
      }
      if (isAllZero(shared)) throw new CryptoError('X25519 produced an all-zero secret (low-order point)')
      return shared
    },
    x25519Generate(): KeyPair {
      const secretKey = random(X25519_KEY_BYTES)
      return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
    },

    ed25519PublicKey(seed) {
      checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES)
      return ed25519.getPublicKey(seed)
    },
    ed25519Sign(seed, message) {
      checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES)
      return ed25519.sign(message, seed)
    },
    ed25519Verify(publicKey, message, signature) {
      if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== 64) return false
      try {
        return ed25519.verify(signature, message, publicKey, { zip215: false })
      } catch {
        return false
      }
    },
    ed25519Generate(): KeyPair {
      const secretKey = random(ED25519_SEED_BYTES)
      return { secretKey, publicKey: ed25519.getPublicKey(secretKey) }
    },
    ed25519PublicToX25519(publicKey) {
      checkLength('Ed25519 public key', publicKey, ED25519_PUBLIC_KEY_BYTES)
      try {
        return ed25519.utils.toMontgomery(publicKey)
      } catch (cause) {
        throw new InvalidKeyError(`invalid Ed25519 public key: ${(cause as Error).message}`)
      }
    },
    ed25519SeedToX25519(seed) {
      checkLength('Ed25519 seed', seed, ED25519_SEED_BYTES)
      return ed25519.utils.toMontgomerySecret(seed)
    },

    hkdf: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
    hmacSha256: (key, data) => hmac(sha256, key, data),
    sha256: (data) => sha256(data),
    sha512: (data) => sha512(data),
    sha512Iterate: (chains, iterations) => sha512IterateWith(sha512, chains, iterations),

    aesGcmEncrypt(key, nonce, plaintext, aad) {
      checkLength('AES-GCM key', key, AES_GCM_KEY_BYTES)
      checkLength('AES-GCM nonce', nonce, AES_GCM_NONCE_BYTES)
      return gcm(key, nonce, aad).encrypt(plaintext)
    },
    aesGcmDecrypt(key, nonce, ciphertext, aad) {
      checkLength('AES-GCM key', key, AES_GCM_KEY_BYTES)
      checkLength('AES-GCM nonce', nonce, AES_GCM_NONCE_BYTES)
      try {
        return gcm(key, nonce, aad).decrypt(ciphertext)
      } catch (cause) {
        throw new AeadError('authentication failed', { cause })
      }
    },

    mlkemKeyPair(seed) {
      const { publicKey } = expandKem(seed)
      return { publicKey, secretKey: seed.slice() }
    },
    mlkemGenerate() {
      return suite.mlkemKeyPair(random(MLKEM768_SEED_BYTES))
    },
    mlkemEncapsulate(publicKey): KemEncapsulation {
      checkLength('ML-KEM public key', publicKey, MLKEM768_PUBLIC_KEY_BYTES)
      try {
        const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, random(32))
        return { ciphertext: cipherText, sharedSecret }
      } catch (cause) {
        throw new InvalidKeyError(`invalid ML-KEM public key: ${(cause as Error).message}`)
      }
    },
    mlkemDecapsulate(secretKey, ciphertext) {
      checkLength('ML-KEM ciphertext', ciphertext, MLKEM768_CIPHERTEXT_BYTES)
      return ml_kem768.decapsulate(ciphertext, expandKem(secretKey).secretKey)
    },
  }
  return Object.freeze(suite)
}

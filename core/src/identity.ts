/**
 * A user's long-term identity: an Ed25519 identity key (IK), the user id derived from it, and
 * the X25519 forms of IK used for Diffie-Hellman in PQXDH (birational map, RFC 7748 §4.1).
 * Network identity (libp2p PeerId) is per device and is not the user identity.
 */
import { concatBytes, utf8 } from './bytes.ts'
import { checkKey } from './checks.ts'
import { USER_ID_BYTES, USER_ID_PREFIX } from './constants.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SEED_BYTES } from './crypto/suite.ts'
import { DecodeError } from './errors.ts'

export interface IdentityKeyPair {
  /** Ed25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array
  /** Ed25519 seed (RFC 8032 private key), 32 bytes. */
  readonly secretKey: Uint8Array
}

/** Domain separation label for the user id hash. */
const USER_ID_LABEL = 'wren/user-id/v1'
/** RFC 4648 §6 base32 alphabet, lowercase. */
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
/** Printed length of a user id: prefix + ceil(128 / 5) base32 characters. */
const USER_ID_STRING_LENGTH = USER_ID_PREFIX.length + Math.ceil((USER_ID_BYTES * 8) / 5)

export function generateIdentityKeyPair(suite: CryptoSuite): IdentityKeyPair {
  const { publicKey, secretKey } = suite.ed25519Generate()
  return { publicKey, secretKey }
}

/** Identity key pair from a stored 32-byte seed. */
export function identityKeyPairFromSeed(suite: CryptoSuite, seed: Uint8Array): IdentityKeyPair {
  checkKey('identity seed', seed, ED25519_SEED_BYTES)
  return { publicKey: suite.ed25519PublicKey(seed), secretKey: seed.slice() }
}

/** User id: the first 16 bytes of SHA-256(utf8('wren/user-id/v1') ‖ IK). */
export function userIdFromIdentityKey(suite: CryptoSuite, identityKey: Uint8Array): Uint8Array {
  checkKey('identity key', identityKey, ED25519_PUBLIC_KEY_BYTES)
  return suite.sha256(concatBytes(utf8(USER_ID_LABEL), identityKey)).slice(0, USER_ID_BYTES)
}

/** 'wu' + lowercase RFC 4648 base32 without padding (28 characters for a 16-byte id). */
export function formatUserId(userId: Uint8Array): string {
  checkKey('user id', userId, USER_ID_BYTES)
  let out = USER_ID_PREFIX
  let buffer = 0
  let bits = 0
  for (const byte of userId) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += BASE32_ALPHABET[(buffer >>> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Parse a printed user id. Case-insensitive (people retype ids); rejects anything that would not
 * format back to the same id (wrong prefix, length, characters or non-zero trailing bits).
 */
export function parseUserId(s: string): Uint8Array {
  if (typeof s !== 'string') throw new DecodeError('user id must be a string')
  const text = s.toLowerCase()
  if (text.length !== USER_ID_STRING_LENGTH || !text.startsWith(USER_ID_PREFIX))
    throw new DecodeError('malformed user id')
  const out = new Uint8Array(USER_ID_BYTES)
  let buffer = 0
  let bits = 0
  let index = 0
  for (const char of text.slice(USER_ID_PREFIX.length)) {
    const value = BASE32_ALPHABET.indexOf(char)
    if (value < 0) throw new DecodeError('malformed user id: invalid character')
    buffer = (buffer << 5) | value
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[index++] = (buffer >>> bits) & 0xff
    }
    buffer &= (1 << bits) - 1
  }
  if (buffer !== 0) throw new DecodeError('malformed user id: non-canonical trailing bits')
  return out
}

/** X25519 public form of an Ed25519 identity key (used for DH in PQXDH). */
export function identityDhPublicKey(suite: CryptoSuite, identityKey: Uint8Array): Uint8Array {
  return suite.ed25519PublicToX25519(identityKey)
}

/** X25519 secret form of an Ed25519 identity seed. Caller should wipe it after use. */
export function identityDhSecretKey(suite: CryptoSuite, seed: Uint8Array): Uint8Array {
  return suite.ed25519SeedToX25519(seed)
}

/**
 * Fixed DER wrappers that turn raw key bytes into PKCS#8 / SPKI documents node:crypto can import.
 * Every prefix below is the complete DER header for a fixed-length key, so "prefix ‖ raw" is the
 * whole document (faster than JWK, which needs base64url round trips).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

function hex(s: string): Buffer {
  return Buffer.from(s, 'hex')
}

// RFC 8410 §7: PrivateKeyInfo { version 0, AlgorithmIdentifier { id-X25519 1.3.101.110 },
// OCTET STRING { OCTET STRING (32) } }.
const X25519_PKCS8_PREFIX = hex('302e020100300506032b656e04220420')
// RFC 8410 §4: SubjectPublicKeyInfo { AlgorithmIdentifier { 1.3.101.110 }, BIT STRING (0 unused, 32) }.
const X25519_SPKI_PREFIX = hex('302a300506032b656e032100')
// Same shapes with id-Ed25519 1.3.101.112; the private key is the RFC 8032 32-byte seed.
const ED25519_PKCS8_PREFIX = hex('302e020100300506032b657004220420')
const ED25519_SPKI_PREFIX = hex('302a300506032b6570032100')
// draft-ietf-lamps-kyber-certificates: id-alg-ml-kem-768 2.16.840.1.101.3.4.4.2; the private key
// is the CHOICE `seed [0] IMPLICIT OCTET STRING (SIZE 64)` holding d ‖ z (FIPS 203 keygen input).
const MLKEM768_PKCS8_SEED_PREFIX = hex('3054020100300b060960864801650304040204428040')
// SubjectPublicKeyInfo { AlgorithmIdentifier { id-alg-ml-kem-768 }, BIT STRING (0 unused, 1184) }.
const MLKEM768_SPKI_PREFIX = hex('308204b2300b0609608648016503040402038204a100')

function wrap(prefix: Buffer, raw: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + raw.length)
  prefix.copy(out, 0)
  out.set(raw, prefix.length)
  return out
}

function importPrivate(prefix: Buffer, raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: wrap(prefix, raw), format: 'der', type: 'pkcs8' })
}

function importPublic(prefix: Buffer, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: wrap(prefix, raw), format: 'der', type: 'spki' })
}

/** The raw public key bytes of a KeyObject: its SPKI document minus the fixed prefix. */
function rawPublic(key: KeyObject, prefix: Buffer): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(prefix.length))
}

export const importX25519Private = (raw: Uint8Array): KeyObject => importPrivate(X25519_PKCS8_PREFIX, raw)
export const importX25519Public = (raw: Uint8Array): KeyObject => importPublic(X25519_SPKI_PREFIX, raw)
export const importEd25519Private = (seed: Uint8Array): KeyObject => importPrivate(ED25519_PKCS8_PREFIX, seed)
export const importEd25519Public = (raw: Uint8Array): KeyObject => importPublic(ED25519_SPKI_PREFIX, raw)
export const importMlKem768Private = (seed: Uint8Array): KeyObject =>
  importPrivate(MLKEM768_PKCS8_SEED_PREFIX, seed)
export const importMlKem768Public = (raw: Uint8Array): KeyObject => importPublic(MLKEM768_SPKI_PREFIX, raw)

/** Raw public key of an X25519/Ed25519 KeyObject via JWK `x` (RFC 8037), faster than SPKI export here. */
function rawOkpPublic(key: KeyObject): Uint8Array {
  const { x } = key.export({ format: 'jwk' })
  if (typeof x !== 'string') throw new TypeError('KeyObject has no OKP public value')
  return new Uint8Array(Buffer.from(x, 'base64url'))
}

export const exportX25519Public = (key: KeyObject): Uint8Array => rawOkpPublic(key)
export const exportEd25519Public = (key: KeyObject): Uint8Array => rawOkpPublic(key)
export const exportMlKem768Public = (key: KeyObject): Uint8Array => rawPublic(key, MLKEM768_SPKI_PREFIX)

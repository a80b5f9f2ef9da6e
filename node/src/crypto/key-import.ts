/**
 * Raw key bytes ⇄ node:crypto KeyObjects. X25519 and Ed25519 keys use Node's raw key formats
 * ('raw-public' / 'raw-private', the RFC 7748 / RFC 8032 byte strings), measurably cheaper than a
 * DER document; ML-KEM-768 keys keep fixed PKCS#8 / SPKI prefixes ("prefix ‖ raw" is the whole
 * DER document), which import faster than Node's 'raw-seed' for the private key.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

/** A Buffer view of the same bytes (no copy): Node's raw key inputs are typed as Buffer. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function hex(s: string): Buffer {
  return Buffer.from(s, 'hex')
}

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

/**
 * Runs a synchronous node:crypto call with Error.stackTraceLimit = 0, restored before anything
 * else can run. createPublicKey/createPrivateKey first ask "is this input a KeyObject, or a
 * CryptoKey?" by reading a private field inside try/catch (isKeyObject / isCryptoKey in Node's
 * lib/internal/crypto/keys.js): for the plain input object we pass, both throw and catch a
 * TypeError, and capturing those two stack traces costs more than the key import itself (an
 * X25519 public key import takes about half as long without them). A genuine error thrown in
 * here also has no stack; callers wrap those in errors of their own.
 */
function withoutStackTraces<T>(call: () => T): T {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return call()
  } finally {
    Error.stackTraceLimit = limit
  }
}

const privateKey = (input: Parameters<typeof createPrivateKey>[0]): KeyObject =>
  withoutStackTraces(() => createPrivateKey(input))
const publicKey = (input: Parameters<typeof createPublicKey>[0]): KeyObject =>
  withoutStackTraces(() => createPublicKey(input))

/** The Ed25519 raw private key is the RFC 8032 32-byte seed. */
export const importEd25519Private = (seed: Uint8Array): KeyObject =>
  privateKey({ key: view(seed), format: 'raw-private', asymmetricKeyType: 'ed25519' })
export const importEd25519Public = (raw: Uint8Array): KeyObject =>
  publicKey({ key: view(raw), format: 'raw-public', asymmetricKeyType: 'ed25519' })
export const importMlKem768Private = (seed: Uint8Array): KeyObject =>
  privateKey({ key: wrap(MLKEM768_PKCS8_SEED_PREFIX, seed), format: 'der', type: 'pkcs8' })
export const importMlKem768Public = (raw: Uint8Array): KeyObject =>
  publicKey({ key: wrap(MLKEM768_SPKI_PREFIX, raw), format: 'der', type: 'spki' })

/** Raw public key bytes of an X25519, Ed25519 or ML-KEM KeyObject (public or private). */
export const exportRawPublic = (key: KeyObject): Buffer =>
  (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'raw-public' })
/** Raw private bytes: the 32-byte secret of X25519, the 32-byte seed of Ed25519. */
export const exportRawPrivate = (key: KeyObject): Buffer => key.export({ format: 'raw-private' })
/** The 64-byte d ‖ z seed of an ML-KEM private key. */
export const exportRawSeed = (key: KeyObject): Buffer => key.export({ format: 'raw-seed' })

/**
 * The relay's CryptoSuite: the portable noble suite with SHA-256, Ed25519 verification and
 * randomness from node:crypto. Hashing every deposited envelope and checking the owner's
 * signature on every fetch are the relay's hot paths (a pure-JS Ed25519 check costs ~1.5 ms, the
 * native one ~0.1 ms). relay-node may not import node/, where the full node:crypto suite lives.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto'
import { createNobleSuite } from '../../core/src/crypto/noble-suite.ts'
import type { CryptoSuite } from '../../core/src/crypto/suite.ts'

const ED25519_PUBLIC_KEY_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64
/** DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410): the raw 32 bytes follow. */
const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
])

/**
 * OpenSSL's Ed25519 check; malformed keys or signatures are a `false`, never a throw. It and
 * noble differ only on keys and signatures with small-order parts, which only the holder of the
 * key can make: an inbox owner could weaken nothing but its own inbox.
 */
function nativeEd25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
    return false
  try {
    const der = new Uint8Array(ED25519_SPKI_PREFIX.length + publicKey.length)
    der.set(ED25519_SPKI_PREFIX)
    der.set(publicKey, ED25519_SPKI_PREFIX.length)
    const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

export function createRelaySuite(): CryptoSuite {
  const noble = createNobleSuite((length) => new Uint8Array(randomBytes(length)))
  return {
    ...noble,
    name: 'relay (noble + node:crypto sha256 and ed25519 verify)',
    sha256: (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest()),
    ed25519Verify: nativeEd25519Verify,
  }
}

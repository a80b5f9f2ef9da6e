/**
 * The one cryptographic interface core/ uses. Two implementations must agree byte for byte:
 * the portable one on @noble/* (core/src/crypto/noble-suite.ts) and the fast one on node:crypto
 * (node/src/crypto/node-suite.ts), which the daemon uses.
 *
 * Key conventions (all raw bytes, no DER/PEM inside core):
 * - X25519 secret key: 32 bytes (clamping happens inside x25519), public key: 32 bytes.
 * - Ed25519 secret key: the 32-byte seed (RFC 8032 private key), public key: 32 bytes.
 * - ML-KEM-768 secret key: the 64-byte seed d‖z (FIPS 203 keygen input); public key: 1184 bytes;
 *   ciphertext: 1088 bytes; shared secret: 32 bytes. Implementations may cache expanded keys.
 * - AES-256-GCM: 32-byte key, 12-byte nonce, output = ciphertext ‖ 16-byte tag.
 */

export const X25519_KEY_BYTES = 32
export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SEED_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64
export const MLKEM768_PUBLIC_KEY_BYTES = 1184
export const MLKEM768_SEED_BYTES = 64
export const MLKEM768_CIPHERTEXT_BYTES = 1088
export const MLKEM_SHARED_SECRET_BYTES = 32
export const AES_GCM_KEY_BYTES = 32
export const AES_GCM_NONCE_BYTES = 12
export const AES_GCM_TAG_BYTES = 16
export const SHA256_BYTES = 32
export const SHA512_BYTES = 64
/**
 * Most SHA-512 rounds one sha512Iterate call may run per chain: bounds a call's work (a few
 * hundred ms); safety numbers use 5,200 (Signal's count).
 */
export const MAX_SHA512_ITERATIONS = 1_000_000

/** Source of randomness; injected everywhere so core stays deterministic under test. */
export type Random = (length: number) => Uint8Array

/** Milliseconds since the Unix epoch; injected so core never reads the clock itself. */
export type Clock = () => number

export interface KeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

export interface KemEncapsulation {
  readonly ciphertext: Uint8Array
  readonly sharedSecret: Uint8Array
}

/** One chain of iterated SHA-512: H = SHA-512(first), then H = SHA-512(H ‖ suffix) each further round. */
export interface Sha512Chain {
  readonly first: Uint8Array
  readonly suffix: Uint8Array
}

export interface CryptoSuite {
  readonly name: string
  /** Cryptographically secure random bytes (the suite's injected source). */
  randomBytes(length: number): Uint8Array

  /** Public key for a 32-byte X25519 secret. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array
  /** X25519(secret, public). Throws CryptoError when the result is all zeros (low-order point). */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array
  /** Fresh X25519 key pair from randomBytes(32). */
  x25519Generate(): KeyPair

  /** Ed25519 public key for a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array
  /** false for any invalid signature or malformed key; never throws on bad input. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
  /** Fresh Ed25519 key pair (secretKey = seed) from randomBytes(32). */
  ed25519Generate(): KeyPair
  /** Birational map Edwards → Montgomery (RFC 7748 §4.1): u = (1 + y) / (1 - y). */
  ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array
  /** X25519 secret for an Ed25519 seed: the clamped first half of SHA-512(seed). */
  ed25519SeedToX25519(seed: Uint8Array): Uint8Array

  /** HKDF-SHA256 (RFC 5869). */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array
  sha256(data: Uint8Array): Uint8Array
  sha512(data: Uint8Array): Uint8Array
  /**
   * For each chain, H = SHA-512(first), then `iterations` − 1 more rounds H = SHA-512(H ‖ suffix);
   * returns each final H (64 bytes), in order. The chains are independent, so a suite may hash
   * them side by side (safety numbers pass both parties at once). RangeError unless
   * 1 ≤ iterations ≤ MAX_SHA512_ITERATIONS.
   */
  sha512Iterate(chains: readonly Sha512Chain[], iterations: number): Uint8Array[]

  aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  /** Throws AeadError when authentication fails. */
  aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array

  /** ML-KEM-768 key pair from a 64-byte seed (d‖z); secretKey returned is that seed. */
  mlkemKeyPair(seed: Uint8Array): KeyPair
  /** Fresh ML-KEM-768 key pair from randomBytes(64). */
  mlkemGenerate(): KeyPair
  mlkemEncapsulate(publicKey: Uint8Array): KemEncapsulation
  /** Decapsulate with the 64-byte seed secret key (implicit rejection: wrong ct → pseudorandom secret). */
  mlkemDecapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array
}

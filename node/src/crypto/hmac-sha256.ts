/**
 * HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) for the node suite, by input size:
 * - short keys and data (chain keys, message-key derivation: the ratchet's and Sender Keys' hot
 *   path) go to the WebAssembly SHA-256 (sha256-wasm.ts): ~0.7 µs per HMAC against ~2.5 µs for
 *   two node:crypto one-shot hashes, whose cost is the JS ↔ native crossing, and an HKDF of up to
 *   128 bytes there costs less than one hkdfSync call;
 * - longer data: two one-shot hashes (createHmac with raw key bytes pays for a native key object
 *   per call), or createHmac streaming past ONE_SHOT_MAX_BYTES;
 * - longer HKDF outputs run natively (hkdfSync) with the input key as a KeyObject from
 *   createSecretKey(), twice as fast as hkdfSync with raw key bytes.
 */
import { createHmac, createSecretKey, hash, hkdfSync } from 'node:crypto'
import { SHA256_BYTES } from '../../../core/src/crypto/suite.ts'
import { fitsWasmHkdf, hkdfSha256Wasm, hmacSha256Wasm, WASM_HMAC_MAX_DATA_BYTES } from './sha256-wasm.ts'

/** SHA-256 block size (bytes): keys are padded or hashed to this length. */
const BLOCK_BYTES = 64
/** Above this message size (bytes) createHmac streams the data instead of copying it once. */
const ONE_SHOT_MAX_BYTES = 64 * 1024
/** RFC 5869 §2.3: at most 255 blocks of output. */
export const HKDF_MAX_OUTPUT_BYTES = 255 * SHA256_BYTES
/** node:crypto's hkdfSync refuses a longer info (bytes); longer ones take the hash-based path. */
const NATIVE_HKDF_MAX_INFO_BYTES = 1024

const IPAD = 0x36
const OPAD = 0x5c

function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer')
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length <= BLOCK_BYTES && data.length <= WASM_HMAC_MAX_DATA_BYTES) return hmacSha256Wasm(key, data)
  if (data.length > ONE_SHOT_MAX_BYTES) return new Uint8Array(createHmac('sha256', key).update(data).digest())
  const k = key.length > BLOCK_BYTES ? sha256(key) : key
  const inner = new Uint8Array(BLOCK_BYTES + data.length)
  const outer = new Uint8Array(BLOCK_BYTES + SHA256_BYTES)
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = i < k.length ? (k[i] as number) : 0
    inner[i] = byte ^ IPAD
    outer[i] = byte ^ OPAD
  }
  inner.set(data, BLOCK_BYTES)
  outer.set(sha256(inner), BLOCK_BYTES)
  return new Uint8Array(sha256(outer))
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_OUTPUT_BYTES)
    throw new RangeError(`HKDF length must be 0..${HKDF_MAX_OUTPUT_BYTES}, got ${length}`)
  if (fitsWasmHkdf(ikm.length, salt.length, info.length, length))
    return hkdfSha256Wasm(ikm, salt, info, length)
  if (length > 0 && info.length <= NATIVE_HKDF_MAX_INFO_BYTES)
    return new Uint8Array(hkdfSync('sha256', createSecretKey(ikm), salt, info, length))
  return hkdfFromHashes(ikm, salt, info, length)
}

function hkdfFromHashes(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  // Extract (§2.2): an absent salt is HashLen zero bytes.
  const prk = hmacSha256(salt.length > 0 ? salt : new Uint8Array(SHA256_BYTES), ikm)
  // Expand (§2.3): T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i).
  const out = new Uint8Array(length)
  const input = new Uint8Array(SHA256_BYTES + info.length + 1)
  input.set(info, SHA256_BYTES)
  let previous = 0 // bytes of T(i−1) at the start of `input` (0 for T(1))
  for (let offset = 0, counter = 1; offset < length; offset += SHA256_BYTES, counter++) {
    input[SHA256_BYTES + info.length] = counter
    const block = hmacSha256(prk, input.subarray(SHA256_BYTES - previous))
    out.set(block.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset)
    // T(i) goes right before info, so T(i) ‖ info ‖ counter is a suffix of `input`.
    input.set(block, 0)
    previous = SHA256_BYTES
  }
  return out
}

/**
 * The three KDFs of the Double Ratchet (spec §5.2, with Wren's labels):
 * - KDF_RK: HKDF-SHA256(salt = root key, ikm = DH output, info = ROOT_KDF_INFO) → root key ‖ chain key.
 * - KDF_CK: message key = HMAC-SHA256(ck, 0x01), next chain key = HMAC-SHA256(ck, 0x02).
 * - Message key expansion: HKDF-SHA256(ikm = mk, salt = 32 zero bytes, info = MESSAGE_KDF_INFO)
 *   → AES-256-GCM key (32) ‖ nonce (12). A message key encrypts exactly one message, so a
 *   derived nonce never repeats under its key.
 */
import { utf8 } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import {
  MESSAGE_KDF_INFO,
  MESSAGE_KEY_MATERIAL_BYTES,
  RATCHET_KEY_BYTES,
  ROOT_KDF_INFO,
  ROOT_KDF_OUTPUT_BYTES,
} from './constants.ts'

const ROOT_INFO = utf8(ROOT_KDF_INFO)
const MESSAGE_INFO = utf8(MESSAGE_KDF_INFO)
const MESSAGE_SALT = new Uint8Array(RATCHET_KEY_BYTES)
/** Spec §5.2 recommends distinct constants as HMAC input for the message key and the next chain key. */
const MESSAGE_KEY_SEED = Uint8Array.of(0x01)
const CHAIN_KEY_SEED = Uint8Array.of(0x02)

export interface RootStep {
  readonly rootKey: Uint8Array
  readonly chainKey: Uint8Array
}

/** KDF_RK(rk, dh_out). */
export function kdfRoot(suite: CryptoSuite, rootKey: Uint8Array, dhOutput: Uint8Array): RootStep {
  const out = suite.hkdf(dhOutput, rootKey, ROOT_INFO, ROOT_KDF_OUTPUT_BYTES)
  return { rootKey: out.slice(0, RATCHET_KEY_BYTES), chainKey: out.slice(RATCHET_KEY_BYTES) }
}

/** KDF_CK(ck) → message key for this step. */
export function chainMessageKey(suite: CryptoSuite, chainKey: Uint8Array): Uint8Array {
  return suite.hmacSha256(chainKey, MESSAGE_KEY_SEED)
}

/** KDF_CK(ck) → the chain key of the next step. */
export function nextChainKey(suite: CryptoSuite, chainKey: Uint8Array): Uint8Array {
  return suite.hmacSha256(chainKey, CHAIN_KEY_SEED)
}

export interface AeadKey {
  readonly key: Uint8Array
  readonly nonce: Uint8Array
  /** The backing HKDF output, to wipe after use. */
  readonly material: Uint8Array
}

/** Expand a message key into the AES-256-GCM key and nonce. */
export function messageAeadKey(suite: CryptoSuite, messageKey: Uint8Array): AeadKey {
  const material = suite.hkdf(messageKey, MESSAGE_SALT, MESSAGE_INFO, MESSAGE_KEY_MATERIAL_BYTES)
  return {
    key: material.subarray(0, RATCHET_KEY_BYTES),
    nonce: material.subarray(RATCHET_KEY_BYTES),
    material,
  }
}

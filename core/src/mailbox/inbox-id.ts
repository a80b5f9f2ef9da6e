/**
 * Pseudonymous inbox ids. Each inbox has its own Ed25519 key pair, made for that inbox alone
 * (not the user's identity key, not the device key), so inboxes on different relays cannot be
 * linked to each other or to a user: inboxId = SHA-256(utf8('wren/inbox/v1') ‖ inboxPublicKey)[0..16).
 */
import { bytesEqual, concatBytes, utf8 } from '../bytes.ts'
import { checkKey } from '../checks.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, type KeyPair } from '../crypto/suite.ts'
import { INBOX_ID_BYTES, INBOX_ID_LABEL } from './constants.ts'

/** A fresh per-inbox Ed25519 key pair (secretKey = 32-byte seed). */
export function generateInboxKeyPair(suite: CryptoSuite): KeyPair {
  return suite.ed25519Generate()
}

export function inboxIdFromPublicKey(suite: CryptoSuite, inboxPublicKey: Uint8Array): Uint8Array {
  checkKey('inbox public key', inboxPublicKey, ED25519_PUBLIC_KEY_BYTES)
  return suite.sha256(concatBytes(utf8(INBOX_ID_LABEL), inboxPublicKey)).slice(0, INBOX_ID_BYTES)
}

/** True when `inboxId` is the id derived from `inboxPublicKey` (false for malformed input). */
export function inboxIdMatches(suite: CryptoSuite, inboxId: Uint8Array, inboxPublicKey: Uint8Array): boolean {
  if (inboxPublicKey.length !== ED25519_PUBLIC_KEY_BYTES || inboxId.length !== INBOX_ID_BYTES) return false
  return bytesEqual(inboxIdFromPublicKey(suite, inboxPublicKey), inboxId)
}

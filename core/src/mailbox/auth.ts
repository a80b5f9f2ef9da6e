/**
 * Owner authentication for mailbox operations: the relay hands out a random single-use nonce
 * (bound on the relay side to the asking connection's PeerId); the owner signs
 *   signingInput('wren/mailbox/auth/v1', [relayPeerId, inboxId, nonce, u32 operation])
 * with the inbox key. Binding the relay PeerId stops a signature for one relay being replayed at
 * another; binding the operation stops a fetch signature being used to ack or upload.
 */
import { checkKey, checkKeyRange } from '../checks.ts'
import { type CryptoSuite, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/suite.ts'
import { signingInput } from '../signing-input.ts'
import {
  CHALLENGE_NONCE_BYTES,
  INBOX_ID_BYTES,
  MAILBOX_AUTH_LABEL,
  MAX_RECEIPT_PEER_ID_BYTES,
} from './constants.ts'
import type { OwnerOperation } from './status.ts'

export interface MailboxAuthFields {
  /** libp2p PeerId bytes of the relay the request goes to. */
  readonly relayPeerId: Uint8Array
  readonly inboxId: Uint8Array
  /** The relay's challenge nonce. */
  readonly nonce: Uint8Array
  /** KIND_REGISTER, KIND_FETCH, KIND_ACK or KIND_UPLOAD_PREKEYS. */
  readonly operation: OwnerOperation
}

/** The canonical bytes the inbox key signs to authorize one operation. */
export function mailboxAuthSigningInput(fields: MailboxAuthFields): Uint8Array {
  return signingInput(MAILBOX_AUTH_LABEL, [
    { bytes: fields.relayPeerId },
    { bytes: fields.inboxId },
    { bytes: fields.nonce },
    { u32: fields.operation },
  ])
}

/** Owner side: the signature that authorizes `fields.operation` (inbox secret = Ed25519 seed). */
export function signMailboxAuth(
  suite: CryptoSuite,
  inboxSecretKey: Uint8Array,
  fields: MailboxAuthFields,
): Uint8Array {
  checkKeyRange('relay peer id', fields.relayPeerId, 1, MAX_RECEIPT_PEER_ID_BYTES)
  checkKey('inbox id', fields.inboxId, INBOX_ID_BYTES)
  checkKey('nonce', fields.nonce, CHALLENGE_NONCE_BYTES)
  return suite.ed25519Sign(inboxSecretKey, mailboxAuthSigningInput(fields))
}

/** Relay side: true only for a valid signature by `inboxPublicKey`; never throws on bad input. */
export function verifyMailboxAuth(
  suite: CryptoSuite,
  inboxPublicKey: Uint8Array,
  fields: MailboxAuthFields,
  signature: Uint8Array,
): boolean {
  if (inboxPublicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES)
    return false
  return suite.ed25519Verify(inboxPublicKey, mailboxAuthSigningInput(fields), signature)
}

/**
 * Storage receipts: a relay's signed statement that it stored an envelope for an inbox until
 * `expiresAt`. Signed by the relay's libp2p Ed25519 key over
 *   signingInput('wren/mailbox/receipt/v1', [u32 version, inboxId, envelopeHash, relayPeerId,
 *                                           u64 storedAt, u64 expiresAt])
 * Verification takes the raw 32-byte Ed25519 public key of the relay and also checks that the
 * receipt's relayPeerId is that key's PeerId, so a receipt cannot be passed off as another relay's.
 */
import { bytesEqual } from '../bytes.ts'
import { checkDecodedLength, checkDecodedRange, checkDecodedUint } from '../checks.ts'
import { type CryptoSuite, ED25519_SIGNATURE_BYTES } from '../crypto/suite.ts'
import { DecodeError, InvalidSignatureError, UnsupportedVersionError } from '../errors.ts'
import { Receipt as ReceiptProto } from '../proto/mailbox.ts'
import { signingInput } from '../signing-input.ts'
import {
  ENVELOPE_HASH_BYTES,
  INBOX_ID_BYTES,
  MAX_RECEIPT_PEER_ID_BYTES,
  RECEIPT_LABEL,
  RECEIPT_VERSION,
} from './constants.ts'
import { ed25519PeerIdBytes } from './relay-peer-id.ts'

export interface MailboxReceipt {
  readonly version: number
  readonly inboxId: Uint8Array
  /** SHA-256 of the envelope bytes. */
  readonly envelopeHash: Uint8Array
  /** libp2p PeerId bytes of the signing relay. */
  readonly relayPeerId: Uint8Array
  /** ms since epoch, relay clock. */
  readonly storedAt: number
  /** ms since epoch, relay clock: the relay keeps the envelope (unless acked) until then. */
  readonly expiresAt: number
  /** Ed25519, 64 bytes. */
  readonly signature: Uint8Array
}

export type UnsignedReceipt = Omit<MailboxReceipt, 'signature'>

/** Largest encoded receipt in bytes: three short byte fields, two timestamps and a signature. */
export const MAX_RECEIPT_BYTES = 512

export function receiptSigningInput(receipt: UnsignedReceipt): Uint8Array {
  return signingInput(RECEIPT_LABEL, [
    { u32: receipt.version },
    { bytes: receipt.inboxId },
    { bytes: receipt.envelopeHash },
    { bytes: receipt.relayPeerId },
    { u64: receipt.storedAt },
    { u64: receipt.expiresAt },
  ])
}

export interface VerifyReceiptOptions {
  /** Raw 32-byte Ed25519 public key of the relay the receipt should come from. */
  readonly relayPublicKey: Uint8Array
  /** When given, the receipt must be for this inbox. */
  readonly inboxId?: Uint8Array
  /** When given, the receipt must be for this envelope hash. */
  readonly envelopeHash?: Uint8Array
}

/** Throws UnsupportedVersionError or InvalidSignatureError; returns normally when valid. */
export function verifyReceipt(
  suite: CryptoSuite,
  receipt: MailboxReceipt,
  options: VerifyReceiptOptions,
): void {
  if (receipt.version !== RECEIPT_VERSION)
    throw new UnsupportedVersionError(`receipt version ${receipt.version}`)
  if (!bytesEqual(receipt.relayPeerId, ed25519PeerIdBytes(options.relayPublicKey)))
    throw new InvalidSignatureError('receipt names a different relay')
  if (options.inboxId !== undefined && !bytesEqual(receipt.inboxId, options.inboxId))
    throw new InvalidSignatureError('receipt is for a different inbox')
  if (options.envelopeHash !== undefined && !bytesEqual(receipt.envelopeHash, options.envelopeHash))
    throw new InvalidSignatureError('receipt is for a different envelope')
  const wellFormed =
    receipt.inboxId.length === INBOX_ID_BYTES &&
    receipt.envelopeHash.length === ENVELOPE_HASH_BYTES &&
    receipt.signature.length === ED25519_SIGNATURE_BYTES &&
    Number.isSafeInteger(receipt.storedAt) &&
    Number.isSafeInteger(receipt.expiresAt) &&
    receipt.storedAt >= 0 &&
    receipt.expiresAt >= receipt.storedAt
  if (
    !wellFormed ||
    !suite.ed25519Verify(options.relayPublicKey, receiptSigningInput(receipt), receipt.signature)
  )
    throw new InvalidSignatureError('receipt signature does not verify')
}

/** Field checks shared by the standalone decoder and the response decoder. */
export function checkDecodedReceipt(receipt: MailboxReceipt): MailboxReceipt {
  checkDecodedLength('receipt inbox id', receipt.inboxId, INBOX_ID_BYTES)
  checkDecodedLength('receipt envelope hash', receipt.envelopeHash, ENVELOPE_HASH_BYTES)
  checkDecodedRange('receipt relay peer id', receipt.relayPeerId, 1, MAX_RECEIPT_PEER_ID_BYTES)
  checkDecodedLength('receipt signature', receipt.signature, ED25519_SIGNATURE_BYTES)
  checkDecodedUint('receipt storedAt', receipt.storedAt)
  checkDecodedUint('receipt expiresAt', receipt.expiresAt)
  return receipt
}

export function encodeReceipt(receipt: MailboxReceipt): Uint8Array {
  return ReceiptProto.encode({ ...receipt } as ReceiptProto)
}

/** Decode a stored or forwarded receipt (size cap MAX_RECEIPT_BYTES); signature not checked here. */
export function decodeReceipt(bytes: Uint8Array): MailboxReceipt {
  if (bytes.length > MAX_RECEIPT_BYTES) throw new DecodeError(`receipt over ${MAX_RECEIPT_BYTES} bytes`)
  let decoded: ReceiptProto
  try {
    decoded = ReceiptProto.decode(bytes)
  } catch (err) {
    throw new DecodeError('malformed receipt', { cause: err })
  }
  return checkDecodedReceipt(decoded)
}

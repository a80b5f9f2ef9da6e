/**
 * Mailbox responses: typed values ⇄ wire bytes. decodeMailboxResponse is the client's edge
 * parser for untrusted relay answers: size cap, DecodeError for anything malformed, field
 * lengths checked. The caller matches the body to the request it sent (see bodyFor*).
 */
import { checkDecodedLength, checkDecodedRange, checkDecodedUint } from '../checks.ts'
import { DecodeError } from '../errors.ts'
import { MailboxResponse as MailboxResponseProto } from '../proto/mailbox.ts'
import {
  CHALLENGE_NONCE_BYTES,
  CURSOR_BYTES,
  ENVELOPE_HASH_BYTES,
  INBOX_ID_BYTES,
  MAILBOX_MAX_ENVELOPE_BYTES,
  MAILBOX_WIRE_VERSION,
  MAX_DEPOSIT_BATCH,
  MAX_FETCH_LIMIT,
  MAX_PREKEY_ITEM_BYTES,
  MAX_RESPONSE_BYTES,
} from './constants.ts'
import { checkDecodedReceipt, type MailboxReceipt } from './receipt.ts'
import { isKnownStatus, type MailboxStatus } from './status.ts'

export interface MailboxQuotas {
  readonly maxEnvelopes: number
  readonly maxBytes: number
  readonly ttlMs: number
  readonly maxEnvelopeBytes: number
  readonly maxPrekeys: number
}

export interface StoredEnvelope {
  /** SHA-256 of `envelope` (of the stored envelope, when a hashes-only fetch left it empty). */
  readonly hash: Uint8Array
  readonly envelope: Uint8Array
  readonly storedAt: number
  readonly expiresAt: number
}

export interface FetchPage {
  /** In deposit order. */
  readonly envelopes: StoredEnvelope[]
  /** Pass back as `cursor` for the next page; empty when the inbox was empty. */
  readonly nextCursor: Uint8Array
  /** True when more envelopes follow the cursor. */
  readonly more: boolean
  /** One-time prekeys still held for this inbox (the owner replenishes below a threshold). */
  readonly prekeysRemaining: number
}

export interface MailboxResponse {
  readonly requestId: number
  readonly status: MailboxStatus
  /** With STATUS_RATE_LIMITED: ms to wait before retrying (0 otherwise). */
  readonly retryAfterMs: number
  readonly challenge?: { readonly nonce: Uint8Array; readonly expiresAt: number }
  readonly register?: { readonly inboxId: Uint8Array } & MailboxQuotas
  readonly receipt?: MailboxReceipt
  readonly fetch?: FetchPage
  readonly ack?: { readonly deleted: number }
  readonly prekeys?: { readonly accepted: number; readonly remaining: number }
  readonly claimPrekey?: { readonly prekey: Uint8Array }
  /** Receipts of the envelopes stored, in request order (a prefix of the batch). */
  readonly depositBatch?: { readonly receipts: MailboxReceipt[] }
}

export function encodeMailboxResponse(response: MailboxResponse): Uint8Array {
  return MailboxResponseProto.encode({
    version: MAILBOX_WIRE_VERSION,
    requestId: response.requestId,
    status: response.status,
    retryAfterMs: response.retryAfterMs,
    challenge: response.challenge && { ...response.challenge },
    register: response.register && { ...response.register },
    receipt: response.receipt && { ...response.receipt },
    fetch: response.fetch && {
      ...response.fetch,
      envelopes: response.fetch.envelopes.map((e) => ({ ...e })),
    },
    ack: response.ack && { ...response.ack },
    prekeys: response.prekeys && { ...response.prekeys },
    claimPrekey: response.claimPrekey && { ...response.claimPrekey },
    depositBatch: response.depositBatch && {
      receipts: response.depositBatch.receipts.map((r) => ({ ...r })),
    },
  } as MailboxResponseProto)
}

/** Parse untrusted response bytes (cap MAX_RESPONSE_BYTES). Throws DecodeError. */
export function decodeMailboxResponse(bytes: Uint8Array): MailboxResponse {
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw new DecodeError(`mailbox response over ${MAX_RESPONSE_BYTES} bytes`)
  let msg: MailboxResponseProto
  try {
    msg = MailboxResponseProto.decode(bytes, {
      limits: { fetch: { envelopes: MAX_FETCH_LIMIT }, depositBatch: { receipts: MAX_DEPOSIT_BATCH } },
    })
  } catch (err) {
    throw new DecodeError('malformed mailbox response', { cause: err })
  }
  if (msg.version !== MAILBOX_WIRE_VERSION) throw new DecodeError(`mailbox response version ${msg.version}`)
  checkDecodedUint('request id', msg.requestId)
  if (!isKnownStatus(msg.status)) throw new DecodeError(`unknown mailbox status ${msg.status}`)
  if (msg.challenge !== undefined) {
    checkDecodedLength('challenge nonce', msg.challenge.nonce, CHALLENGE_NONCE_BYTES)
    checkDecodedUint('challenge expiresAt', msg.challenge.expiresAt)
  }
  if (msg.register !== undefined) {
    checkDecodedLength('inbox id', msg.register.inboxId, INBOX_ID_BYTES)
    checkDecodedUint('quota maxBytes', msg.register.maxBytes)
    checkDecodedUint('quota ttlMs', msg.register.ttlMs)
  }
  if (msg.receipt !== undefined) checkDecodedReceipt(msg.receipt)
  for (const receipt of msg.depositBatch?.receipts ?? []) checkDecodedReceipt(receipt)
  if (msg.fetch !== undefined) {
    const { nextCursor, envelopes } = msg.fetch
    if (nextCursor.length !== 0) checkDecodedLength('cursor', nextCursor, CURSOR_BYTES)
    for (const stored of envelopes) {
      checkDecodedLength('envelope hash', stored.hash, ENVELOPE_HASH_BYTES)
      // empty: the answer to a hashes-only fetch (the client checks it asked for one)
      checkDecodedRange('envelope', stored.envelope, 0, MAILBOX_MAX_ENVELOPE_BYTES)
      checkDecodedUint('envelope storedAt', stored.storedAt)
      checkDecodedUint('envelope expiresAt', stored.expiresAt)
    }
  }
  if (msg.claimPrekey !== undefined)
    checkDecodedRange('prekey', msg.claimPrekey.prekey, 1, MAX_PREKEY_ITEM_BYTES)
  return {
    requestId: msg.requestId,
    status: msg.status,
    retryAfterMs: msg.retryAfterMs,
    challenge: msg.challenge,
    register: msg.register,
    receipt: msg.receipt,
    fetch: msg.fetch,
    ack: msg.ack,
    prekeys: msg.prekeys,
    claimPrekey: msg.claimPrekey,
    depositBatch: msg.depositBatch,
  }
}

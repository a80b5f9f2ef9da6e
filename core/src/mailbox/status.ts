/**
 * Mailbox request kinds (also the `operation` an owner signs) and response status codes.
 * uint32 on the wire; plain constants rather than enums (erasable TypeScript, no proto enums).
 */

// ---- request kinds / owner operations

export const KIND_CHALLENGE = 1
export const KIND_REGISTER = 2
export const KIND_DEPOSIT = 3
export const KIND_FETCH = 4
export const KIND_ACK = 5
export const KIND_UPLOAD_PREKEYS = 6
export const KIND_CLAIM_PREKEY = 7
export const KIND_DEPOSIT_BATCH = 8

export type MailboxKind =
  | typeof KIND_CHALLENGE
  | typeof KIND_REGISTER
  | typeof KIND_DEPOSIT
  | typeof KIND_FETCH
  | typeof KIND_ACK
  | typeof KIND_UPLOAD_PREKEYS
  | typeof KIND_CLAIM_PREKEY
  | typeof KIND_DEPOSIT_BATCH

/** The operations that need an owner signature over a fresh challenge. */
export type OwnerOperation =
  | typeof KIND_REGISTER
  | typeof KIND_FETCH
  | typeof KIND_ACK
  | typeof KIND_UPLOAD_PREKEYS

// ---- response status codes (0 = success; everything else is a refusal reason)

export const STATUS_OK = 0
/** Envelope or prekey item over its size cap. */
export const STATUS_TOO_LARGE = 1
/** Request could not be decoded or has invalid fields. */
export const STATUS_MALFORMED = 2
/** No inbox with that id on this relay. */
export const STATUS_UNKNOWN_INBOX = 3
/** The inbox holds its maximum number of envelopes (or prekeys). */
export const STATUS_QUOTA_COUNT = 4
/** The inbox holds its maximum number of bytes. */
export const STATUS_QUOTA_BYTES = 5
/** The requesting peer sent too many requests; retry after retryAfterMs. */
export const STATUS_RATE_LIMITED = 6
/** Missing, expired, replayed or wrong challenge signature. */
export const STATUS_UNAUTHORIZED = 7
/** No one-time prekey left in the inbox's pool. */
export const STATUS_EXHAUSTED = 8
/** The relay holds its maximum number of inboxes. */
export const STATUS_RELAY_FULL = 9
/** The relay failed internally (storage error); the request may be retried. */
export const STATUS_INTERNAL = 10

export type MailboxStatus =
  | typeof STATUS_OK
  | typeof STATUS_TOO_LARGE
  | typeof STATUS_MALFORMED
  | typeof STATUS_UNKNOWN_INBOX
  | typeof STATUS_QUOTA_COUNT
  | typeof STATUS_QUOTA_BYTES
  | typeof STATUS_RATE_LIMITED
  | typeof STATUS_UNAUTHORIZED
  | typeof STATUS_EXHAUSTED
  | typeof STATUS_RELAY_FULL
  | typeof STATUS_INTERNAL

const STATUS_NAMES: Record<number, string> = {
  [STATUS_OK]: 'ok',
  [STATUS_TOO_LARGE]: 'too_large',
  [STATUS_MALFORMED]: 'malformed',
  [STATUS_UNKNOWN_INBOX]: 'unknown_inbox',
  [STATUS_QUOTA_COUNT]: 'quota_count',
  [STATUS_QUOTA_BYTES]: 'quota_bytes',
  [STATUS_RATE_LIMITED]: 'rate_limited',
  [STATUS_UNAUTHORIZED]: 'unauthorized',
  [STATUS_EXHAUSTED]: 'exhausted',
  [STATUS_RELAY_FULL]: 'relay_full',
  [STATUS_INTERNAL]: 'internal',
}

/** Stable lowercase name of a status code (used for logs and metric labels). */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? 'unknown'
}

/** Every status a relay may send, for clients that validate responses. */
export function isKnownStatus(status: number): status is MailboxStatus {
  return Object.hasOwn(STATUS_NAMES, status)
}

/**
 * Mailbox requests: typed values ⇄ wire bytes. decodeMailboxRequest is the relay's edge parser:
 * size cap first, protons errors become DecodeError, exactly one body must be set, and every
 * field length is checked. Envelope and prekey-item size caps are NOT checked here: the relay
 * answers those with STATUS_TOO_LARGE rather than STATUS_MALFORMED.
 */
import { checkDecodedLength, checkDecodedUint } from '../checks.ts'
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/suite.ts'
import { DecodeError } from '../errors.ts'
import { MailboxRequest as MailboxRequestProto } from '../proto/mailbox.ts'
import {
  CHALLENGE_NONCE_BYTES,
  CURSOR_BYTES,
  ENVELOPE_HASH_BYTES,
  INBOX_ID_BYTES,
  MAILBOX_WIRE_VERSION,
  MAX_ACK_HASHES,
  MAX_DEPOSIT_BATCH,
  MAX_FETCH_LIMIT,
  MAX_PREKEYS_PER_UPLOAD,
  MAX_REQUEST_BYTES,
} from './constants.ts'
import {
  KIND_ACK,
  KIND_CHALLENGE,
  KIND_CLAIM_PREKEY,
  KIND_DEPOSIT,
  KIND_DEPOSIT_BATCH,
  KIND_FETCH,
  KIND_REGISTER,
  KIND_UPLOAD_PREKEYS,
} from './status.ts'

/** Fields of a request authorized by an owner signature over a relay challenge. */
export interface OwnerProof {
  readonly inboxId: Uint8Array
  readonly nonce: Uint8Array
  readonly signature: Uint8Array
}

export type MailboxRequest =
  | { readonly kind: typeof KIND_CHALLENGE; readonly requestId: number }
  | {
      readonly kind: typeof KIND_REGISTER
      readonly requestId: number
      readonly inboxPublicKey: Uint8Array
      readonly nonce: Uint8Array
      readonly signature: Uint8Array
    }
  | {
      readonly kind: typeof KIND_DEPOSIT
      readonly requestId: number
      readonly inboxId: Uint8Array
      readonly envelope: Uint8Array
    }
  | {
      readonly kind: typeof KIND_DEPOSIT_BATCH
      readonly requestId: number
      readonly inboxId: Uint8Array
      /** 1..MAX_DEPOSIT_BATCH envelopes, stored in this order. */
      readonly envelopes: Uint8Array[]
    }
  | (OwnerProof & {
      readonly kind: typeof KIND_FETCH
      readonly requestId: number
      /** Empty = from the oldest envelope; else the nextCursor of the previous page. */
      readonly cursor: Uint8Array
      readonly limit: number
      /** Hashes (and times) only, each envelope empty; a relay without this option ignores it. */
      readonly hashesOnly?: boolean
    })
  | (OwnerProof & {
      readonly kind: typeof KIND_ACK
      readonly requestId: number
      readonly hashes: Uint8Array[]
    })
  | (OwnerProof & {
      readonly kind: typeof KIND_UPLOAD_PREKEYS
      readonly requestId: number
      readonly prekeys: Uint8Array[]
    })
  | { readonly kind: typeof KIND_CLAIM_PREKEY; readonly requestId: number; readonly inboxId: Uint8Array }

/** The generated codec types bytes as Uint8Array<ArrayBuffer>; ours are any Uint8Array. */
const encode = (msg: object): Uint8Array => MailboxRequestProto.encode(msg as MailboxRequestProto)

export function encodeMailboxRequest(request: MailboxRequest): Uint8Array {
  const base = { version: MAILBOX_WIRE_VERSION, requestId: request.requestId }
  switch (request.kind) {
    case KIND_CHALLENGE:
      return encode({ ...base, challenge: { reserved: 0 } })
    case KIND_REGISTER:
      return encode({
        ...base,
        register: {
          inboxPublicKey: request.inboxPublicKey,
          nonce: request.nonce,
          signature: request.signature,
        },
      })
    case KIND_DEPOSIT:
      return encode({ ...base, deposit: { inboxId: request.inboxId, envelope: request.envelope } })
    case KIND_DEPOSIT_BATCH:
      return encode({ ...base, depositBatch: { inboxId: request.inboxId, envelopes: request.envelopes } })
    case KIND_FETCH:
      return encode({
        ...base,
        fetch: {
          inboxId: request.inboxId,
          nonce: request.nonce,
          signature: request.signature,
          cursor: request.cursor,
          limit: request.limit,
          hashesOnly: request.hashesOnly === true,
        },
      })
    case KIND_ACK:
      return encode({
        ...base,
        ack: {
          inboxId: request.inboxId,
          nonce: request.nonce,
          signature: request.signature,
          hashes: request.hashes,
        },
      })
    case KIND_UPLOAD_PREKEYS:
      return encode({
        ...base,
        uploadPrekeys: {
          inboxId: request.inboxId,
          nonce: request.nonce,
          signature: request.signature,
          prekeys: request.prekeys,
        },
      })
    case KIND_CLAIM_PREKEY:
      return encode({ ...base, claimPrekey: { inboxId: request.inboxId } })
  }
}

function checkProof(proof: OwnerProof): void {
  checkDecodedLength('inbox id', proof.inboxId, INBOX_ID_BYTES)
  checkDecodedLength('nonce', proof.nonce, CHALLENGE_NONCE_BYTES)
  checkDecodedLength('signature', proof.signature, ED25519_SIGNATURE_BYTES)
}

/** Parse untrusted request bytes (cap MAX_REQUEST_BYTES). Throws DecodeError. */
export function decodeMailboxRequest(bytes: Uint8Array): MailboxRequest {
  if (bytes.length > MAX_REQUEST_BYTES)
    throw new DecodeError(`mailbox request over ${MAX_REQUEST_BYTES} bytes`)
  let msg: MailboxRequestProto
  try {
    msg = MailboxRequestProto.decode(bytes, {
      limits: {
        ack: { hashes: MAX_ACK_HASHES },
        uploadPrekeys: { prekeys: MAX_PREKEYS_PER_UPLOAD },
        depositBatch: { envelopes: MAX_DEPOSIT_BATCH },
      },
    })
  } catch (err) {
    throw new DecodeError('malformed mailbox request', { cause: err })
  }
  if (msg.version !== MAILBOX_WIRE_VERSION) throw new DecodeError(`mailbox request version ${msg.version}`)
  checkDecodedUint('request id', msg.requestId)
  const bodies = [
    msg.challenge,
    msg.register,
    msg.deposit,
    msg.fetch,
    msg.ack,
    msg.uploadPrekeys,
    msg.claimPrekey,
    msg.depositBatch,
  ].filter((body) => body !== undefined)
  if (bodies.length !== 1) throw new DecodeError(`mailbox request must carry one body, got ${bodies.length}`)
  const requestId = msg.requestId
  if (msg.challenge !== undefined) return { kind: KIND_CHALLENGE, requestId }
  if (msg.register !== undefined) {
    const { inboxPublicKey, nonce, signature } = msg.register
    checkDecodedLength('inbox public key', inboxPublicKey, ED25519_PUBLIC_KEY_BYTES)
    checkDecodedLength('nonce', nonce, CHALLENGE_NONCE_BYTES)
    checkDecodedLength('signature', signature, ED25519_SIGNATURE_BYTES)
    return { kind: KIND_REGISTER, requestId, inboxPublicKey, nonce, signature }
  }
  if (msg.deposit !== undefined) {
    const { inboxId, envelope } = msg.deposit
    checkDecodedLength('inbox id', inboxId, INBOX_ID_BYTES)
    if (envelope.length === 0) throw new DecodeError('empty envelope')
    return { kind: KIND_DEPOSIT, requestId, inboxId, envelope }
  }
  if (msg.depositBatch !== undefined) {
    const { inboxId, envelopes } = msg.depositBatch
    checkDecodedLength('inbox id', inboxId, INBOX_ID_BYTES)
    if (envelopes.length === 0) throw new DecodeError('empty deposit batch')
    for (const envelope of envelopes) if (envelope.length === 0) throw new DecodeError('empty envelope')
    return { kind: KIND_DEPOSIT_BATCH, requestId, inboxId, envelopes }
  }
  if (msg.fetch !== undefined) {
    const { inboxId, nonce, signature, cursor, limit, hashesOnly } = msg.fetch
    checkProof({ inboxId, nonce, signature })
    if (cursor.length !== 0) checkDecodedLength('cursor', cursor, CURSOR_BYTES)
    if (limit < 1 || limit > MAX_FETCH_LIMIT)
      throw new DecodeError(`fetch limit must be 1..${MAX_FETCH_LIMIT}`)
    return {
      kind: KIND_FETCH,
      requestId,
      inboxId,
      nonce,
      signature,
      cursor,
      limit,
      ...(hashesOnly ? { hashesOnly } : {}),
    }
  }
  if (msg.ack !== undefined) {
    const { inboxId, nonce, signature, hashes } = msg.ack
    checkProof({ inboxId, nonce, signature })
    for (const hash of hashes) checkDecodedLength('envelope hash', hash, ENVELOPE_HASH_BYTES)
    return { kind: KIND_ACK, requestId, inboxId, nonce, signature, hashes }
  }
  if (msg.uploadPrekeys !== undefined) {
    const { inboxId, nonce, signature, prekeys } = msg.uploadPrekeys
    checkProof({ inboxId, nonce, signature })
    for (const prekey of prekeys) if (prekey.length === 0) throw new DecodeError('empty prekey item')
    return { kind: KIND_UPLOAD_PREKEYS, requestId, inboxId, nonce, signature, prekeys }
  }
  const claim = msg.claimPrekey as NonNullable<typeof msg.claimPrekey>
  checkDecodedLength('inbox id', claim.inboxId, INBOX_ID_BYTES)
  return { kind: KIND_CLAIM_PREKEY, requestId, inboxId: claim.inboxId }
}

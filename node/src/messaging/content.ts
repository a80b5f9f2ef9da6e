/**
 * The plaintext of a 1:1 ratchet message: a text message (maybe a reply or a forward), a delivery
 * or read receipt, an app payload, or an action on a message (reaction, edit, delete, pin).
 * Parsed once here, at the edge, into a typed value; everything past this trusts its fields.
 */
import { MAX_BUNDLE_BYTES } from '../../../core/src/constants.ts'
import { MAX_ACTION_BYTES, MAX_QUOTE_CHARS } from '../../../core/src/conversation/constants.ts'
import { DecodeError, UnsupportedVersionError } from '../../../core/src/errors.ts'
import { MAX_FILE_POINTER_BYTES } from '../../../core/src/file/constants.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import { STREAM_READ_BUFFER_BYTES } from '../p2p/constants.ts'
import {
  Content as ContentProto,
  DeliveryRequest,
  DeliveryResponse,
  PrekeyResponse,
} from './proto/content.ts'

export const CONTENT_VERSION = 1
export const CONTENT_KIND_TEXT = 1
export const CONTENT_KIND_DELIVERY_RECEIPT = 2
export const CONTENT_KIND_READ_RECEIPT = 3
/** A payload for another layer over the pairwise session (groups), routed by appKind. */
export const CONTENT_KIND_APP = 4
/** An action on one message (core/src/conversation/action.ts): reaction, edit, delete, pin. */
export const CONTENT_KIND_ACTION = 5
const CONTENT_KINDS = new Set([
  CONTENT_KIND_TEXT,
  CONTENT_KIND_DELIVERY_RECEIPT,
  CONTENT_KIND_READ_RECEIPT,
  CONTENT_KIND_APP,
  CONTENT_KIND_ACTION,
])
/** App payloads: a group's operation log for a new member must fit (≈100 ops of 2 KiB). */
export const MAX_APP_PAYLOAD_BYTES = 192 * 1024

export const MESSAGE_ID_BYTES = 16
/** Same cap as the RPC's messages.send text (64 Ki characters, up to 4 bytes each in UTF-8). */
export const MAX_TEXT_CHARS = 65_536
/** A receipt acknowledges at most this many messages; bigger batches are split. */
export const MAX_RECEIPT_IDS = 512
/**
 * Upper bound of an encoded Content: text in UTF-8 or an app payload or an action (each at most
 * the text's bytes plus 1 KiB), plus receipts, a file pointer, a reply's quote and headers.
 */
export const MAX_CONTENT_BYTES =
  Math.max(MAX_TEXT_CHARS * 4, MAX_ACTION_BYTES) +
  MAX_RECEIPT_IDS * (MESSAGE_ID_BYTES + 2) +
  MAX_FILE_POINTER_BYTES +
  MAX_QUOTE_CHARS * 4 +
  1024
const USER_ID_BYTES = 16
const MAX_NAME_CHARS = 64

export interface Content {
  readonly kind: number
  readonly messageId: Uint8Array
  readonly text: string
  readonly sentAt: number
  readonly receiptIds: readonly Uint8Array[]
  readonly senderUserId: Uint8Array
  readonly senderName: string
  /** Proof that the sender's current identity key belongs to its user id (after a rotation). */
  readonly succession: IdentitySuccession | null
  /** CONTENT_KIND_APP only. */
  readonly appKind?: number
  readonly appPayload?: Uint8Array
  /** CONTENT_KIND_TEXT with a file: the encoded FilePointer (node/src/files decodes it). */
  readonly attachment?: Uint8Array
  /** CONTENT_KIND_TEXT answering a message: its id, its author's user id and the quoted line. */
  readonly replyTo?: ContentQuote
  /** CONTENT_KIND_TEXT forwarded from another conversation. */
  readonly forwarded?: boolean
  /** CONTENT_KIND_ACTION only: the encoded MessageAction (decoded by the receiving side). */
  readonly action?: Uint8Array
}

/** The replied message as a reply carries it. */
export interface ContentQuote {
  readonly id: Uint8Array
  readonly author: Uint8Array
  readonly text: string
}

type Buf = Uint8Array<ArrayBuffer>

export function encodeContent(content: Content): Uint8Array {
  return ContentProto.encode({
    version: CONTENT_VERSION,
    kind: content.kind,
    messageId: content.messageId as Buf,
    text: content.text,
    sentAt: content.sentAt,
    receiptIds: content.receiptIds.map((id) => id as Buf),
    senderUserId: content.senderUserId as Buf,
    senderName: content.senderName,
    senderOriginIdentityKey: (content.succession?.originIdentityKey ?? new Uint8Array(0)) as Buf,
    senderSuccessionSignature: (content.succession?.signature ?? new Uint8Array(0)) as Buf,
    appKind: content.appKind ?? 0,
    appPayload: (content.appPayload ?? new Uint8Array(0)) as Buf,
    attachment: (content.attachment ?? new Uint8Array(0)) as Buf,
    replyToId: (content.replyTo?.id ?? new Uint8Array(0)) as Buf,
    replyToAuthor: (content.replyTo?.author ?? new Uint8Array(0)) as Buf,
    replyToText: content.replyTo?.text ?? '',
    forwarded: content.forwarded ?? false,
    action: (content.action ?? new Uint8Array(0)) as Buf,
  })
}

export function decodeContent(bytes: Uint8Array): Content {
  if (bytes.length > MAX_CONTENT_BYTES) throw new DecodeError('content is too large')
  let proto: ReturnType<typeof ContentProto.decode>
  try {
    proto = ContentProto.decode(bytes, { limits: { receiptIds: MAX_RECEIPT_IDS } })
  } catch (cause) {
    throw new DecodeError('malformed content', { cause })
  }
  if (proto.version !== CONTENT_VERSION) throw new UnsupportedVersionError(`content version ${proto.version}`)
  if (!CONTENT_KINDS.has(proto.kind)) throw new DecodeError(`unknown content kind ${proto.kind}`)
  if (proto.messageId.length !== MESSAGE_ID_BYTES) throw new DecodeError('message id has a bad length')
  if (proto.senderUserId.length !== USER_ID_BYTES) throw new DecodeError('sender user id has a bad length')
  if (proto.text.length > MAX_TEXT_CHARS) throw new DecodeError('text is too long')
  if (proto.senderName.length > MAX_NAME_CHARS) throw new DecodeError('sender name is too long')
  if (proto.attachment.length > MAX_FILE_POINTER_BYTES) throw new DecodeError('attachment is too large')
  if (proto.kind === CONTENT_KIND_TEXT && proto.text.length === 0 && proto.attachment.length === 0)
    throw new DecodeError('empty text message')
  for (const id of proto.receiptIds) {
    if (id.length !== MESSAGE_ID_BYTES) throw new DecodeError('receipt id has a bad length')
  }
  if (proto.appPayload.length > MAX_APP_PAYLOAD_BYTES) throw new DecodeError('app payload is too large')
  if (proto.kind === CONTENT_KIND_APP && proto.appKind === 0)
    throw new DecodeError('app content without app kind')
  if (proto.action.length > MAX_ACTION_BYTES) throw new DecodeError('action is too large')
  if ((proto.kind === CONTENT_KIND_ACTION) !== proto.action.length > 0)
    throw new DecodeError('an action content carries exactly one action')
  const hasReply = proto.replyToId.length > 0 || proto.replyToAuthor.length > 0 || proto.replyToText !== ''
  if (hasReply) {
    if (proto.kind !== CONTENT_KIND_TEXT) throw new DecodeError('a reply quote on a content that is no text')
    if (proto.replyToId.length !== MESSAGE_ID_BYTES || proto.replyToAuthor.length !== USER_ID_BYTES)
      throw new DecodeError('reply quote ids have a bad length')
    if (proto.replyToText.length > MAX_QUOTE_CHARS) throw new DecodeError('reply quote is too long')
  }
  if (proto.forwarded && proto.kind !== CONTENT_KIND_TEXT)
    throw new DecodeError('forwarded flag on a content that is no text')
  const origin = proto.senderOriginIdentityKey
  const signature = proto.senderSuccessionSignature
  if (
    !((origin.length === 0 && signature.length === 0) || (origin.length === 32 && signature.length === 64))
  ) {
    throw new DecodeError('malformed succession proof')
  }
  return {
    kind: proto.kind,
    messageId: proto.messageId,
    text: proto.text,
    sentAt: proto.sentAt,
    receiptIds: proto.receiptIds,
    senderUserId: proto.senderUserId,
    senderName: proto.senderName,
    succession: origin.length === 0 ? null : { originIdentityKey: origin, signature },
    ...(proto.kind === CONTENT_KIND_APP ? { appKind: proto.appKind, appPayload: proto.appPayload } : {}),
    ...(proto.kind === CONTENT_KIND_TEXT && proto.attachment.length > 0
      ? { attachment: proto.attachment }
      : {}),
    ...(hasReply
      ? { replyTo: { id: proto.replyToId, author: proto.replyToAuthor, text: proto.replyToText } }
      : {}),
    ...(proto.forwarded ? { forwarded: true } : {}),
    ...(proto.kind === CONTENT_KIND_ACTION ? { action: proto.action } : {}),
  }
}

/** /wren/msg response codes. */
export const DELIVERY_OK = 0
/** Already persisted earlier (a retry of a delivered envelope): as good as OK. */
export const DELIVERY_DUPLICATE = 1
/** The recipient has no session for this message (lost state, new identity): start over. */
export const DELIVERY_NO_SESSION = 2
/** Not an envelope for this device, or it fails to decrypt: do not retry the same bytes. */
export const DELIVERY_REJECTED = 3
/** The recipient is locked or shutting down: retry later. */
export const DELIVERY_UNAVAILABLE = 4
const DELIVERY_STATUSES = new Set([
  DELIVERY_OK,
  DELIVERY_DUPLICATE,
  DELIVERY_NO_SESSION,
  DELIVERY_REJECTED,
  DELIVERY_UNAVAILABLE,
])
/** Envelopes per /wren/msg request: batches keep order and amortise one round trip. */
export const MAX_DELIVERY_BATCH = 64
/** Room under the transport limit for the request's length prefix (≤ 5 B), with a wide margin. */
const TRANSPORT_HEADROOM_BYTES = 64 * 1024
/**
 * Largest /wren/msg request in bytes, enforced by the receiver: under the transport's real limit
 * (STREAM_READ_BUFFER_BYTES, 4 MiB), since libp2p aborts a bigger message before anyone reads it.
 */
export const MAX_DELIVERY_REQUEST_BYTES = STREAM_READ_BUFFER_BYTES - TRANSPORT_HEADROOM_BYTES
/**
 * Envelope bytes a sender puts in one /wren/msg request, at most (one envelope always goes, and
 * a largest envelope is 256 KiB): half the request cap, so a batch leaves in about 2 s at
 * 8 Mbit/s; the outbox halves it for a peer whose exchange fails (a slower link) and grows it
 * back after a success.
 */
export const DELIVERY_BATCH_BYTES = 2 * 1024 * 1024
/** Protobuf framing of one envelope inside a DeliveryRequest: a tag and a length of ≤ 3 bytes. */
export const DELIVERY_ENVELOPE_FRAMING_BYTES = 8
const MAX_DELIVERY_RESPONSE_BYTES = MAX_DELIVERY_BATCH * 2 + 16

export function encodeDeliveryRequest(envelopes: readonly Uint8Array[]): Uint8Array {
  return DeliveryRequest.encode({ envelopes: envelopes.map((e) => e as Buf) })
}

export function decodeDeliveryRequest(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length > MAX_DELIVERY_REQUEST_BYTES) throw new DecodeError('delivery request is too large')
  let envelopes: Uint8Array[]
  try {
    envelopes = DeliveryRequest.decode(bytes, { limits: { envelopes: MAX_DELIVERY_BATCH } }).envelopes
  } catch (cause) {
    throw new DecodeError('malformed delivery request', { cause })
  }
  if (envelopes.length === 0) throw new DecodeError('empty delivery request')
  return envelopes
}

export function encodeDeliveryResponse(statuses: readonly number[]): Uint8Array {
  return DeliveryResponse.encode({ statuses: [...statuses] })
}

export function decodeDeliveryResponse(bytes: Uint8Array, expected: number): number[] {
  if (bytes.length > MAX_DELIVERY_RESPONSE_BYTES) throw new DecodeError('delivery response is too large')
  let statuses: number[]
  try {
    statuses = DeliveryResponse.decode(bytes, { limits: { statuses: MAX_DELIVERY_BATCH } }).statuses
  } catch (cause) {
    throw new DecodeError('malformed delivery response', { cause })
  }
  if (statuses.length !== expected)
    throw new DecodeError(`expected ${expected} statuses, got ${statuses.length}`)
  for (const status of statuses) {
    if (!DELIVERY_STATUSES.has(status)) throw new DecodeError(`unknown delivery status ${status}`)
  }
  return statuses
}

/** A one-time X25519 prekey (≈40 B) plus a signed one-time ML-KEM prekey (≈1.3 KiB). */
/** A one-time prekey pair (X25519 + signed ML-KEM-768, ~1.3 KiB) with headroom, plus one bundle. */
export const MAX_PREKEY_RESPONSE_BYTES = 4096 + MAX_BUNDLE_BYTES

export function encodePrekeyResponse(
  oneTimePrekey: Uint8Array,
  oneTimeKemPrekey: Uint8Array,
  bundle: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return PrekeyResponse.encode({
    oneTimePrekey: oneTimePrekey as Buf,
    oneTimeKemPrekey: oneTimeKemPrekey as Buf,
    bundle: bundle as Buf,
  })
}

export function decodePrekeyResponse(bytes: Uint8Array): {
  oneTimePrekey: Uint8Array
  oneTimeKemPrekey: Uint8Array
  bundle: Uint8Array
} {
  if (bytes.length > MAX_PREKEY_RESPONSE_BYTES) throw new DecodeError('prekey response is too large')
  try {
    return PrekeyResponse.decode(bytes)
  } catch (cause) {
    throw new DecodeError('malformed prekey response', { cause })
  }
}

/**
 * A sent transcript (issue 18): the copy of a 1:1 text we sent that goes to each of our own other
 * devices, so a reply written on one device shows in every device's history (Signal's
 * SyncMessage.Sent, Sesame's "send to own devices"). It rides as an app payload inside the
 * pairwise session between two devices of one identity (SentTranscript in
 * core/src/proto/transcript.proto). decodeSentTranscript is the edge parser: size cap first, the
 * version must be ours, ids of 16 bytes, text and quote within their caps.
 */
import { checkDecodedUint, decodeCapped } from '../checks.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../errors.ts'
import { SentTranscript as SentTranscriptProto } from '../proto/transcript.ts'
import { ACTION_ID_BYTES, MAX_EDIT_TEXT_CHARS, MAX_QUOTE_CHARS } from './constants.ts'

/** Wire version of SentTranscript; others are rejected. */
export const TRANSCRIPT_WIRE_VERSION = 1
/** Message ids and user ids are 16 bytes. */
const ID_BYTES = ACTION_ID_BYTES
/** A transcript's text: the cap of a message's text (64 Ki characters), as edits have. */
export const MAX_TRANSCRIPT_TEXT_CHARS = MAX_EDIT_TEXT_CHARS
/**
 * Encoded SentTranscript cap in bytes: the app payload cap of the pairwise session (192 KiB). A
 * text whose transcript would be larger (over ~48 Ki four-byte characters) gets none.
 */
export const MAX_SENT_TRANSCRIPT_BYTES = 192 * 1024

export interface SentTranscript {
  /** The contact's user id (16 bytes): the conversation. */
  readonly peerUserId: Uint8Array
  readonly messageId: Uint8Array
  readonly text: string
  /** The sending device's clock, ms since the Unix epoch. */
  readonly sentAt: number
  readonly replyTo?: { readonly id: Uint8Array; readonly author: Uint8Array; readonly text: string }
  readonly forwarded?: boolean
}

export function encodeSentTranscript(t: SentTranscript): Uint8Array {
  if (t.peerUserId.length !== ID_BYTES || t.messageId.length !== ID_BYTES)
    throw new InvalidKeyError('transcript ids must be 16 bytes')
  if (!Number.isSafeInteger(t.sentAt) || t.sentAt < 0)
    throw new InvalidKeyError('sentAt must be a non-negative integer')
  // protons' types ask for ArrayBuffer-backed arrays; it only reads them
  const bytes = (b: Uint8Array | undefined) => (b ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
  return SentTranscriptProto.encode({
    version: TRANSCRIPT_WIRE_VERSION,
    peerUserId: bytes(t.peerUserId),
    messageId: bytes(t.messageId),
    text: t.text,
    sentAt: t.sentAt,
    replyToId: bytes(t.replyTo?.id),
    replyToAuthor: bytes(t.replyTo?.author),
    replyToText: t.replyTo?.text ?? '',
    forwarded: t.forwarded === true,
  })
}

/** Parse a transcript from one of our devices; DecodeError / UnsupportedVersionError otherwise. */
export function decodeSentTranscript(bytes: Uint8Array): SentTranscript {
  const p = decodeCapped('sent transcript', bytes, MAX_SENT_TRANSCRIPT_BYTES, (b) =>
    SentTranscriptProto.decode(b),
  )
  if (p.version !== TRANSCRIPT_WIRE_VERSION)
    throw new UnsupportedVersionError(`transcript version ${p.version}`)
  if (p.peerUserId.length !== ID_BYTES) throw new DecodeError('transcript peer has a bad length')
  if (p.messageId.length !== ID_BYTES) throw new DecodeError('transcript message id has a bad length')
  checkDecodedUint('sentAt', p.sentAt)
  if (p.text.length === 0) throw new DecodeError('empty transcript text')
  if (p.text.length > MAX_TRANSCRIPT_TEXT_CHARS) throw new DecodeError('transcript text is too long')
  const hasReply = p.replyToId.length > 0 || p.replyToAuthor.length > 0 || p.replyToText !== ''
  if (hasReply) {
    if (p.replyToId.length !== ID_BYTES || p.replyToAuthor.length !== ID_BYTES)
      throw new DecodeError('transcript reply ids have a bad length')
    if (p.replyToText.length > MAX_QUOTE_CHARS) throw new DecodeError('transcript quote is too long')
  }
  return {
    peerUserId: p.peerUserId,
    messageId: p.messageId,
    text: p.text,
    sentAt: p.sentAt,
    ...(hasReply ? { replyTo: { id: p.replyToId, author: p.replyToAuthor, text: p.replyToText } } : {}),
    ...(p.forwarded ? { forwarded: true } : {}),
  }
}

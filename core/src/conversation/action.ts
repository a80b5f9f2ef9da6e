/**
 * Conversation actions: typed values ⇄ wire bytes (MessageAction in core/src/proto/action.proto).
 * decodeMessageAction is the edge parser of what a contact sends about a message: size cap
 * first, protons errors become DecodeError, the version must be ours, the kind known, ids of the
 * right length, and each kind carries exactly its fields (text on EDIT, an emoji or nothing on
 * REACT, the flag on PIN) and nothing else. Whether the sender may do it (author, window) is the
 * receiver's decision, not the codec's.
 */
import { checkDecodedLength, checkDecodedUint, checkKey, decodeCapped } from '../checks.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../errors.ts'
import { MessageAction as MessageActionProto } from '../proto/action.ts'
import {
  ACTION_DELETE,
  ACTION_EDIT,
  ACTION_ID_BYTES,
  ACTION_KINDS,
  ACTION_PIN,
  ACTION_REACT,
  ACTION_WIRE_VERSION,
  MAX_ACTION_BYTES,
  MAX_EDIT_TEXT_CHARS,
} from './constants.ts'
import { isReaction } from './reaction.ts'

interface Base {
  /** The message acted on (16 bytes) and its author's user id (16 bytes). */
  readonly targetId: Uint8Array
  readonly targetAuthor: Uint8Array
  /** Sender's clock, ms since the Unix epoch. */
  readonly sentAt: number
}

export type MessageAction =
  | (Base & { readonly kind: typeof ACTION_REACT; readonly emoji: string | null })
  | (Base & { readonly kind: typeof ACTION_EDIT; readonly text: string })
  | (Base & { readonly kind: typeof ACTION_DELETE })
  | (Base & { readonly kind: typeof ACTION_PIN; readonly pinned: boolean })

export type MessageActionKind = MessageAction['kind']

function editTextOk(text: string): boolean {
  return text.length > 0 && text.length <= MAX_EDIT_TEXT_CHARS
}

/** The wire bytes of an action; InvalidKeyError for a value no decoder would accept. */
export function encodeMessageAction(action: MessageAction): Uint8Array {
  checkKey('target id', action.targetId, ACTION_ID_BYTES)
  checkKey('target author', action.targetAuthor, ACTION_ID_BYTES)
  if (!Number.isSafeInteger(action.sentAt) || action.sentAt < 0)
    throw new InvalidKeyError('sentAt must be a non-negative integer')
  let text = ''
  let emoji = ''
  let pinned = false
  if (action.kind === ACTION_EDIT) {
    if (!editTextOk(action.text))
      throw new InvalidKeyError(`edit text must be 1..${MAX_EDIT_TEXT_CHARS} characters`)
    text = action.text
  } else if (action.kind === ACTION_REACT) {
    if (action.emoji !== null && !isReaction(action.emoji)) throw new InvalidKeyError('not a single emoji')
    emoji = action.emoji ?? ''
  } else if (action.kind === ACTION_PIN) {
    pinned = action.pinned
  } else if (action.kind !== ACTION_DELETE) {
    throw new InvalidKeyError(`unknown action kind ${(action as { kind: number }).kind}`)
  }
  return MessageActionProto.encode({
    version: ACTION_WIRE_VERSION,
    kind: action.kind,
    targetId: action.targetId as Uint8Array<ArrayBuffer>,
    targetAuthor: action.targetAuthor as Uint8Array<ArrayBuffer>,
    sentAt: action.sentAt,
    text,
    emoji,
    pinned,
  })
}

/** Parse a contact's action; DecodeError / UnsupportedVersionError for anything malformed. */
export function decodeMessageAction(bytes: Uint8Array): MessageAction {
  const proto = decodeCapped('message action', bytes, MAX_ACTION_BYTES, (b) => MessageActionProto.decode(b))
  if (proto.version !== ACTION_WIRE_VERSION)
    throw new UnsupportedVersionError(`message action version ${proto.version}`)
  const { kind } = proto
  if (!ACTION_KINDS.has(kind)) throw new DecodeError(`unknown message action kind ${kind}`)
  checkDecodedLength('target id', proto.targetId, ACTION_ID_BYTES)
  checkDecodedLength('target author', proto.targetAuthor, ACTION_ID_BYTES)
  checkDecodedUint('sentAt', proto.sentAt)
  if (kind !== ACTION_EDIT && proto.text !== '') throw new DecodeError('text on an action that carries none')
  if (kind !== ACTION_REACT && proto.emoji !== '')
    throw new DecodeError('emoji on an action that carries none')
  if (kind !== ACTION_PIN && proto.pinned) throw new DecodeError('pin flag on an action that carries none')
  const base = { targetId: proto.targetId, targetAuthor: proto.targetAuthor, sentAt: proto.sentAt }
  switch (kind) {
    case ACTION_REACT:
      if (proto.emoji !== '' && !isReaction(proto.emoji))
        throw new DecodeError('reaction is not a single emoji')
      return { ...base, kind, emoji: proto.emoji === '' ? null : proto.emoji }
    case ACTION_EDIT:
      if (!editTextOk(proto.text)) throw new DecodeError('edit text is empty or too long')
      return { ...base, kind, text: proto.text }
    case ACTION_DELETE:
      return { ...base, kind }
    case ACTION_PIN:
      return { ...base, kind, pinned: proto.pinned }
    default:
      throw new DecodeError(`unknown message action kind ${kind}`)
  }
}

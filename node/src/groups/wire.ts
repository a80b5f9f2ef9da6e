/**
 * Group payload codecs. Untrusted bytes are parsed here, once, into typed values: each decoder
 * checks the size cap first, turns protons errors into DecodeError and checks field lengths.
 */
import { toHex } from '../../../core/src/bytes.ts'
import { checkDecodedLength, checkDecodedUint, decodeCapped } from '../../../core/src/checks.ts'
import { USER_ID_BYTES } from '../../../core/src/constants.ts'
import {
  decodeMessageAction,
  encodeMessageAction,
  type MessageAction,
} from '../../../core/src/conversation/action.ts'
import { MAX_QUOTE_CHARS } from '../../../core/src/conversation/constants.ts'
import {
  decodeTimerChange,
  encodeTimerChange,
  type TimerChange,
} from '../../../core/src/conversation/disappearing.ts'
import { DecodeError, UnsupportedVersionError } from '../../../core/src/errors.ts'
import { MAX_FILE_POINTER_BYTES } from '../../../core/src/file/constants.ts'
import { GROUP_ID_BYTES, MAX_GROUP_OP_BYTES } from '../../../core/src/group/constants.ts'
import { MAX_SENDER_KEY_DISTRIBUTION_BYTES } from '../../../core/src/sender-key/constants.ts'
import {
  GROUP_MESSAGE_ID_BYTES,
  GROUP_WIRE_NONCE_BYTES,
  GROUP_WIRE_VERSION,
  MAX_CARDS_PER_PAYLOAD,
  MAX_GROUP_ACTION_BYTES,
  MAX_GROUP_CONTENT_BYTES,
  MAX_GROUP_MENTIONS,
  MAX_GROUP_PAYLOAD_BYTES,
  MAX_GROUP_TEXT_BYTES,
  MAX_GROUP_WIRE_BYTES,
  MAX_OPS_PER_PAYLOAD,
  MAX_RECEIPT_IDS_PER_PAYLOAD,
  RECEIPT_DELIVERED,
  RECEIPT_READ,
} from './constants.ts'
import {
  GroupContent,
  GroupMessagePayload,
  GroupOpsPayload,
  GroupReceiptPayload,
  GroupWire,
  SenderKeyPayload,
} from './proto/groups.ts'

/** Longest contact card string accepted inside a payload (same as the RPC's card cap). */
const MAX_CARD_CHARS = 4096
/** Epochs are u32 in group topics. */
const MAX_EPOCH = 0xffff_ffff

type B = Uint8Array<ArrayBuffer>
const b = (bytes: Uint8Array): B => bytes as B

export interface OpsPayload {
  readonly groupId: Uint8Array
  readonly ops: readonly Uint8Array[]
  readonly cards: readonly string[]
  readonly invite: boolean
}
export interface SenderKeyMsg {
  readonly groupId: Uint8Array
  readonly epoch: number
  readonly distribution: Uint8Array
}
export interface MessageCopy {
  readonly groupId: Uint8Array
  readonly wire: Uint8Array
}
export interface Receipts {
  readonly groupId: Uint8Array
  readonly kind: typeof RECEIPT_DELIVERED | typeof RECEIPT_READ
  readonly messageIds: readonly Uint8Array[]
}
export interface Wire {
  readonly nonce: Uint8Array
  readonly message: Uint8Array
}
/**
 * The plaintext of a group post: a message line (text, maybe a reply, a forward, mentions) or an
 * action on a message (then text is '' and none of the line's extras are set).
 */
export interface Content {
  readonly messageId: Uint8Array
  readonly text: string
  readonly sentAt: number
  readonly groupId: Uint8Array
  readonly epoch: number
  readonly action?: MessageAction
  /** The answered message: its id, its author's user id and the quoted first line. */
  readonly replyTo?: { readonly id: Uint8Array; readonly author: Uint8Array; readonly text: string }
  readonly forwarded?: boolean
  /** User ids of the members the text mentions (distinct). */
  readonly mentions?: readonly Uint8Array[]
  /**
   * A file: its encoded pointer (untrusted here; the files layer decodes it). The text is its
   * caption, maybe empty; caption and pointer together stay within MAX_GROUP_TEXT_BYTES.
   */
  readonly attachment?: Uint8Array
  /** A change of the group's disappearing-messages timer (then text is '' and nothing else is set). */
  readonly timerChange?: TimerChange
}

export function encodeOpsPayload(p: OpsPayload): Uint8Array {
  return GroupOpsPayload.encode({
    groupId: b(p.groupId),
    ops: p.ops.map(b),
    cards: [...p.cards],
    invite: p.invite,
  })
}

export function decodeOpsPayload(bytes: Uint8Array): OpsPayload {
  const p = decodeCapped('group ops payload', bytes, MAX_GROUP_PAYLOAD_BYTES, (x) =>
    GroupOpsPayload.decode(x, { limits: { ops: MAX_OPS_PER_PAYLOAD, cards: MAX_CARDS_PER_PAYLOAD } }),
  )
  checkDecodedLength('group id', p.groupId, GROUP_ID_BYTES)
  for (const op of p.ops) if (op.length > MAX_GROUP_OP_BYTES) throw new DecodeError('group op too large')
  for (const card of p.cards) if (card.length > MAX_CARD_CHARS) throw new DecodeError('card too long')
  return p
}

export function encodeSenderKeyMsg(p: SenderKeyMsg): Uint8Array {
  return SenderKeyPayload.encode({ groupId: b(p.groupId), epoch: p.epoch, distribution: b(p.distribution) })
}

export function decodeSenderKeyMsg(bytes: Uint8Array): SenderKeyMsg {
  const p = decodeCapped('sender key payload', bytes, MAX_SENDER_KEY_DISTRIBUTION_BYTES + 64, (x) =>
    SenderKeyPayload.decode(x),
  )
  checkDecodedLength('group id', p.groupId, GROUP_ID_BYTES)
  if (p.distribution.length === 0) throw new DecodeError('empty sender key distribution')
  return p
}

export function encodeMessageCopy(p: MessageCopy): Uint8Array {
  return GroupMessagePayload.encode({ groupId: b(p.groupId), wire: b(p.wire) })
}

export function decodeMessageCopy(bytes: Uint8Array): MessageCopy {
  const p = decodeCapped('group message copy', bytes, MAX_GROUP_PAYLOAD_BYTES, (x) =>
    GroupMessagePayload.decode(x),
  )
  checkDecodedLength('group id', p.groupId, GROUP_ID_BYTES)
  if (p.wire.length === 0 || p.wire.length > MAX_GROUP_WIRE_BYTES)
    throw new DecodeError('bad group wire size')
  return p
}

export function encodeReceipts(p: Receipts): Uint8Array {
  return GroupReceiptPayload.encode({ groupId: b(p.groupId), kind: p.kind, messageIds: p.messageIds.map(b) })
}

export function decodeReceipts(bytes: Uint8Array): Receipts {
  const p = decodeCapped('group receipts', bytes, MAX_GROUP_PAYLOAD_BYTES, (x) =>
    GroupReceiptPayload.decode(x, { limits: { messageIds: MAX_RECEIPT_IDS_PER_PAYLOAD } }),
  )
  checkDecodedLength('group id', p.groupId, GROUP_ID_BYTES)
  if (p.kind !== RECEIPT_DELIVERED && p.kind !== RECEIPT_READ) throw new DecodeError('unknown receipt kind')
  for (const id of p.messageIds) checkDecodedLength('message id', id, GROUP_MESSAGE_ID_BYTES)
  return { groupId: p.groupId, kind: p.kind, messageIds: p.messageIds }
}

export function encodeWire(p: Wire): Uint8Array {
  return GroupWire.encode({ version: GROUP_WIRE_VERSION, nonce: b(p.nonce), message: b(p.message) })
}

export function decodeWire(bytes: Uint8Array): Wire {
  const p = decodeCapped('group wire', bytes, MAX_GROUP_WIRE_BYTES, (x) => GroupWire.decode(x))
  if (p.version !== GROUP_WIRE_VERSION) throw new UnsupportedVersionError(`group wire version ${p.version}`)
  checkDecodedLength('nonce', p.nonce, GROUP_WIRE_NONCE_BYTES)
  if (p.message.length === 0) throw new DecodeError('empty group message')
  return { nonce: p.nonce, message: p.message }
}

const EMPTY = new Uint8Array(0) as B

export function encodeContent(p: Content): Uint8Array {
  return GroupContent.encode({
    version: GROUP_WIRE_VERSION,
    messageId: b(p.messageId),
    text: p.text,
    sentAt: p.sentAt,
    groupId: b(p.groupId),
    epoch: p.epoch,
    action: p.action === undefined ? EMPTY : b(encodeMessageAction(p.action)),
    replyToId: p.replyTo === undefined ? EMPTY : b(p.replyTo.id),
    replyToAuthor: p.replyTo === undefined ? EMPTY : b(p.replyTo.author),
    replyToText: p.replyTo?.text ?? '',
    forwarded: p.forwarded ?? false,
    mentions: (p.mentions ?? []).map(b),
    attachment: p.attachment === undefined ? EMPTY : b(p.attachment),
    timerChange: p.timerChange === undefined ? EMPTY : b(encodeTimerChange(p.timerChange)),
  })
}

export function decodeContent(bytes: Uint8Array): Content {
  const p = decodeCapped('group content', bytes, MAX_GROUP_CONTENT_BYTES, (x) =>
    GroupContent.decode(x, { limits: { mentions: MAX_GROUP_MENTIONS } }),
  )
  if (p.version !== GROUP_WIRE_VERSION)
    throw new UnsupportedVersionError(`group content version ${p.version}`)
  checkDecodedLength('message id', p.messageId, GROUP_MESSAGE_ID_BYTES)
  checkDecodedLength('group id', p.groupId, GROUP_ID_BYTES)
  checkDecodedUint('sent at', p.sentAt)
  if (p.epoch > MAX_EPOCH) throw new DecodeError('epoch out of range')
  const base = { messageId: p.messageId, text: p.text, sentAt: p.sentAt, groupId: p.groupId, epoch: p.epoch }
  const hasReply = p.replyToId.length > 0 || p.replyToAuthor.length > 0 || p.replyToText !== ''
  if (p.timerChange.length > 0) {
    if (
      p.text !== '' ||
      hasReply ||
      p.forwarded ||
      p.mentions.length > 0 ||
      p.attachment.length > 0 ||
      p.action.length > 0
    )
      throw new DecodeError('a timer change carries nothing but the change')
    return { ...base, timerChange: decodeTimerChange(p.timerChange) }
  }
  if (p.action.length > 0) {
    if (p.text !== '' || hasReply || p.forwarded || p.mentions.length > 0 || p.attachment.length > 0)
      throw new DecodeError('an action content carries nothing but its action')
    if (p.action.length > MAX_GROUP_ACTION_BYTES) throw new DecodeError('group action too large')
    return { ...base, action: decodeMessageAction(p.action) }
  }
  if (p.attachment.length > MAX_FILE_POINTER_BYTES) throw new DecodeError('group attachment too large')
  if (
    (p.text.length === 0 && p.attachment.length === 0) ||
    new TextEncoder().encode(p.text).length + p.attachment.length > MAX_GROUP_TEXT_BYTES
  )
    throw new DecodeError('bad group text length')
  const seen = new Set<string>()
  for (const m of p.mentions) {
    checkDecodedLength('mention', m, USER_ID_BYTES)
    const hex = toHex(m)
    if (seen.has(hex)) throw new DecodeError('a member mentioned twice')
    seen.add(hex)
  }
  if (hasReply) {
    checkDecodedLength('reply id', p.replyToId, GROUP_MESSAGE_ID_BYTES)
    checkDecodedLength('reply author', p.replyToAuthor, USER_ID_BYTES)
    if (p.replyToText.length > MAX_QUOTE_CHARS) throw new DecodeError('reply quote too long')
  }
  return {
    ...base,
    ...(hasReply ? { replyTo: { id: p.replyToId, author: p.replyToAuthor, text: p.replyToText } } : {}),
    ...(p.forwarded ? { forwarded: true } : {}),
    ...(p.mentions.length > 0 ? { mentions: p.mentions } : {}),
    ...(p.attachment.length > 0 ? { attachment: p.attachment } : {}),
  }
}

/**
 * The RPC edge of 1:1 messaging: the domain's records and events (node/src/messaging) in the
 * API's shapes (api.ts). The two are declared apart so the disk format and the API can change
 * independently; the type checks at the end fail the build when the lists they share (statuses,
 * waiting reasons, event names) drift apart.
 */
import type { GroupEvents, GroupNotify } from '../groups/types.ts'
import type { MessagingEventName, MessagingEvents, Notify } from '../messaging/events.ts'
import type { MessageStatus as DomainMessageStatus, MessageRecord } from '../messaging/records.ts'
import type { Waiting as DomainWaiting, WaitingReason as DomainWaitingReason } from '../messaging/waiting.ts'
import type {
  EventName,
  EventPayload,
  Message,
  MessageStatus,
  MessageVia,
  Waiting,
  WaitingReason,
} from './api.ts'

/** A stored message as the API shows it, with why it waits when it is undelivered. */
export function toApiMessage(record: MessageRecord, waiting?: DomainWaiting): Message {
  const message: Message = {
    id: record.id,
    conversationId: record.conversationId,
    seq: record.seq,
    direction: record.direction,
    sender: record.sender,
    text: record.text,
    sentAt: record.sentAt,
    receivedAt: record.receivedAt,
    status: record.status,
    receipts: record.receipts,
  }
  if (waiting !== undefined) message.waiting = toApiWaiting(waiting)
  if (record.call !== undefined) message.call = { ...record.call }
  if (record.attachment !== undefined) message.attachment = { ...record.attachment }
  if (record.replyTo !== undefined) message.replyTo = { ...record.replyTo }
  if (record.forwarded === true) message.forwarded = true
  if (record.reactions !== undefined) message.reactions = record.reactions.map((r) => ({ ...r }))
  if (record.editedAt !== undefined) message.editedAt = record.editedAt
  if (record.edits !== undefined) message.edits = record.edits.map((e) => ({ ...e }))
  if (record.deletedAt !== undefined) message.deletedAt = record.deletedAt
  if (record.pinned !== undefined) message.pinned = { ...record.pinned }
  if (record.mentions !== undefined) message.mentions = [...record.mentions]
  return message
}

export function toApiWaiting(waiting: DomainWaiting): Waiting {
  return waiting.nextAttemptAt === undefined
    ? { reason: waiting.reason }
    : { reason: waiting.reason, nextAttemptAt: waiting.nextAttemptAt }
}

type RpcNotify = <E extends EventName>(event: E, payload: EventPayload<E>) => void

/** The messaging layer's notify, forwarding each event to RPC clients in the API's shapes. */
export function messagingNotify(notify: RpcNotify): Notify {
  const forward: { [E in MessagingEventName]: (payload: MessagingEvents[E]) => void } = {
    'message.received': ({ message, via }) =>
      notify('message.received', { message: toApiMessage(message), via }),
    'message.updated': ({ message, change }) =>
      notify('message.updated', {
        conversationId: message.conversationId,
        messageId: message.id,
        change,
        message: toApiMessage(message),
      }),
    'message.status': (payload) => notify('message.status', { ...payload }),
    'conversation.waiting': ({ conversationId, waiting }) =>
      notify('conversation.waiting', {
        conversationId,
        waiting: waiting === null ? null : toApiWaiting(waiting),
      }),
    'contact.keyChanged': (payload) => notify('contact.keyChanged', { ...payload }),
    'conversation.timerChanged': ({ conversationId, seconds, by, line }) =>
      notify('conversation.timerChanged', { conversationId, seconds, by, message: toApiMessage(line) }),
  }
  return (event, payload) => forward[event](payload)
}

// ---- the lists the domain and the API share must stay the same (compile-time checks)

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameStatuses: Same<DomainMessageStatus, MessageStatus> = true
const sameReasons: Same<DomainWaitingReason, WaitingReason> = true
const sameVia: Same<MessagingEvents['message.received']['via'], MessageVia> = true
const eventsExist: Same<MessagingEventName & EventName, MessagingEventName> = true
void [sameStatuses, sameReasons, sameVia, eventsExist]

/**
 * The group layer's notify, forwarding each event to RPC clients in the API's shapes: messages
 * through toApiMessage (a stored record carries fields the API does not show, such as a
 * disappearing line's expiry), the rest as they are.
 */
export function groupsNotify(notify: RpcNotify): GroupNotify {
  const forward: { [E in keyof GroupEvents]: (payload: GroupEvents[E]) => void } = {
    'group.invited': (payload) => notify('group.invited', payload),
    'group.updated': (payload) => notify('group.updated', payload),
    'message.received': ({ message, via }) =>
      notify('message.received', { message: toApiMessage(message), via }),
    'message.updated': ({ message, ...rest }) =>
      notify('message.updated', { ...rest, message: toApiMessage(message) }),
    'message.status': (payload) => notify('message.status', { ...payload }),
    'group.receipt': (payload) => notify('group.receipt', { ...payload }),
    'conversation.timerChanged': ({ message, ...rest }) =>
      notify('conversation.timerChanged', { ...rest, message: toApiMessage(message) }),
  }
  return ((event: keyof GroupEvents, payload: never) => forward[event](payload)) as GroupNotify
}

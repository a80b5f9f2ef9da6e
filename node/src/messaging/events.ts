/**
 * What 1:1 messaging announces, in the domain's shapes. The daemon forwards these to RPC clients
 * as events of the same names (rpc/messaging-view.ts maps the payloads to the API's shapes).
 */
import type { MessageChange } from './apply-action.ts'
import type { MessageVia } from './message-path.ts'
import type { MessageRecord, MessageStatus } from './records.ts'
import type { Waiting } from './waiting.ts'

export interface MessagingEvents {
  /** A message arrived and was stored. */
  'message.received': { readonly message: MessageRecord; readonly via: MessageVia }
  /** A message was edited, deleted (for everyone, or for me), reacted to, pinned or unpinned. */
  'message.updated': { readonly message: MessageRecord; readonly change: MessageChange }
  /** The status or receipt count of a message changed. */
  'message.status': {
    readonly conversationId: string
    readonly messageId: string
    readonly status: MessageStatus
    readonly receipts: number
  }
  /** Why a direct conversation's undelivered messages wait changed (null: nothing waits). */
  'conversation.waiting': { readonly conversationId: string; readonly waiting: Waiting | null }
  /** A direct conversation's disappearing-messages timer changed (by us or the contact); line is its entry in the chat. */
  'conversation.timerChanged': {
    readonly conversationId: string
    readonly seconds: number
    readonly by: string
    readonly line: MessageRecord
  }
  /** A contact's identity key changed. */
  'contact.keyChanged': { readonly userId: string; readonly verifiedBefore: boolean }
}

export type MessagingEventName = keyof MessagingEvents

export type Notify = <E extends MessagingEventName>(event: E, payload: MessagingEvents[E]) => void

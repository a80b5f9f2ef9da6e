/**
 * The rules of actions on a message, as one pure function both sides run: the sender before it
 * queues an action (a refusal becomes a typed error), and the receiver when an action arrives
 * (a refusal is dropped and logged), so a peer cannot make us accept what we would not send.
 *
 * - react: anyone in the conversation; one reaction per person, replaced or removed (null);
 * - edit: only the author, within EDIT_WINDOW_MS of sending (both times on the author's clock),
 *   at most MAX_EDITS_PER_MESSAGE times; the replaced texts are kept, oldest first;
 * - delete for everyone: only the author, within DELETE_WINDOW_MS; the result is a tombstone
 *   that holds no text, no edits, no quote, no reactions and no attachment;
 * - pin / unpin: anyone in the conversation.
 * Nothing but an unpin is done to a deleted message. Edits apply in the author's order: one
 * older than the last applied edit is stale.
 */

import type { MessageAction } from '../../../core/src/conversation/action.ts'
import {
  ACTION_DELETE,
  ACTION_EDIT,
  ACTION_PIN,
  ACTION_REACT,
  DELETE_WINDOW_MS,
  EDIT_WINDOW_MS,
} from '../../../core/src/conversation/constants.ts'
import type { MessageRecord } from './records.ts'

/**
 * Edits one message may have: bounds the record (each replaced text is kept, up to 256 KiB each)
 * to about 2.8 MiB; Signal allows 10 as well.
 */
export const MAX_EDITS_PER_MESSAGE = 10

/** What an applied action changed, as the message.updated event names it. */
export type MessageChange = 'edit' | 'delete' | 'reaction' | 'pin'

/** Why an action was refused. */
export type ActionRefusal =
  | 'not-author'
  | 'edit-window-closed'
  | 'delete-window-closed'
  | 'deleted'
  | 'too-many-edits'
  | 'stale'

export type ActionOutcome =
  | { readonly kind: 'applied'; readonly message: MessageRecord; readonly change: MessageChange }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'refused'; readonly reason: ActionRefusal }

const refused = (reason: ActionRefusal): ActionOutcome => ({ kind: 'refused', reason })

/** The tombstone a message becomes when its author deletes it for everyone at `at`. */
export function tombstoneOf(message: MessageRecord, at: number): MessageRecord {
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    direction: message.direction,
    sender: message.sender,
    text: '',
    sentAt: message.sentAt,
    receivedAt: message.receivedAt,
    status: message.status,
    receipts: message.receipts,
    deletedAt: at,
  }
}

function withinWindow(message: MessageRecord, at: number, windowMs: number): boolean {
  return at >= message.sentAt && at - message.sentAt <= windowMs
}

/** Apply `action`, sent by `actor` (a user id), to `message`. */
export function applyAction(message: MessageRecord, actor: string, action: MessageAction): ActionOutcome {
  const deleted = message.deletedAt !== undefined
  switch (action.kind) {
    case ACTION_REACT: {
      if (deleted) return refused('deleted')
      const others = (message.reactions ?? []).filter((r) => r.sender !== actor)
      const mine = (message.reactions ?? []).find((r) => r.sender === actor)
      if (action.emoji === null ? mine === undefined : mine?.emoji === action.emoji)
        return { kind: 'unchanged' }
      const reactions =
        action.emoji === null
          ? others
          : [...others, { sender: actor, emoji: action.emoji, at: action.sentAt }]
      const { reactions: _, ...rest } = message
      return {
        kind: 'applied',
        change: 'reaction',
        message: reactions.length === 0 ? rest : { ...rest, reactions },
      }
    }
    case ACTION_EDIT: {
      if (actor !== message.sender) return refused('not-author')
      if (deleted) return refused('deleted')
      if (!withinWindow(message, action.sentAt, EDIT_WINDOW_MS)) return refused('edit-window-closed')
      if (message.editedAt !== undefined && action.sentAt < message.editedAt) return refused('stale')
      if (action.text === message.text) return { kind: 'unchanged' }
      const edits = message.edits ?? []
      if (edits.length >= MAX_EDITS_PER_MESSAGE) return refused('too-many-edits')
      return {
        kind: 'applied',
        change: 'edit',
        message: {
          ...message,
          text: action.text,
          editedAt: action.sentAt,
          edits: [...edits, { text: message.text, replacedAt: action.sentAt }],
        },
      }
    }
    case ACTION_DELETE: {
      if (actor !== message.sender) return refused('not-author')
      if (deleted) return { kind: 'unchanged' }
      if (!withinWindow(message, action.sentAt, DELETE_WINDOW_MS)) return refused('delete-window-closed')
      return { kind: 'applied', change: 'delete', message: tombstoneOf(message, action.sentAt) }
    }
    case ACTION_PIN: {
      if (deleted && action.pinned) return refused('deleted')
      if (action.pinned === (message.pinned !== undefined)) return { kind: 'unchanged' }
      const { pinned: _, ...rest } = message
      return {
        kind: 'applied',
        change: 'pin',
        message: action.pinned ? { ...rest, pinned: { by: actor, at: action.sentAt } } : rest,
      }
    }
  }
}

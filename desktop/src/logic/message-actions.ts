/**
 * What the chat view does with message actions (replies, reactions, edits, deletes, pins,
 * forwards), as pure functions: which actions a message offers, reaction chips, what a chip
 * click sends, the quote of a reply, the pinned bar, and how a `message.updated` event changes
 * the loaded messages. The daemon checks every rule again; these only decide what to show.
 */
import type { Conversation, EventPayload, Message } from '../../../node/src/rpc/api.ts'
import { applyStatus } from './message-status.ts'

/** Edit window (the daemon's EDIT_WINDOW_MS, core/src/conversation/constants.ts): 24 h after sending. */
export const EDIT_WINDOW_MS = 24 * 60 * 60_000
/** Delete-for-everyone window (the daemon's DELETE_WINDOW_MS): 24 h after sending. */
export const DELETE_WINDOW_MS = 24 * 60 * 60_000
/** Edits one message may have (the daemon's MAX_EDITS_PER_MESSAGE). */
export const MAX_EDITS = 10
/** Longest quote or pinned-bar line, in characters (the bubble and bar truncate with an ellipsis). */
export const QUOTE_PREVIEW_CHARS = 120
/** The reactions offered in one click, Signal's default set. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const

export interface MessageActions {
  readonly reply: boolean
  readonly react: boolean
  readonly edit: boolean
  readonly deleteForEveryone: boolean
  /** Delete for me is always offered (it also removes a tombstone). */
  readonly deleteForMe: boolean
  readonly forward: boolean
  /** 'pin' or 'unpin'; null: not offered. */
  readonly pin: 'pin' | 'unpin' | null
  readonly copy: boolean
}

/**
 * The actions a message offers at `now`. `canAct`: actions can be sent in this conversation (a
 * direct chat, or a group we are still a member of; in one we left only copying is offered);
 * call lines and deleted messages take none but delete for me (and unpin, to clear a pin left on
 * a message deleted later).
 */
export function actionsFor(message: Message, canAct: boolean, now: number): MessageActions {
  const deleted = message.deletedAt !== undefined
  const live = canAct && !deleted && message.call === undefined
  const own = message.direction === 'out'
  const age = now - message.sentAt
  const hasText = !deleted && message.text !== ''
  return {
    reply: live,
    react: live,
    edit:
      live &&
      own &&
      message.attachment === undefined &&
      age <= EDIT_WINDOW_MS &&
      (message.edits?.length ?? 0) < MAX_EDITS,
    deleteForEveryone: live && own && age <= DELETE_WINDOW_MS,
    deleteForMe: canAct || deleted,
    forward: live && hasText && message.attachment === undefined,
    pin: !canAct ? null : message.pinned ? 'unpin' : deleted ? null : 'pin',
    copy: hasText && message.call === undefined,
  }
}

export interface ReactionChip {
  readonly emoji: string
  readonly count: number
  /** Whether one of them is ours (the chip is highlighted and a click removes it). */
  readonly mine: boolean
  /** Who reacted, in the order they did (user ids). */
  readonly senders: readonly string[]
}

/** One chip per emoji, in the order each emoji was first used. */
export function reactionChips(message: Message, me: string): ReactionChip[] {
  const byEmoji = new Map<string, { senders: string[]; first: number }>()
  const sorted = [...(message.reactions ?? [])].sort((a, b) => a.at - b.at)
  for (const r of sorted) {
    const entry = byEmoji.get(r.emoji) ?? { senders: [], first: r.at }
    entry.senders.push(r.sender)
    byEmoji.set(r.emoji, entry)
  }
  return [...byEmoji].map(([emoji, { senders }]) => ({
    emoji,
    count: senders.length,
    mine: senders.includes(me),
    senders,
  }))
}

/** Our current reaction to a message, or null. */
export function myReaction(message: Message, me: string): string | null {
  return message.reactions?.find((r) => r.sender === me)?.emoji ?? null
}

/** What choosing `emoji` sends to messages.react: the same emoji again removes ours (null). */
export function toggledReaction(message: Message, me: string, emoji: string): string | null {
  return myReaction(message, me) === emoji ? null : emoji
}

/** The first line of a text, trimmed and cut to `max` characters (with an ellipsis). */
export function firstLine(text: string, max = QUOTE_PREVIEW_CHARS): string {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim()
  const chars = [...line]
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`
}

/** What a bubble shows as its quote. */
export interface QuoteView {
  readonly messageId: string
  /** Who wrote the quoted message ('You' for ours). */
  readonly author: string
  readonly text: string
  /** The quoted message was deleted: its text is gone. */
  readonly deleted: boolean
}

export function quoteView(
  message: Message,
  me: string,
  nameOf: (userId: string) => string,
): QuoteView | null {
  const q = message.replyTo
  if (q === undefined || message.deletedAt !== undefined) return null
  return {
    messageId: q.messageId,
    author: q.sender === me ? 'You' : nameOf(q.sender),
    text: q.text === '' ? 'Deleted message' : firstLine(q.text),
    deleted: q.text === '',
  }
}

/** Pinned messages among the loaded ones, the most recently pinned first. */
export function pinnedMessages(messages: readonly Message[]): Message[] {
  return messages.filter((m) => m.pinned !== undefined).sort((a, b) => b.pinned!.at - a.pinned!.at)
}

/** A message's words in a pinned bar, quote or preview: deleted, a file, or its first line. */
export function shortText(message: Message): string {
  if (message.deletedAt !== undefined) return 'Deleted message'
  if (message.attachment && message.text === '') return message.attachment.name
  return firstLine(message.text)
}

/**
 * Apply a message.updated event to the loaded messages: the message is replaced by its new
 * state (an unloaded one is left alone: messages.list brings it when scrolled to), and a delete
 * empties the quotes of loaded replies to it, as the daemon did in its store.
 */
export function applyUpdate(
  messages: readonly Message[],
  update: Pick<EventPayload<'message.updated'>, 'messageId' | 'change' | 'message'>,
): readonly Message[] {
  let changed = false
  const next = messages.map((m) => {
    if (m.id === update.messageId && m.sender === update.message.sender) {
      changed = true
      // the event's state wins, but a status that moved on meanwhile is kept (statuses only move forward)
      return applyStatus(update.message, m.status, m.receipts)
    }
    if (update.change === 'delete' && m.replyTo?.messageId === update.messageId && m.replyTo.text !== '') {
      changed = true
      return { ...m, replyTo: { ...m.replyTo, text: '' } }
    }
    return m
  })
  return changed ? next : messages
}

/** Drop a message deleted for me (it leaves the list; a reply keeps an empty quote). */
export function removeMessage(messages: readonly Message[], messageId: string): readonly Message[] {
  const without = messages.filter((m) => m.id !== messageId)
  if (without.length === messages.length) return messages
  return applyUpdate(without, {
    messageId,
    change: 'delete',
    // only the id and change matter for the scrub: nothing in `without` has this id any more
    message: messages.find((m) => m.id === messageId)!,
  })
}

/**
 * Chats a message can be forwarded to: direct chats and groups (messages.forward takes both),
 * except `closed` ones (groups we left or were removed from), matching the query by name, most
 * recent first, at most `MAX_FORWARD_TARGETS` chosen at once.
 */
export function forwardTargets(
  conversations: readonly Conversation[],
  query: string,
  closed: ReadonlySet<string> = new Set(),
): Conversation[] {
  const words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean)
  return conversations
    .filter((c) => !closed.has(c.id))
    .filter((c) => words.every((w) => c.title.toLocaleLowerCase().includes(w)))
    .sort((a, b) => b.updatedAt - a.updatedAt)
}

/** Conversations one messages.forward sends to (the daemon's MAX_FORWARD_TARGETS). */
export const MAX_FORWARD_TARGETS = 32

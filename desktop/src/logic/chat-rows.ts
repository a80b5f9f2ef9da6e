/**
 * The rows of a chat view: messages merged from pages and events, day separators, the unread
 * divider, and bubble grouping (consecutive messages from one sender within a few minutes share
 * a tail; in a group the first incoming bubble of a run carries the sender's name). Rows have
 * stable keys so the virtual list can keep measured heights.
 */
import type { Message } from '../../../node/src/rpc/api.ts'
import { dayNumber } from './format-time.ts'

/** Consecutive bubbles from one sender closer than this are grouped (one tail, tight spacing). */
export const GROUP_WINDOW_MS = 5 * 60_000

export type ChatRow =
  | { readonly kind: 'day'; readonly key: string; readonly at: number }
  | { readonly kind: 'unread'; readonly key: string; readonly count: number }
  | {
      readonly kind: 'message'
      readonly key: string
      readonly message: Message
      /** First of a run from the same side (shows spacing above). */
      readonly first: boolean
      /** Last of a run (shows the tail and timestamp). */
      readonly last: boolean
      /** Sender of an incoming group message (shown above the first bubble of a run); null otherwise. */
      readonly senderName: string | null
      /** Other members of the group when the message was shown (aggregate ticks); null in a direct chat. */
      readonly recipients: number | null
      /** A reply whose quoted message is loaded here (its quote jumps to it). */
      readonly quoteLoaded: boolean
    }

/** What a group chat adds to its rows: sender names and the recipient count for ticks. */
export interface GroupRowContext {
  readonly senderName: (userId: string) => string
  readonly recipients: number | null
}

/** Merge messages by id (later copies win), ordered by seq. */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  const byId = new Map<string, Message>()
  for (const m of existing) byId.set(m.id, m)
  for (const m of incoming) byId.set(m.id, m)
  return [...byId.values()].sort((a, b) => a.seq - b.seq || a.sentAt - b.sentAt)
}

function at(m: Message): number {
  return m.direction === 'in' ? (m.receivedAt ?? m.sentAt) : m.sentAt
}

/** Same side and, for incoming messages, the same sender (groups have many). */
function sameSender(a: Message, b: Message): boolean {
  return a.direction === b.direction && (a.direction === 'out' || a.sender === b.sender)
}

/**
 * Build rows. `unreadFromSeq` is the seq of the first unread incoming message when the chat
 * was opened (null: no divider); it stays fixed while the chat is open, like Signal's.
 * `group` is given for group chats.
 */
export function buildChatRows(
  messages: readonly Message[],
  unreadFromSeq: number | null,
  group: GroupRowContext | null = null,
): ChatRow[] {
  const rows: ChatRow[] = []
  let unreadCount = 0
  if (unreadFromSeq !== null)
    for (const m of messages) if (m.direction === 'in' && m.seq >= unreadFromSeq) unreadCount++
  let dividerPlaced = false
  // local calendar day of each message, computed once (Date work dominates for long histories)
  const days = messages.map((m) => dayNumber(at(m)))
  const quoted = new Set<string>()
  for (const m of messages) if (m.replyTo !== undefined) quoted.add(m.replyTo.messageId)
  const loadedQuoted = new Set(
    quoted.size === 0 ? [] : messages.filter((m) => quoted.has(m.id)).map((m) => m.id),
  )
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    const prev = messages[i - 1]
    const next = messages[i + 1]
    const t = at(m)
    const day = days[i]!
    if (prev === undefined || days[i - 1] !== day) rows.push({ kind: 'day', key: `day:${m.id}`, at: t })
    if (!dividerPlaced && unreadFromSeq !== null && unreadCount > 0 && m.seq >= unreadFromSeq) {
      rows.push({ kind: 'unread', key: 'unread', count: unreadCount })
      dividerPlaced = true
    }
    const joinsPrev =
      prev !== undefined && sameSender(prev, m) && t - at(prev) < GROUP_WINDOW_MS && days[i - 1] === day
    const joinsNext =
      next !== undefined &&
      sameSender(next, m) &&
      at(next) - t < GROUP_WINDOW_MS &&
      days[i + 1] === day &&
      !(unreadFromSeq !== null && m.seq < unreadFromSeq && next.seq >= unreadFromSeq && unreadCount > 0)
    const senderName = group !== null && m.direction === 'in' ? group.senderName(m.sender) : null
    rows.push({
      kind: 'message',
      key: m.id,
      message: m,
      first: !joinsPrev,
      last: !joinsNext,
      senderName,
      recipients: group?.recipients ?? null,
      quoteLoaded: m.replyTo !== undefined && loadedQuoted.has(m.replyTo.messageId),
    })
  }
  return rows
}

/** Seq of the first unread incoming message given the unread count (the newest `unread` incoming ones). */
export function firstUnreadSeq(messages: readonly Message[], unread: number): number | null {
  if (unread <= 0) return null
  let remaining = unread
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!
    if (m.direction !== 'in') continue
    remaining--
    if (remaining === 0) return m.seq
  }
  // More unread than loaded: the divider sits above the oldest loaded incoming message.
  const oldest = messages.find((m) => m.direction === 'in')
  return oldest?.seq ?? null
}

/** Highest seq among incoming messages, for messages.markRead. */
export function newestIncomingSeq(messages: readonly Message[]): number | null {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.direction === 'in') return messages[i]!.seq
  return null
}

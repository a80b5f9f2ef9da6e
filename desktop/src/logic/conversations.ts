/**
 * Conversation list state: search, ordering and the effect of live events, so the list stays
 * right between conversations.list refreshes.
 */
import type { Contact, Conversation, Message } from '../../../node/src/rpc/api.ts'

/** Most recently updated first; ties broken by id so the order is stable. */
export function sortConversations(list: readonly Conversation[]): Conversation[] {
  return [...list].sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id))
}

function fold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
}

/** Conversations whose title, user id or last message text contains every word of the query. */
export function filterConversations(list: readonly Conversation[], query: string): Conversation[] {
  const words = fold(query).split(/\s+/).filter(Boolean)
  if (words.length === 0) return [...list]
  return list.filter((c) => {
    const hay = fold(`${c.title} ${c.peerUserId ?? c.groupId ?? ''} ${c.lastMessage?.text ?? ''}`)
    return words.every((w) => hay.includes(w))
  })
}

/** Contacts whose name or user id contains every word of the query, sorted by name. */
export function filterContacts(list: readonly Contact[], query: string): Contact[] {
  const words = fold(query).split(/\s+/).filter(Boolean)
  return list
    .filter((c) => {
      const hay = fold(`${c.displayName} ${c.userId}`)
      return words.every((w) => hay.includes(w))
    })
    .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.userId.localeCompare(b.userId))
}

/**
 * Apply a new message (received or sent) to the list. `openConversationId` is the chat on
 * screen while the window is visible: its unread count does not grow. `me`: our user id, for
 * unread mentions (counted apart, as the daemon does).
 */
export function applyMessage(
  list: readonly Conversation[],
  message: Message,
  openConversationId: string | null,
  me = '',
): Conversation[] | null {
  const index = list.findIndex((c) => c.id === message.conversationId)
  if (index < 0) return null // unknown conversation: the caller refreshes from the daemon
  const current = list[index]!
  const newer = current.lastMessage === null || message.seq >= current.lastMessage.seq
  const countsUnread = message.direction === 'in' && message.conversationId !== openConversationId
  const updated: Conversation = {
    ...current,
    lastMessage: newer ? message : current.lastMessage,
    unread: current.unread + (countsUnread ? 1 : 0),
    ...(countsUnread && me !== '' && message.mentions?.includes(me)
      ? { mentionUnread: (current.mentionUnread ?? 0) + 1 }
      : {}),
    updatedAt: Math.max(current.updatedAt, message.receivedAt ?? message.sentAt),
  }
  const next = [...list]
  next[index] = updated
  return sortConversations(next)
}

/** The list after the user read a conversation. */
export function markConversationRead(list: readonly Conversation[], id: string): Conversation[] {
  return list.map((c) =>
    c.id === id && (c.unread > 0 || (c.mentionUnread ?? 0) > 0 || c.markedUnread)
      ? {
          ...c,
          unread: 0,
          ...(c.mentionUnread === undefined ? {} : { mentionUnread: 0 }),
          markedUnread: false,
        }
      : c,
  )
}

/** Total unread across conversations, for the window title badge. */
export function totalUnread(list: readonly Conversation[]): number {
  return list.reduce((sum, c) => sum + c.unread, 0)
}

/** Contacts indexed by user id. */
export function contactsById(contacts: readonly Contact[]): Map<string, Contact> {
  return new Map(contacts.map((c) => [c.userId, c]))
}

/**
 * Whether a conversation shows the online dot: only a direct chat whose contact's device is
 * connected to this node right now (groups have no single presence; unknown contacts are not).
 */
export function showsOnlineDot(c: Conversation, contacts: ReadonlyMap<string, Contact>): boolean {
  if (c.kind !== 'direct' || c.peerUserId === null) return false
  return contacts.get(c.peerUserId)?.online === true
}

/** Chat header subtitle of a direct chat: "online · Verified" while the contact is connected. */
export function directSubtitle(contact: Contact | undefined): string {
  const trust = contact?.verified ? 'Verified' : 'Not verified — compare safety numbers'
  return contact?.online ? `online · ${trust}` : trust
}

/** Whether two contact lists hold the same data (skips a re-render when a poll changed nothing). */
export function sameContacts(a: readonly Contact[], b: readonly Contact[]): boolean {
  if (a.length !== b.length) return false
  return a.every((c, i) => {
    const d = b[i]!
    return (
      c.userId === d.userId &&
      c.displayName === d.displayName &&
      c.identityKey === d.identityKey &&
      c.verified === d.verified &&
      c.keyChanged === d.keyChanged &&
      c.online === d.online &&
      c.addedAt === d.addedAt
    )
  })
}

/**
 * Preview line for the list: "You: hi" for outgoing messages; in a group, incoming ones carry
 * the sender's name ("Bob: hi") when `senderName` is given.
 */
export function previewText(c: Conversation, senderName?: (userId: string) => string): string {
  const m = c.lastMessage
  if (m === null) return c.kind === 'group' ? 'No messages yet in this group' : 'No messages yet'
  const text =
    m.deletedAt !== undefined
      ? 'Message deleted'
      : m.attachment && m.text === ''
        ? m.attachment.name
        : m.text.replace(/\s+/g, ' ').trim()
  if (m.direction === 'out') return `You: ${text}`
  return c.kind === 'group' && senderName ? `${senderName(m.sender)}: ${text}` : text
}

/** One or two initials for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  if (parts.length === 0) return '?'
  const first = [...parts[0]!][0] ?? ''
  const last = parts.length > 1 ? ([...parts[parts.length - 1]!][0] ?? '') : ''
  return (first + last).toUpperCase()
}

/** Number of avatar colours in the stylesheet (--avatar-0 .. --avatar-7). */
export const AVATAR_COLOURS = 8

/** Stable avatar colour index for a user id (FNV-1a over its characters). */
export function avatarColour(userId: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % AVATAR_COLOURS
}

/**
 * Conversations plus an empty entry for every contact without one yet, so a new contact can
 * be opened and written to at once.
 */
export function withContactConversations(
  list: readonly Conversation[],
  contacts: readonly Contact[],
): Conversation[] {
  const present = new Set(list.map((c) => c.peerUserId))
  const extra: Conversation[] = contacts
    .filter((c) => !present.has(c.userId))
    .map((c) => ({
      id: `dm:${c.userId}`,
      kind: 'direct',
      peerUserId: c.userId,
      groupId: null,
      title: c.displayName,
      lastMessage: null,
      unread: 0,
      updatedAt: c.addedAt,
    }))
  return sortConversations([...list, ...extra])
}

/**
 * Typing indicators and presence, as pure functions: who is typing in which chat (from `typing`
 * events, lapsing at their expiresAt), when our own typing is worth telling the daemon (it
 * throttles too; this keeps the RPC quiet), and the words and dot of a contact's presence (from
 * contacts.presence and `contact.presence`).
 */
import type { Contact, Conversation, EventPayload, Presence } from '../../../node/src/rpc/api.ts'
import { clockTime, dayLabel } from './format-time.ts'

/** How often the page repeats typing.set true while the user keeps typing, in ms: under the
 * daemon's 6 s lapse, over its 3 s send throttle (a call in between would send nothing). */
export const TYPING_RENEW_MS = 4_000
/** Typing stops counting this long after the last keystroke, in ms (as in other messengers). */
export const TYPING_IDLE_MS = 5_000

export type TypingMap = ReadonlyMap<string, { readonly userId: string; readonly expiresAt: number }>
export type PresenceMap = ReadonlyMap<string, Presence>

/** Apply a `typing` event: true sets (or renews) the chat's entry, false removes it. */
export function applyTyping(map: TypingMap, p: EventPayload<'typing'>): TypingMap {
  const current = map.get(p.conversationId)
  if (!p.typing) {
    if (current === undefined || current.userId !== p.userId) return map
    const next = new Map(map)
    next.delete(p.conversationId)
    return next
  }
  const next = new Map(map)
  next.set(p.conversationId, { userId: p.userId, expiresAt: p.expiresAt ?? 0 })
  return next
}

/** Whether someone types in this chat at `now` (an entry past its expiresAt no longer counts). */
export function typingIn(map: TypingMap, conversationId: string, now: number): boolean {
  const entry = map.get(conversationId)
  return entry !== undefined && entry.expiresAt > now
}

/** Who types in a group chat at `now`, as the header says it ("Bob is typing…"), or null. */
export function groupTypingWords(
  map: TypingMap,
  conversationId: string,
  now: number,
  nameOf: (userId: string) => string | undefined,
): string | null {
  const entry = map.get(conversationId)
  if (entry === undefined || entry.expiresAt <= now) return null
  return `${nameOf(entry.userId) ?? 'Someone'} is typing…`
}

/** Apply a contact.presence event (or a contacts.presence entry). */
export function applyPresence(map: PresenceMap | null, p: Presence): PresenceMap {
  const next = new Map(map ?? [])
  next.set(p.userId, p)
  return next
}

/**
 * Whether a conversation shows the online dot: a direct chat whose contact is online by
 * presence; before presence is loaded (null), the contact's open connection decides.
 */
export function onlineDot(
  c: Conversation,
  contacts: ReadonlyMap<string, Contact>,
  presence: PresenceMap | null,
): boolean {
  if (c.kind !== 'direct' || c.peerUserId === null) return false
  if (presence === null) return contacts.get(c.peerUserId)?.online === true
  return presence.get(c.peerUserId)?.online === true
}

/** "last seen 5 min ago", "last seen today at 14:05", "last seen yesterday at 09:12"; null when unknown. */
export function lastSeenWords(lastSeen: number | null, now: number): string | null {
  if (lastSeen === null) return null
  const minutes = Math.floor((now - lastSeen) / 60_000)
  if (minutes < 1) return 'last seen just now'
  if (minutes < 60) return `last seen ${minutes} min ago`
  const day = dayLabel(lastSeen, now)
  const when = day === 'Today' || day === 'Yesterday' ? day.toLowerCase() : day
  return `last seen ${when} at ${clockTime(lastSeen)}`
}

/**
 * The subtitle of a direct chat's header: "typing…" wins, then online or last seen, then the
 * trust line ("Verified" or the advice to compare safety numbers).
 */
export function chatSubtitle(
  contact: Contact | undefined,
  presence: Presence | undefined,
  typing: boolean,
  now: number,
): string {
  const trust = contact?.verified ? 'Verified' : 'Not verified — compare safety numbers'
  if (typing) return 'typing…'
  if (presence?.online) return `online · ${trust}`
  const seen = presence ? lastSeenWords(presence.lastSeen, now) : null
  if (seen !== null) return `${seen} · ${trust}`
  return contact?.online && presence === undefined ? `online · ${trust}` : trust
}

/**
 * When to call typing.set as the user types: true on the first keystroke and again every
 * TYPING_RENEW_MS while typing goes on; false once the box empties, the text is sent, or the
 * user stopped for TYPING_IDLE_MS (idle() is called by a timer). The clock is passed in.
 */
export class TypingSender {
  #sentAt: number | null = null
  #lastKey = 0

  /** The box changed at `now`; returns what to send (null: nothing). */
  input(hasText: boolean, now: number): boolean | null {
    if (!hasText) return this.stop()
    this.#lastKey = now
    if (this.#sentAt !== null && now - this.#sentAt < TYPING_RENEW_MS) return null
    this.#sentAt = now
    return true
  }

  /** Time check at `now`: false when typing lapsed (no keystroke for TYPING_IDLE_MS). */
  idle(now: number): boolean | null {
    if (this.#sentAt === null || now - this.#lastKey < TYPING_IDLE_MS) return null
    return this.stop()
  }

  /** Sent, cleared or left: false if we had said true. */
  stop(): boolean | null {
    if (this.#sentAt === null) return null
    this.#sentAt = null
    return false
  }
}

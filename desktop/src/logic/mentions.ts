/**
 * Mentions in group chats, as pure functions: where a text's `@name`s are (to highlight them,
 * ours stronger), whether a message mentions us, the badge of a conversation in the list (a
 * mention shows even on a muted group), and `@` completion in the composer. The daemon resolves
 * and checks mentions (messages.send); these only decide what to show.
 */
import type { Conversation, Message } from '../../../node/src/rpc/api.ts'

/** Members offered at once by the `@` completion list. */
export const MAX_MENTION_SUGGESTIONS = 6
/** Longest partial name after `@` that still opens the completion list, in characters. */
export const MAX_MENTION_QUERY_CHARS = 40

export interface TextSegment {
  readonly text: string
  /** The mentioned member of an `@name` segment; null for plain text. */
  readonly mention: { readonly userId: string; readonly me: boolean } | null
}

/** Whether a group message mentions us. */
export function mentionsMe(message: Message, me: string): boolean {
  return message.mentions?.includes(me) === true
}

/**
 * Cut `text` into plain runs and `@name` runs of its mentioned members. `namesOf` gives the
 * names a member may be written as (how we show them, our own display name for us; `@` + user id
 * always counts); the longest name at a place wins, case-insensitively.
 */
export function mentionSegments(
  text: string,
  mentions: readonly string[] | undefined,
  namesOf: (userId: string) => readonly string[],
  me: string,
): TextSegment[] {
  if (!mentions || mentions.length === 0 || !text.includes('@')) return [{ text, mention: null }]
  const candidates = mentions
    .flatMap((userId) =>
      [...namesOf(userId), userId]
        .filter((n) => n !== '')
        .map((name) => ({ userId, needle: `@${name}`.toLocaleLowerCase() })),
    )
    .sort((a, b) => b.needle.length - a.needle.length)
  const lower = text.toLocaleLowerCase()
  const out: TextSegment[] = []
  let plainFrom = 0
  let i = 0
  while (i < text.length) {
    const at = lower.indexOf('@', i)
    if (at < 0) break
    const hit = candidates.find(
      (c) => lower.startsWith(c.needle, at) && !isNameChar(text[at + c.needle.length]),
    )
    if (hit === undefined || (at > 0 && isNameChar(text[at - 1]))) {
      i = at + 1
      continue
    }
    if (at > plainFrom) out.push({ text: text.slice(plainFrom, at), mention: null })
    const end = at + hit.needle.length
    out.push({ text: text.slice(at, end), mention: { userId: hit.userId, me: hit.userId === me } })
    plainFrom = end
    i = end
  }
  if (plainFrom < text.length) out.push({ text: text.slice(plainFrom), mention: null })
  return out
}

function isNameChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}_]/u.test(ch)
}

export interface UnreadBadge {
  /** The number shown (0: no number). */
  readonly count: number
  /** Some unread messages mention us: an "@" mark. */
  readonly mention: boolean
  /** Muted: the number is shown quietly (grey), a mention still stands out. */
  readonly quiet: boolean
}

/**
 * The badge of a conversation in the list, or null for none. A muted conversation shows its
 * count in grey; unread mentions show an "@" even when muted (the daemon counts them apart);
 * a conversation marked unread with nothing new shows an empty dot (count 0).
 */
export function unreadBadge(c: Conversation): UnreadBadge | null {
  const mention = (c.mentionUnread ?? 0) > 0
  if (c.unread === 0 && !mention && c.markedUnread !== true) return null
  return { count: c.unread, mention, quiet: c.muted === true }
}

/** The partial name being typed after an `@` at the caret, or null when none is. */
export function mentionQuery(text: string, caret: number): { query: string; start: number } | null {
  const before = text.slice(0, caret)
  const at = before.lastIndexOf('@')
  if (at < 0 || (at > 0 && isNameChar(before[at - 1]))) return null
  const query = before.slice(at + 1)
  if (query.length > MAX_MENTION_QUERY_CHARS || /[\n@]/.test(query) || /^\s/.test(query)) return null
  // a name may hold spaces ("@Ann Lee"), but two spaces in a row end the mention
  if (/\s\s/.test(query)) return null
  return { query, start: at }
}

export interface MentionCandidate {
  readonly userId: string
  readonly name: string
}

/** Members whose name starts (or has a word starting) with the query, us excluded, at most MAX_MENTION_SUGGESTIONS. */
export function mentionCandidates(
  members: readonly MentionCandidate[],
  query: string,
  me: string,
): MentionCandidate[] {
  const q = query.toLocaleLowerCase()
  const score = (name: string) => {
    const n = name.toLocaleLowerCase()
    if (n.startsWith(q)) return 0
    return n.split(/\s+/).some((w) => w.startsWith(q)) ? 1 : -1
  }
  return members
    .filter((m) => m.userId !== me)
    .map((m) => ({ m, s: score(m.name) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.m.name.localeCompare(b.m.name))
    .slice(0, MAX_MENTION_SUGGESTIONS)
    .map((x) => x.m)
}

/** The text with the `@query` at `start` replaced by `@name ` and where the caret goes. */
export function completeMention(
  text: string,
  caret: number,
  start: number,
  name: string,
): { text: string; caret: number } {
  const inserted = `@${name} `
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length }
}

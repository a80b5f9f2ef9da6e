/**
 * Mentions in a group text: `@name` resolved to the user id of the member so named. Pure: the
 * caller passes the members it knows with the names it shows them under.
 *
 * Rules: an `@` starts a mention only at the start of the text or after a character that is not
 * part of a word (so `ann@example.org` mentions nobody); the longest member name that follows it,
 * compared case-insensitively and ending at a word boundary, wins (`@Ann Lee` before `@Ann`); a
 * member may also be named by its user id (`@u…`, for bots and the command line). A name two
 * members share resolves to nobody: the sender's client passes explicit ids in that case.
 */

/** Longest name looked for after an `@`, in UTF-16 units: display names are at most 64 characters. */
export const MAX_MENTION_NAME_CHARS = 64

/** A member that can be mentioned, with the name it is shown under. */
export interface MentionCandidate {
  readonly userId: string
  readonly name: string
}

const WORD = /[\p{L}\p{N}\p{M}_]/u

const isWord = (ch: string | undefined): boolean => ch !== undefined && WORD.test(ch)

/** The distinct user ids `text` mentions, in order of first mention, at most `max`. */
export function resolveMentions(
  text: string,
  candidates: readonly MentionCandidate[],
  max: number,
): string[] {
  const byName = new Map<string, string[]>()
  const add = (key: string, userId: string): void => {
    if (key === '' || key.length > MAX_MENTION_NAME_CHARS) return
    const ids = byName.get(key) ?? []
    if (!ids.includes(userId)) ids.push(userId)
    byName.set(key, ids)
  }
  for (const c of candidates) {
    add(c.name.trim().toLowerCase(), c.userId)
    add(c.userId.toLowerCase(), c.userId)
  }
  const out: string[] = []
  if (byName.size === 0) return out
  for (let at = text.indexOf('@'); at !== -1 && out.length < max; at = text.indexOf('@', at + 1)) {
    if (isWord(text[at - 1])) continue
    // one character past the longest name, to see whether a name there ends a word
    const tail = text.slice(at + 1, at + 2 + MAX_MENTION_NAME_CHARS).toLowerCase()
    for (let end = Math.min(tail.length, MAX_MENTION_NAME_CHARS); end > 0; end--) {
      if (isWord(tail[end]) && isWord(tail[end - 1])) continue // the name would end inside a word
      const ids = byName.get(tail.slice(0, end))
      if (ids === undefined) continue
      const only = ids.length === 1 ? ids[0] : undefined
      if (only !== undefined && !out.includes(only)) out.push(only)
      break
    }
  }
  return out
}

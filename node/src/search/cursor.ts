/**
 * The cursor of messages.search: where a page of results ended, as an opaque string a client
 * passes back as `before`. Written and parsed only here; a cursor is untrusted input (a client
 * may send anything), so the parser caps its size and refuses what it did not write.
 *
 * Form: `<sentAt>.<seq>.<conversationId>` (the conversation id last: it contains ':').
 */
import { InvalidInputError } from '../errors.ts'
import type { SearchPosition } from './search-index.ts'

/** Longest cursor in characters: two 16-digit numbers, two dots and a conversation id (≤ 128). */
export const MAX_SEARCH_CURSOR_CHARS = 16 + 1 + 16 + 1 + 128
const CURSOR = /^(\d{1,16})\.(\d{1,16})\.([\x21-\x7e]{1,128})$/

export class InvalidSearchCursorError extends InvalidInputError {
  constructor() {
    super('not a cursor of messages.search (pass back the `next` of a previous page)')
    this.name = 'InvalidSearchCursorError'
  }
}

export function formatSearchCursor(position: SearchPosition): string {
  return `${position.sentAt}.${position.seq}.${position.conversationId}`
}

export function parseSearchCursor(cursor: string): SearchPosition {
  if (typeof cursor !== 'string' || cursor.length > MAX_SEARCH_CURSOR_CHARS)
    throw new InvalidSearchCursorError()
  const match = CURSOR.exec(cursor)
  if (match === null) throw new InvalidSearchCursorError()
  const sentAt = Number(match[1])
  const seq = Number(match[2])
  if (!Number.isSafeInteger(sentAt) || !Number.isSafeInteger(seq)) throw new InvalidSearchCursorError()
  return { sentAt, seq, conversationId: match[3] as string }
}

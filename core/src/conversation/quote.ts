/**
 * The quote a reply carries of the message it answers: the first non-empty line of its text,
 * trimmed and cut to MAX_QUOTE_CHARS (never splitting a surrogate pair).
 */
import { MAX_QUOTE_CHARS } from './constants.ts'

export function quoteOf(text: string): string {
  const line = text.split(/\r\n|\n|\r/).find((l) => l.trim().length > 0) ?? ''
  const trimmed = line.trim()
  if (trimmed.length <= MAX_QUOTE_CHARS) return trimmed
  let cut = MAX_QUOTE_CHARS
  const last = trimmed.charCodeAt(cut - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut-- // a high surrogate whose pair would be cut off
  return trimmed.slice(0, cut)
}

/**
 * Message search in the page, as pure functions: a result's snippet cut into plain and
 * highlighted runs (the daemon's highlights are UTF-16 offsets into the snippet), and the line
 * that says where a result is. The search itself is the daemon's (messages.search).
 */
import type { SearchResult } from '../../../node/src/rpc/api.ts'

/** Quiet time after the last keystroke before a search is sent, in ms. */
export const SEARCH_DEBOUNCE_MS = 250
/** Results per page asked of messages.search (its DEFAULT_SEARCH_LIMIT). */
export const SEARCH_PAGE = 20

export interface SnippetPart {
  readonly text: string
  readonly hit: boolean
}

/** The snippet as runs; highlights out of range or overlapping are clipped, never thrown on. */
export function snippetParts(snippet: string, highlights: SearchResult['highlights']): SnippetPart[] {
  const spans = [...highlights]
    .filter((h) => h.length > 0 && h.start < snippet.length)
    .sort((a, b) => a.start - b.start)
  const out: SnippetPart[] = []
  let at = 0
  for (const h of spans) {
    const start = Math.max(h.start, at)
    const end = Math.min(h.start + h.length, snippet.length)
    if (end <= start) continue
    if (start > at) out.push({ text: snippet.slice(at, start), hit: false })
    out.push({ text: snippet.slice(start, end), hit: true })
    at = end
  }
  if (at < snippet.length) out.push({ text: snippet.slice(at), hit: false })
  return out
}

/** Whether a query is worth sending (the daemon wants 1..256 characters of something). */
export function searchable(query: string): boolean {
  return query.trim().length > 0
}

/**
 * The in-memory search index of a profile's messages: per message its folded text (fold.ts) and
 * where it is, keyed by the message's record key. A query is one or more terms (split on spaces,
 * folded); a message matches when every term is a substring of its folded text — which covers
 * word prefixes ('wor' finds 'World') and infixes alike. Results come newest first (sentAt, then
 * conversation and seq), `limit` at a time, with a cursor for the next page.
 *
 * Why a scan of folded strings and no n-gram or prefix tree: measured on 100,000 messages
 * (npm run bench:search, docs/bench/search.json), a scan answers in a few ms — far under the
 * 100 ms goal — while costing only the folded text in memory and no work per insert beyond one
 * fold; a trigram index would cost several times the text in postings, slow every insert and
 * still need this check to confirm candidates. The index lives only in memory: it is built from
 * the sealed store on the first search after unlock and follows every write after that, so at
 * rest there is nothing but the sealed messages themselves (search-service.ts).
 */
import { fold, foldWithMap, startsWord } from './fold.ts'

/** What the index keeps per message (besides its folded text). */
export interface IndexedMessage {
  readonly messageId: string
  readonly conversationId: string
  readonly seq: number
  readonly sender: string
  readonly direction: 'in' | 'out'
  readonly sentAt: number
  /** The text as written (the same string as `folded` when folding changed nothing). */
  readonly text: string
}

interface Entry extends IndexedMessage {
  readonly folded: string
}

/** Where a page of results ends: the next page starts strictly after it. */
export interface SearchPosition {
  readonly sentAt: number
  readonly conversationId: string
  readonly seq: number
}

export interface SearchQuery {
  /** Folded terms (queryTerms). */
  readonly terms: readonly string[]
  readonly conversationId?: string
  readonly limit: number
  readonly after?: SearchPosition
}

export interface SearchHit {
  readonly message: IndexedMessage
  /** Every term starts a word of the text (else some term matched inside a word). */
  readonly wordPrefix: boolean
}

export interface SearchPage {
  readonly hits: SearchHit[]
  /** Set when more results follow: pass it as `after` for the next page. */
  readonly next: SearchPosition | null
}

/** Terms of a query per folding; empty terms dropped, duplicates once. */
export function queryTerms(query: string, maxTerms: number): string[] {
  const terms = [
    ...new Set(
      fold(query)
        .split(/\s+/u)
        .filter((t) => t.length > 0),
    ),
  ]
  return terms.slice(0, maxTerms)
}

/** Newest first: a before b when a is newer (or, at the same time, by conversation then seq). */
function newerFirst(a: SearchPosition, b: SearchPosition): number {
  if (a.sentAt !== b.sentAt) return b.sentAt - a.sentAt
  if (a.conversationId !== b.conversationId) return a.conversationId < b.conversationId ? 1 : -1
  return b.seq - a.seq
}

export class SearchIndex {
  readonly #entries = new Map<string, Entry>()
  /** UTF-16 units of folded (and, where different, original) text held: the bulk of the memory. */
  #textUnits = 0

  get size(): number {
    return this.#entries.size
  }

  /** Characters (UTF-16 units) of text the index holds. */
  get textUnits(): number {
    return this.#textUnits
  }

  /** Index (or re-index) the message stored at `key`; an empty text removes it. */
  put(key: string, message: IndexedMessage): void {
    this.remove(key)
    if (message.text.length === 0) return
    const folded = fold(message.text)
    const text = folded === message.text ? folded : message.text
    this.#entries.set(key, { ...message, text, folded })
    this.#textUnits += folded.length + (text === folded ? 0 : text.length)
  }

  remove(key: string): void {
    const old = this.#entries.get(key)
    if (old === undefined) return
    this.#entries.delete(key)
    this.#textUnits -= old.folded.length + (old.text === old.folded ? 0 : old.text.length)
  }

  clear(): void {
    this.#entries.clear()
    this.#textUnits = 0
  }

  has(key: string): boolean {
    return this.#entries.has(key)
  }

  search(query: SearchQuery): SearchPage {
    const { terms, conversationId, limit, after } = query
    if (terms.length === 0 || limit < 1) return { hits: [], next: null }
    // the best `limit + 1` matches so far, newest first (a sorted array: limit is small)
    const best: Entry[] = []
    const keep = limit + 1
    for (const entry of this.#entries.values()) {
      if (conversationId !== undefined && entry.conversationId !== conversationId) continue
      if (after !== undefined && newerFirst(entry, after) <= 0) continue
      if (best.length === keep && newerFirst(entry, best[keep - 1] as Entry) >= 0) continue
      if (!matchesAll(entry.folded, terms)) continue
      best.splice(insertionPoint(best, entry), 0, entry)
      if (best.length > keep) best.pop()
    }
    const page = best.slice(0, limit)
    const last = page.at(-1)
    return {
      hits: page.map((e) => ({ message: publicPart(e), wordPrefix: allStartWords(e.folded, terms) })),
      next:
        best.length > limit && last !== undefined
          ? { sentAt: last.sentAt, conversationId: last.conversationId, seq: last.seq }
          : null,
    }
  }
}

function matchesAll(folded: string, terms: readonly string[]): boolean {
  for (const term of terms) if (!folded.includes(term)) return false
  return true
}

function allStartWords(folded: string, terms: readonly string[]): boolean {
  return terms.every((term) => {
    for (let at = folded.indexOf(term); at >= 0; at = folded.indexOf(term, at + 1))
      if (startsWord(folded, at)) return true
    return false
  })
}

function insertionPoint(sorted: readonly Entry[], entry: Entry): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (newerFirst(sorted[mid] as Entry, entry) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function publicPart(entry: Entry): IndexedMessage {
  const { folded: _folded, ...message } = entry
  return message
}

/** Most characters of context on each side of the first match in a snippet. */
export const SNIPPET_CONTEXT_CHARS = 40

export interface Snippet {
  /** Part of the text around the first match ('…' where cut). */
  readonly text: string
  /** Ranges of `text` (UTF-16 offsets) where terms matched. */
  readonly highlights: Array<{ start: number; length: number }>
}

/** A snippet of `text` around the first match of `terms` (folded), with every match in it marked. */
export function snippetOf(text: string, terms: readonly string[]): Snippet {
  const { folded, origin } = foldWithMap(text)
  const ranges: Array<[number, number]> = []
  for (const term of terms)
    for (let at = folded.indexOf(term); at >= 0; at = folded.indexOf(term, at + term.length))
      ranges.push([origin[at] as number, endOf(origin, at + term.length)])
  ranges.sort((a, b) => a[0] - b[0])
  const first = ranges[0] ?? [0, 0]
  let start = Math.max(0, first[0] - SNIPPET_CONTEXT_CHARS)
  let end = Math.min(text.length, first[1] + SNIPPET_CONTEXT_CHARS)
  // never cut a surrogate pair in half
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start--
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++
  const prefix = start > 0 ? '…' : ''
  const highlights = ranges
    .filter(([s, e]) => s >= start && e <= end)
    .map(([s, e]) => ({ start: prefix.length + s - start, length: e - s }))
  return { text: `${prefix}${text.slice(start, end)}${end < text.length ? '…' : ''}`, highlights }
}

/**
 * The offset in the original just past the code point that folded unit `end - 1` came from (a
 * match may end inside one code point's expansion: 's' in the 'ss' of 'ß' highlights the 'ß').
 */
function endOf(origin: readonly number[], end: number): number {
  const last = origin[end - 1] as number
  let j = end
  while ((origin[j] as number) === last) j++
  return origin[j] as number
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff
}

/**
 * Search folding: the form of a text that a query is matched against. Case-insensitive and
 * Unicode-aware: lower case (locale-independent), compatibility decomposition (NFKD: 'ﬁ' → 'fi',
 * full-width → ASCII, '𝒜' → 'a'), combining marks dropped (so 'cafe' finds 'café', 'İ' folds to 'i'), and
 * the two lower-case letters with a second form folded to one ('ß' → 'ss', final 'ς' → 'σ').
 *
 * Folding a whole text at once equals folding it code point by code point (marks are dropped,
 * so NFKD's reordering of marks does not matter, and toLowerCase is context-free except for the
 * final sigma, which is folded anyway): `foldWithMap` folds per code point to map a match in the
 * folded text back to the original for snippets; `fold` is the fast whole-string form.
 */

const MARKS = /\p{M}/gu
const SHARP_S = /ß/g
const FINAL_SIGMA = /ς/g

/** The folded form of `text` (what the index keeps and what queries are folded to). */
export function fold(text: string): string {
  // lower case twice: compatibility forms decompose to capitals too ('𝒜' → 'A'), so folding
  // stays idempotent (fold(fold(x)) = fold(x): a folded query matches what it folded from)
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(SHARP_S, 'ss')
    .replace(FINAL_SIGMA, 'σ')
}

/** The folded text and, for each of its UTF-16 units, the offset in `text` of the code point it came from. */
export interface FoldedWithMap {
  readonly folded: string
  /** origin[i] = offset in the original of folded[i]; origin[folded.length] = text.length. */
  readonly origin: readonly number[]
}

export function foldWithMap(text: string): FoldedWithMap {
  let folded = ''
  const origin: number[] = []
  let at = 0
  for (const cp of text) {
    const piece = fold(cp)
    for (let i = 0; i < piece.length; i++) origin.push(at)
    folded += piece
    at += cp.length
  }
  origin.push(text.length)
  return { folded, origin }
}

/** Word characters: letters and digits of any script (a word prefix starts after anything else). */
const WORD_CHAR = /[\p{L}\p{N}]/u

/** Whether `folded[at]` starts a word (a query term found there is a word-prefix match). */
export function startsWord(folded: string, at: number): boolean {
  if (at === 0) return true
  return !WORD_CHAR.test(folded[at - 1] ?? '')
}

/**
 * What counts as a reaction: exactly one emoji (one grapheme cluster, as a user picks it from a
 * picker), at most MAX_REACTION_BYTES of UTF-8, and nothing that is not part of an emoji (no
 * letters, digits alone, spaces or control characters). Pure: Intl.Segmenter and Unicode property
 * escapes only.
 */
import { encodeProtoString } from '../proto-string.ts'
import { MAX_REACTION_BYTES } from './constants.ts'

/** A pictograph, a regional-indicator letter (flags) or a combining keycap (#️⃣ 1️⃣). */
const EMOJI_BASE = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u
/**
 * Characters an emoji sequence may hold: pictographs, regional indicators, skin-tone modifiers,
 * ZWJ, variation selectors, tag characters (subdivision flags), keycap bases and the keycap mark.
 */
const EMOJI_PARTS =
  /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200d|\ufe0f|\ufe0e|[\u{e0020}-\u{e007f}]|[#*0-9]|\u20e3)+$/u

/**
 * Made on the first reaction checked, not at load: constructing a grapheme segmenter maps ICU's
 * break data into memory (~1 MB of the node binary's pages), which a daemon that never sees a
 * reaction need not hold (issue 14's idle RSS).
 */
let segmenter: Intl.Segmenter | undefined

/** Whether `text` is one emoji a person may react with. */
export function isReaction(text: string): boolean {
  if (typeof text !== 'string' || text.length === 0) return false
  // cheap bound before any Unicode work: 4 bytes per UTF-16 unit at most
  if (text.length > MAX_REACTION_BYTES) return false
  if (encodeProtoString(text).length > MAX_REACTION_BYTES) return false
  if (!EMOJI_PARTS.test(text) || !EMOJI_BASE.test(text)) return false
  let graphemes = 0
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' })
  for (const _ of segmenter.segment(text)) if (++graphemes > 1) return false
  return graphemes === 1
}

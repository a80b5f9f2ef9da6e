/**
 * Conversation actions on one message (issue 17): wire version, action kinds, sizes and the
 * author's windows. Every number has a unit and a reason.
 */

const KIB = 1024
const HOUR_MS = 60 * 60 * 1000

/** Wire version of MessageAction; others are rejected. */
export const ACTION_WIRE_VERSION = 1

/** Message ids and user ids are 16 bytes (128 random or derived bits). */
export const ACTION_ID_BYTES = 16

/**
 * Largest text of an edit in characters: the same cap as a message's text (64 Ki characters), so
 * anything that could be sent can be edited into anything that could be sent.
 */
export const MAX_EDIT_TEXT_CHARS = 65_536
/** The same cap in UTF-8 bytes (up to 4 bytes a character). */
export const MAX_EDIT_TEXT_BYTES = MAX_EDIT_TEXT_CHARS * 4

/**
 * Largest reaction in UTF-8 bytes. One emoji is one grapheme, but a ZWJ sequence with skin tones
 * (👩🏽‍❤️‍💋‍👨🏿) is 35 bytes; 64 leaves room for any RGI emoji and keeps a reaction tiny.
 */
export const MAX_REACTION_BYTES = 64

/**
 * Encoded MessageAction cap in bytes: the largest edit text plus ids, time, emoji, kind and flags
 * with their protobuf tags (well under 1 KiB of framing).
 */
export const MAX_ACTION_BYTES = MAX_EDIT_TEXT_BYTES + 1 * KIB

/** How long after sending its author may edit a message (24 h, as issue 17 and most messengers). */
export const EDIT_WINDOW_MS = 24 * HOUR_MS
/** How long after sending its author may delete a message for everyone (24 h). */
export const DELETE_WINDOW_MS = 24 * HOUR_MS

// ---- action kinds (MessageAction.kind)

/** Set (or, with an empty emoji, remove) the sender's one reaction to the message. */
export const ACTION_REACT = 1
/** Replace the message's text (author only, within EDIT_WINDOW_MS). */
export const ACTION_EDIT = 2
/** Delete the message for everyone (author only, within DELETE_WINDOW_MS): its text is erased. */
export const ACTION_DELETE = 3
/** Pin or unpin the message in its conversation (either side). */
export const ACTION_PIN = 4

export const ACTION_KINDS: ReadonlySet<number> = new Set([
  ACTION_REACT,
  ACTION_EDIT,
  ACTION_DELETE,
  ACTION_PIN,
])

/**
 * A reply's quote of the replied message, in characters: its first line, cut here. Enough for a
 * one-line preview above a bubble; the receiver shows it even when it lacks the original.
 */
export const MAX_QUOTE_CHARS = 200

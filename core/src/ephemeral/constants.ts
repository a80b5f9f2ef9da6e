/**
 * Ephemeral signals (typing, presence) between two contacts' devices: constants of the frame
 * (frame.ts). Everything here is sent only over a live connection and never stored or queued.
 */

/** Wire version of EphemeralFrame and EphemeralSignal (core/src/proto/ephemeral.proto). */
export const EPHEMERAL_WIRE_VERSION = 1
/** The contact is typing (on) or stopped (off) in the direct chat with us. */
export const EPHEMERAL_TYPING = 1
/** The contact shares its presence with us (on) or hides it (off). */
export const EPHEMERAL_PRESENCE = 2
/**
 * The member is typing (on) or stopped (off) in the group named by the signal's group id. Sent to
 * each member's device separately (under that pair's key), like the 1:1 kinds: never through the
 * group's gossip topic, whose posts are stored and fall back to mailboxes.
 */
export const EPHEMERAL_GROUP_TYPING = 3
export const EPHEMERAL_KINDS: ReadonlySet<number> = new Set([
  EPHEMERAL_TYPING,
  EPHEMERAL_PRESENCE,
  EPHEMERAL_GROUP_TYPING,
])
/** A group id in a GROUP_TYPING signal: 16 bytes (core/src/group). */
export const EPHEMERAL_GROUP_ID_BYTES = 16
/** A frame is a nonce, a few bytes of signal and a tag: 128 bytes leave room and bound a flood's cost. */
export const MAX_EPHEMERAL_FRAME_BYTES = 128
/** The sealed signal is a handful of varints (≤ 15 bytes) and, for a group, its 16-byte id (+ 2). */
export const MAX_EPHEMERAL_SIGNAL_BYTES = 48
/** Domain separation of the ephemeral keys and associated data. */
export const EPHEMERAL_KEY_INFO = 'wren/ephemeral/v1'
export const EPHEMERAL_NONCE_BYTES = 12

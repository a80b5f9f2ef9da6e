/** Typing and presence (node/src/presence): limits and times, each with its reason. */

/** The protocol of ephemeral frames (core/src/ephemeral): one frame per stream, no answer. */
export const WREN_EPHEMERAL_PROTOCOL = '/wren/ephemeral/1.0.0'
/**
 * While the user keeps typing, a typing frame goes out at most this often: the receiver's
 * indicator lasts TYPING_EXPIRE_MS, so two frames per expiry keep it on without gaps.
 */
export const TYPING_SEND_INTERVAL_MS = 3_000
/** A received "typing" lapses by itself after this long without a renewal (a lost "stopped"). */
export const TYPING_EXPIRE_MS = 6_000
/**
 * Frames accepted per contact in a burst, and one more per EPHEMERAL_REFILL_MS after that: a
 * user sends one every 3 s at most (plus a presence frame per connection); anything faster is a
 * flood, ignored (not decrypted, not announced).
 */
export const EPHEMERAL_BURST = 4
export const EPHEMERAL_REFILL_MS = 1_000
/** Bound on writing one frame over an open connection (a stream that cannot take 100 bytes is dead). */
export const EPHEMERAL_SEND_TIMEOUT_MS = 5_000
/** Bound on reading one inbound frame. */
export const EPHEMERAL_READ_TIMEOUT_MS = 5_000
/** Senders whose rate state is kept (least recently seen dropped first): contacts are few. */
export const MAX_RATE_ENTRIES = 1024
/**
 * Members of a group one typing frame goes to, at most (those whose device is connected now): a
 * frame each every TYPING_SEND_INTERVAL_MS, so 64 members are ~21 frames/s from a typing user;
 * larger groups show typing to the first 64 connected members only.
 */
export const GROUP_TYPING_MAX_RECIPIENTS = 64

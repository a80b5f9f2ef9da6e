/**
 * Limits of profile pictures (issue 17: "profile pictures: small, sent to contacts on change").
 * Every number has a unit and a reason.
 */

/** Longest side of a sent picture, in pixels: avatars show at ≤ 88 CSS px (the call screen). */
export const PICTURE_SIDE_PX = 96
/** Largest sent picture, in bytes: one small envelope to every contact, like a thumbnail. */
export const PICTURE_MAX_BYTES = 16 * 1024
/**
 * Largest source image read from the user's path, in bytes: a phone photo is 2–12 MiB; the whole
 * file is held in memory to strip and decode it.
 */
export const PICTURE_SOURCE_MAX_BYTES = 32 * 1024 * 1024
/** Largest source image decoded, in pixels (4 bytes a pixel: 32 MP → 128 MiB), checked from the header. */
export const PICTURE_SOURCE_MAX_PIXELS = 32_000_000
/** The decoder's own memory cap, in MiB: the source pixels plus its working buffers. */
export const PICTURE_DECODE_MEMORY_MB = 256
/** JPEG qualities tried in turn until the picture fits PICTURE_MAX_BYTES (96 px photos fit at 80). */
export const PICTURE_QUALITIES = [80, 65, 50, 35, 20] as const
/** Wire version of ProfilePicture. */
export const PICTURE_PAYLOAD_VERSION = 1
/** Protobuf overhead around the JPEG in a ProfilePicture, in bytes: tags, lengths, version, setAt. */
const PAYLOAD_OVERHEAD_BYTES = 32
/** Largest ProfilePicture payload accepted from a contact, in bytes: checked before decoding. */
export const MAX_PICTURE_PAYLOAD_BYTES = PICTURE_MAX_BYTES + PAYLOAD_OVERHEAD_BYTES
/**
 * App kind of profile-picture payloads (Messenger.registerApp). Taken kinds: calls 20, the
 * disappearing timer 30, device lists 40, sent transcripts 41, groups 100–103.
 */
export const APP_PROFILE_PICTURE = 50
/**
 * Largest image given inline to identity.setPicture, in bytes: the page scales the user's photo
 * down before sending it, and its base64 (4/3 larger) must fit one 1 MiB RPC message.
 */
export const PICTURE_INLINE_MAX_BYTES = 512 * 1024

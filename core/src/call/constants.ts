/**
 * Call signalling: wire version, signal kinds, hang-up reasons, sizes. Every number has a unit
 * and a reason. The design (issue 15, DESIGN.md "Voice"): the daemon carries the signalling end
 * to end encrypted; the media owner (the desktop page, or the CLI) runs the media with keys
 * derived here, so the media is protected independently of DTLS.
 */

const KIB = 1024

/** Wire version of CallSignal; others are rejected. */
export const CALL_WIRE_VERSION = 1

/** Call id length in bytes: 128 random bits, unique per call without coordination. */
export const CALL_ID_BYTES = 16

/** Per-direction media key in bytes: an AES-256-GCM key for SFrame-style frame encryption. */
export const MEDIA_KEY_BYTES = 32

/**
 * Largest media-owner text (one SDP or one ICE candidate) in UTF-8 bytes. An audio-only
 * Chromium offer with host, STUN and TURN candidates is ~3–6 KiB; 16 KiB leaves room for
 * video-less extensions while keeping one signal far inside one app payload (192 KiB).
 */
export const MAX_MEDIA_DATA_BYTES = 16 * KIB

/**
 * Encoded CallSignal cap in bytes: the largest data field plus call id, media key, time, kind
 * and reason with their protobuf tags (well under 256 bytes of framing).
 */
export const MAX_CALL_SIGNAL_BYTES = MAX_MEDIA_DATA_BYTES + 256

// ---- signal kinds (CallSignal.kind)

/** The call offer: rings the callee; carries the caller's media public key. */
export const SIGNAL_INVITE = 1
/** The callee's device is ringing (informational for the caller). */
export const SIGNAL_RINGING = 2
/** The callee accepted; carries the callee's media public key. */
export const SIGNAL_ACCEPT = 3
/** The callee is in another call. */
export const SIGNAL_BUSY = 4
/** The callee declined. */
export const SIGNAL_DECLINE = 5
/** Either side ended the call; `reason` says why. */
export const SIGNAL_HANGUP = 6
/** The media owner's SDP offer (opaque text). */
export const SIGNAL_OFFER = 7
/** The media owner's SDP answer (opaque text). */
export const SIGNAL_ANSWER = 8
/** One of the media owner's ICE candidates (opaque text). */
export const SIGNAL_ICE = 9
/**
 * The caller's word to the callee's devices, over the session, once one of them accepted: the
 * others stop ringing (`answered-elsewhere`). It carries the accepting device's media key (the
 * one in its ACCEPT), so a device that accepted too — its accept reached the caller second, or
 * before this reached it — ends `answered-elsewhere` as well instead of waiting for an offer that
 * never comes; the accepting device finds its own key and ignores it. (The media signals that
 * follow go on /wren/call to that device only, so they no longer tell the others.)
 */
export const SIGNAL_ANSWERED_ELSEWHERE = 10

/** Kinds that carry a media public key. */
export const KEYED_SIGNALS: ReadonlySet<number> = new Set([SIGNAL_INVITE, SIGNAL_ACCEPT])
/** Kinds that carry media-owner text. */
export const DATA_SIGNALS: ReadonlySet<number> = new Set([SIGNAL_OFFER, SIGNAL_ANSWER, SIGNAL_ICE])
export const SIGNAL_KINDS: ReadonlySet<number> = new Set([
  SIGNAL_INVITE,
  SIGNAL_RINGING,
  SIGNAL_ACCEPT,
  SIGNAL_BUSY,
  SIGNAL_DECLINE,
  SIGNAL_HANGUP,
  SIGNAL_OFFER,
  SIGNAL_ANSWER,
  SIGNAL_ICE,
  SIGNAL_ANSWERED_ELSEWHERE,
])

// ---- hang-up reasons (CallSignal.reason, HANGUP only)

/** The user hung up. */
export const HANGUP_BY_USER = 1
/** Nobody answered within the ring timeout (or the offer was already older than it). */
export const HANGUP_TIMEOUT = 2
/** The media never connected (ICE failed or the connect timeout passed). */
export const HANGUP_FAILED_ICE = 3
/** Media frames did not decrypt with the derived keys. */
export const HANGUP_FAILED_DECRYPT = 4

export const HANGUP_REASONS: ReadonlySet<number> = new Set([
  HANGUP_BY_USER,
  HANGUP_TIMEOUT,
  HANGUP_FAILED_ICE,
  HANGUP_FAILED_DECRYPT,
])

// ---- media key schedule labels

/** HKDF info prefix of the per-direction media keys (media-keys.ts). */
export const MEDIA_KEY_INFO = 'wren/call/media-key/v1'
/** Direction labels bound into the HKDF info: caller → callee, callee → caller. */
export const DIRECTION_CALLER_TO_CALLEE = 1
export const DIRECTION_CALLEE_TO_CALLER = 2

// ---- the signalling stream of an accepted call (stream-frame.ts, /wren/call/1.0.0)

/** HKDF info prefix of the per-direction signalling keys (media-keys.ts deriveSignalKeys). */
export const SIGNAL_KEY_INFO = 'wren/call/signal-key/v1'
/** Per-direction signalling key in bytes: an AES-256-GCM key. */
export const SIGNAL_KEY_BYTES = 32
/** Wire version of CallStreamFrame and CallStreamReply; others are rejected. */
export const CALL_STREAM_WIRE_VERSION = 1
/** AES-GCM nonce of a frame in bytes: 4 zero bytes then the 64-bit big-endian counter. */
export const CALL_STREAM_NONCE_BYTES = 12
/** AES-GCM tag in bytes (the ciphertext is the sealed CallSignal plus this). */
export const CALL_STREAM_TAG_BYTES = 16
/**
 * Encoded CallStreamFrame cap in bytes: the largest sealed signal (MAX_CALL_SIGNAL_BYTES plus the
 * tag) plus version, call id and counter with their protobuf tags (under 64 bytes of framing).
 */
export const MAX_CALL_STREAM_FRAME_BYTES = MAX_CALL_SIGNAL_BYTES + CALL_STREAM_TAG_BYTES + 64
/** Encoded CallStreamReply cap in bytes: two small varints and their tags. */
export const MAX_CALL_STREAM_REPLY_BYTES = 16
/**
 * Signal kinds a call stream carries: those of an accepted call (SDP, ICE, hang-up). The
 * invite, ringing, accept, busy and decline go over the pairwise sessions: there are no
 * signalling keys before the accept, and an invite must reach an offline callee's mailboxes.
 */
export const STREAM_SIGNALS: ReadonlySet<number> = new Set([
  SIGNAL_OFFER,
  SIGNAL_ANSWER,
  SIGNAL_ICE,
  SIGNAL_HANGUP,
])

// ---- CallStreamReply.status

/** The signal was applied to the live call. */
export const STREAM_DELIVERED = 1
/** No live call of that id here (it ended): the signal has nothing to act on; not resent. */
export const STREAM_GONE = 2
/**
 * The call is live here but cannot take the frame on the stream yet (no signalling keys: the
 * accept has not arrived, or the frame came from a device the call is not bound to): the sender
 * sends the signal over the pairwise session instead, behind what it queued there before.
 */
export const STREAM_NOT_READY = 3
export const STREAM_STATUSES: ReadonlySet<number> = new Set([STREAM_DELIVERED, STREAM_GONE, STREAM_NOT_READY])

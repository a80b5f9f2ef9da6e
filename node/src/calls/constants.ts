/**
 * Calls: the app kind of call signals on the pairwise sessions, timings and limits. Every
 * number has a unit and a reason. Wire constants (signal kinds, sizes) are in core/src/call.
 */

/**
 * App kind of call signals (CONTENT_KIND_APP payloads routed by Messenger.registerApp). Groups
 * use 100+; calls take 20.
 */
export const APP_CALL_SIGNAL = 20

/**
 * How long a call rings before it ends with `timeout`, in ms: 45 s, inside the 30–60 s phones
 * ring for. The callee rings for what is left of it after the offer's age, and an offer that
 * arrives older than this (from a mailbox) is not rung: it becomes a missed call.
 */
export const RING_TIMEOUT_MS = 45_000

/**
 * How long an accepted call may stay `connecting` before it ends with `failed-ice`, in ms: ICE
 * with STUN and TURN candidates settles within ~10 s; 30 s covers a slow TURN allocation.
 */
export const CONNECT_TIMEOUT_MS = 30_000

/** Calls at a time: one, the page and the CLI own one microphone and speaker each. */
export const MAX_LIVE_CALLS = 1

/** Entries calls.list returns when no limit is given, and the most it returns. */
export const DEFAULT_CALL_LIST_LIMIT = 50
export const MAX_CALL_LIST_LIMIT = 500

/**
 * Bound on asking the relays for TURN credentials, in ms: the page waits for them before it
 * opens its RTCPeerConnection; a relay that does not answer within 5 s is left out of this call.
 */
export const TURN_FETCH_TIMEOUT_MS = 5_000
/**
 * A cached TURN credential with less than this left, in ms, is fetched anew: coturn checks the
 * expiry at each allocation refresh, so a call should start with an hour in hand.
 */
export const TURN_REFRESH_MARGIN_MS = 60 * 60 * 1000
/** After a relay refused or failed, how long until it is asked again (unless it said), in ms. */
export const TURN_RETRY_MS = 60_000

/**
 * The protocol of an accepted call's signals (core/src/call/stream-frame.ts): one sealed frame
 * per stream, answered with a status. Served on relayed connections too (signals are a few KiB,
 * far inside a circuit's 128 KiB).
 */
export const CALL_PROTOCOL = '/wren/call/1.0.0'
/**
 * Bound on one frame's exchange (write, the receiver applies it, the answer), in ms: a live
 * connection answers in milliseconds; past 5 s the signal goes over the pairwise session instead,
 * still well inside CONNECT_TIMEOUT_MS.
 */
export const CALL_STREAM_TIMEOUT_MS = 5_000
/**
 * /wren/call frames one peer may send (peer-guard.ts): a call's SDP offer or answer, a few dozen
 * trickled ICE candidates (host per interface, STUN, TURN over UDP and TCP, both directions of
 * ICE restarts) and a hang-up arrive in one burst at set-up; 64 at once then 8 a second is
 * several calls' worth, and anything faster is a flood.
 */
export const CALL_STREAM_PEER_LIMIT = { burst: 64, ratePerSecond: 8 } as const

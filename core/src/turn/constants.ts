/**
 * TURN credentials handed out by Wren relays (issue 15, "NAT"): the protocol id, the wire
 * limits and the credential lifetime, shared by the relay (relay-node/src/turn-service.ts) and
 * the node (node/src/calls/turn-client.ts). The credential scheme is coturn's "TURN REST API"
 * (draft-uberti-behave-turn-rest-00 §2.2): username = "<expiry unix seconds>:<peer id>",
 * password = base64(HMAC-SHA1(static-auth-secret, username)). Every number has a unit and a reason.
 */

/** One credential per request. */
export const TURN_PROTOCOL = '/wren/turn/1.0.0'
/** Version of the request frame; any other is refused as malformed. */
export const TURN_WIRE_VERSION = 1

/**
 * Credential lifetime, in seconds: 6 h. coturn checks the expiry on every allocation refresh,
 * so a call longer than this loses its relayed path; short enough that a leaked credential
 * (it sits in a page's RTCConfiguration) is worth little for long.
 */
export const TURN_CREDENTIAL_TTL_S = 6 * 60 * 60

/** Largest request frame, in bytes: a version field (a few bytes) with room to spare. */
export const MAX_TURN_REQUEST_BYTES = 64
/** Longest username, in characters: 10-digit expiry, a colon, a base58 peer id (≤ 60) and slack. */
export const MAX_TURN_USERNAME_CHARS = 128
/** Password length, in characters: base64 of a 20-byte HMAC-SHA1 is always 28. */
export const TURN_PASSWORD_CHARS = 28
/** TURN URLs per response: UDP and TCP on IPv4 and IPv6, a DNS name. */
export const MAX_TURN_URLS = 6
/** Longest TURN URL, in characters (turn:<dns name ≤ 253>:<port>?transport=tcp). */
export const MAX_TURN_URL_CHARS = 300
/** Largest response frame, in bytes: the fields above with their protobuf tags. */
export const MAX_TURN_RESPONSE_BYTES =
  MAX_TURN_USERNAME_CHARS + TURN_PASSWORD_CHARS + MAX_TURN_URLS * (MAX_TURN_URL_CHARS + 3) + 64

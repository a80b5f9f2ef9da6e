/**
 * Wire-level names and limits of the mailbox protocol /wren/mailbox/1.0.0, shared by the relay
 * (relay-node/) and the client (node/src/mailbox/). Relay-side policy defaults (quotas, rates)
 * live in relay-node/src/constants.ts. Every number has a unit and a reason.
 */
import { MAX_ENVELOPE_BYTES, MAX_PEER_ID_BYTES } from '../constants.ts'

const KIB = 1024
const SECOND_MS = 1000
const DAY_MS = 24 * 60 * 60 * SECOND_MS

export const MAILBOX_PROTOCOL = '/wren/mailbox/1.0.0'
/**
 * Relay → owner: "your inbox has new mail" (one length-prefixed inbox id, nothing else), sent on
 * the owner's open connection after a deposit, so an online owner fetches at once instead of at
 * its next poll. Carries no content; the owner fetches and authenticates as usual.
 */
export const MAILBOX_NOTIFY_PROTOCOL = '/wren/mailbox-notify/1.0.0'
/** Largest notification frame a node reads (an inbox id is INBOX_ID_BYTES; the rest is slack). */
export const MAX_MAILBOX_NOTIFY_BYTES = 64
/** Wire version in every request and response; any other value is refused as malformed. */
export const MAILBOX_WIRE_VERSION = 1
/** Version of the receipt structure (part of its signing input). */
export const RECEIPT_VERSION = 1

/** String whose CID relays announce as DHT providers, so clients can find mailbox relays. */
export const MAILBOX_PROVIDER_KEY = 'wren-mailbox-v1'

// ---- domain separation labels

/** Inbox id hash label: inboxId = SHA-256(utf8(label) ‖ inboxPublicKey)[0..16). */
export const INBOX_ID_LABEL = 'wren/inbox/v1'
/** Owner authentication label (signingInput label over relay, inbox, nonce, operation). */
export const MAILBOX_AUTH_LABEL = 'wren/mailbox/auth/v1'
/** Receipt signature label. */
export const RECEIPT_LABEL = 'wren/mailbox/receipt/v1'

// ---- sizes

/** Inbox id length in bytes: 128 bits of a hash, collision-safe for any relay's population. */
export const INBOX_ID_BYTES = 16
/** Envelope hash length in bytes (SHA-256). */
export const ENVELOPE_HASH_BYTES = 32
/** Challenge nonce length in bytes: 256 random bits are never guessed or repeated. */
export const CHALLENGE_NONCE_BYTES = 32
/** Fetch cursor length in bytes: a big-endian u64 deposit sequence number (empty = from start). */
export const CURSOR_BYTES = 8
/** Largest relay PeerId in a receipt, in bytes. */
export const MAX_RECEIPT_PEER_ID_BYTES = MAX_PEER_ID_BYTES

/** Largest envelope a relay stores, in bytes: every padded sealed envelope (256 KiB bucket) fits. */
export const MAILBOX_MAX_ENVELOPE_BYTES = MAX_ENVELOPE_BYTES
/**
 * Largest one-time prekey item, in bytes: the client packs one X25519 prekey (32 + id) and one
 * signed ML-KEM-768 prekey (1184 + 64 + id) into an opaque item (~1.3 KiB); headroom for framing.
 */
export const MAX_PREKEY_ITEM_BYTES = 4 * KIB
/** Prekey items per upload request: 100 × 4 KiB keeps one request under half a MiB. */
export const MAX_PREKEYS_PER_UPLOAD = 100
/** Envelope hashes per ack request: matches the largest fetch page with headroom. */
export const MAX_ACK_HASHES = 256
/**
 * Envelopes per fetch page (the relay may return fewer to stay under MAX_FETCH_PAGE_BYTES): 256
 * short messages are ~80 KiB; every page costs the owner a challenge and a request (two streams),
 * so a catch-up of 1,000 takes 4 pages per mailbox, not 16.
 */
export const MAX_FETCH_LIMIT = 256
/** Envelope bytes per fetch page: a page always holds at least one envelope, then stops here. */
export const MAX_FETCH_PAGE_BYTES = 1024 * KIB
/** Envelopes per deposit batch: a delivery batch's worth (MAX_DELIVERY_BATCH in node/). */
export const MAX_DEPOSIT_BATCH = 64
/** Envelope bytes per deposit batch: a batch always holds at least one envelope, then stops here. */
export const MAX_DEPOSIT_BATCH_BYTES = 1024 * KIB
/** Protobuf framing per message beyond its byte fields: ids, tags, lengths, keys, signatures. */
const FRAMING_BYTES = 4 * KIB
/**
 * Largest encoded request, in bytes: the biggest of one deposit, one full deposit batch (whose
 * last envelope may overshoot its byte budget) and one full prekey upload.
 */
export const MAX_REQUEST_BYTES =
  Math.max(
    MAILBOX_MAX_ENVELOPE_BYTES,
    MAX_DEPOSIT_BATCH_BYTES + MAILBOX_MAX_ENVELOPE_BYTES + MAX_DEPOSIT_BATCH * 8,
    MAX_PREKEYS_PER_UPLOAD * (MAX_PREKEY_ITEM_BYTES + 8),
  ) + FRAMING_BYTES
/** Largest encoded response, in bytes: a full fetch page (one envelope may overshoot) plus framing. */
export const MAX_RESPONSE_BYTES =
  MAX_FETCH_PAGE_BYTES + MAILBOX_MAX_ENVELOPE_BYTES + MAX_FETCH_LIMIT * 128 + FRAMING_BYTES

// ---- time

/** Unacked envelopes expire after this many ms: two weeks covers holidays and dead batteries. */
export const MAILBOX_TTL_MS = 14 * DAY_MS
/** A relay challenge is valid this long, in ms: one round trip plus signing, with slack. */
export const CHALLENGE_TTL_MS = 30 * SECOND_MS
/** Default wait for one mailbox request/response, in ms (client side and relay handler). */
export const MAILBOX_REQUEST_TIMEOUT_MS = 10 * SECOND_MS

/**
 * Core-wide named limits and versions for the identity layer (identity, device certificates,
 * prekey bundles, PQXDH, sealed envelopes). Every number has a unit and a reason.
 */

const KIB = 1024
const MINUTE_MS = 60 * 1000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

// ---- versions (a structure with any other version is rejected with UnsupportedVersionError)

export const DEVICE_CERTIFICATE_VERSION = 1
export const PREKEY_BUNDLE_VERSION = 1
export const ENVELOPE_VERSION = 1
export const SEALED_CONTENT_VERSION = 1
export const PREKEY_MESSAGE_VERSION = 1

// ---- identity

/** User id length in bytes: 128 bits is collision-safe for human-scale directories. */
export const USER_ID_BYTES = 16
/** Prefix of the printed user id, so an id is recognisable in text ("wu" = Wren user). */
export const USER_ID_PREFIX = 'wu'

// ---- device certificates and prekey bundles

/** Largest libp2p PeerId in bytes: identity-multihash Ed25519 ids are 38 B, sha256 ones 34 B. */
export const MAX_PEER_ID_BYTES = 64
/** Largest mailbox inbox id in bytes: inbox ids are short pseudonymous tokens (≤ a hash). */
export const MAX_INBOX_ID_BYTES = 64
/** Largest single multiaddr in bytes: dns + tcp/ws + p2p-circuit + peer ids fit well within. */
export const MAX_MULTIADDR_BYTES = 256
/** Mailbox hints per bundle: a device keeps 3 by default; headroom for migration. */
export const MAX_MAILBOX_HINTS = 8
/** Addresses per mailbox hint: a relay publishes a few transports (tcp, ws, ip4/ip6). */
export const MAX_MAILBOX_ADDRS = 4
/**
 * Encoded prekey bundle cap in bytes: ML-KEM key (1184) + keys and signatures (~400) + the
 * largest allowed mailbox hints (8 × (4 × 256 + 128)) stays under this, and DHT records stay small.
 */
export const MAX_BUNDLE_BYTES = 16 * KIB
/** Encoded device certificate cap in bytes: three keys, a peer id, a signature and a timestamp. */
export const MAX_DEVICE_CERTIFICATE_BYTES = 512
/** Encoded one-time / signed prekey cap in bytes: one ML-KEM public key plus id and signature. */
export const MAX_PREKEY_BYTES = 2 * KIB
/**
 * Oldest prekey bundle accepted, in ms: nodes re-sign and re-publish every few hours and rotate
 * signed prekeys weekly, so a month-old bundle belongs to a device that stopped maintaining it.
 */
export const MAX_BUNDLE_AGE_MS = 30 * DAY_MS
/**
 * How far in the future a bundle's createdAt may be, in ms: tolerates ordinary clock skew, but a
 * far-future bundle would win the DHT's newest-wins selection over every honest re-publish.
 */
export const MAX_BUNDLE_FUTURE_SKEW_MS = 1 * HOUR_MS

// ---- envelopes and padding

/**
 * Padded plaintext sizes in bytes, smallest first. Every sealed envelope's plaintext is padded to
 * one of them so relays and observers learn only a coarse size class: small steps for chat-sized
 * messages, then 64 KiB steps for attachments sent inline.
 */
export const PADDING_BUCKETS: readonly number[] = Object.freeze([
  256,
  1 * KIB,
  4 * KIB,
  16 * KIB,
  64 * KIB,
  128 * KIB,
  192 * KIB,
  256 * KIB,
])
/** Largest padded plaintext in bytes (the last bucket): bigger payloads go through /wren/file. */
export const MAX_PADDED_BYTES = 256 * KIB
/**
 * Envelope bytes beyond the padded plaintext, upper bound: protobuf tags and lengths (≤ 12),
 * version (≤ 6), ephemeral key (32 + 2) and the AES-GCM tag (16), rounded up.
 */
export const ENVELOPE_OVERHEAD_BYTES = 128
/**
 * SealedContent bytes beyond its body, upper bound: version and type (≤ 12), two 32-byte keys
 * with tags (68), body tag and length (≤ 6), and the one-byte padding marker, rounded up.
 */
export const SEALED_CONTENT_OVERHEAD_BYTES = 96
/** Largest body a sealed envelope carries, in bytes: whatever still fits the last bucket. */
export const MAX_SEALED_BODY_BYTES = MAX_PADDED_BYTES - SEALED_CONTENT_OVERHEAD_BYTES
/** Encoded envelope cap in bytes, checked before any parsing. */
export const MAX_ENVELOPE_BYTES = MAX_PADDED_BYTES + ENVELOPE_OVERHEAD_BYTES
/** Encoded prekey message cap in bytes: it travels as the body of a sealed envelope. */
export const MAX_PREKEY_MESSAGE_BYTES = MAX_PADDED_BYTES

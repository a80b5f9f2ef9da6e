/**
 * Sender Keys limits, versions and labels. Every number has a unit and a reason.
 * Design: Signal's Sender Keys (libsignal `sender_keys.rs`), with AES-256-GCM instead of CBC+sig-only.
 */

const KIB = 1024

/** Wire version of SenderKeyMessage and SenderKeyDistributionMessage; others are rejected. */
export const SENDER_KEY_WIRE_VERSION = 1
/** Disk format version of an encoded SenderKeyState (versioned apart from the wire). */
export const SENDER_KEY_STATE_VERSION = 1

/** Distribution id length in bytes: a random 128-bit id (Signal uses a UUID). */
export const DISTRIBUTION_ID_BYTES = 16
/** Chain key length in bytes: an HMAC-SHA256 key/output. */
export const SENDER_CHAIN_KEY_BYTES = 32
/** Message-key seed length in bytes: HMAC-SHA256(chain key, 0x01). */
export const SENDER_MESSAGE_SEED_BYTES = 32

/**
 * Largest iteration gap a receiver walks forward in one message, in iterations: the same
 * bound as libsignal (MAX_FORWARD_JUMPS = 25,000), so a signed but hostile jump costs at most
 * 50,000 HMACs and an honest sender that was offline for a long burst still gets through.
 */
export const MAX_SENDER_KEY_FORWARD_JUMP = 25_000
/**
 * Skipped message keys kept per chain (oldest evicted first): libsignal's MAX_MESSAGE_KEYS,
 * enough for gossipsub reordering and mailbox catch-up while bounding memory (~72 KiB/chain).
 */
export const MAX_SENDER_KEY_SKIPPED = 2000
/**
 * Older chains a receiver keeps after the sender rotates, so messages in flight during a
 * rotation still decrypt; libsignal keeps 5 states in total (current + 4).
 */
export const MAX_SENDER_KEY_PREVIOUS_CHAINS = 4
/** Highest iteration a chain may use: the next iteration must still fit in a uint32. */
export const MAX_SENDER_KEY_ITERATION = 0xffff_fffe

/**
 * Encoded SenderKeyMessage cap in bytes (signature included): group payloads are text and
 * small control messages; media travels as files with a per-file key, so 1 MiB is generous.
 */
export const MAX_SENDER_KEY_MESSAGE_BYTES = 1024 * KIB
/** Encoded distribution message cap in bytes: a 16-byte id, two 32-byte keys and two uint32s. */
export const MAX_SENDER_KEY_DISTRIBUTION_BYTES = 256
/**
 * Encoded SenderKeyState cap in bytes: 5 chains × (2000 skipped keys × 36 B + ~150 B of keys)
 * ≈ 361 KB fits under it.
 */
export const MAX_SENDER_KEY_STATE_BYTES = 384 * KIB

/** HKDF info for message key + nonce derivation (domain separation, versioned). */
export const SENDER_KEY_MESSAGE_INFO = new TextEncoder().encode('wren/sender-key/message/v1')

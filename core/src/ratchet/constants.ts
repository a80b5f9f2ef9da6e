/**
 * Named versions, limits and KDF labels of the Double Ratchet
 * (https://signal.org/docs/specifications/doubleratchet/). Every number has a unit and a reason.
 */

const KIB = 1024

// ---- versions (the wire format and the disk format are versioned separately, as in libsignal)

/** Version of the wire message `RatchetMessage`; any other version is rejected. */
export const RATCHET_MESSAGE_VERSION = 1
/** Version of the disk record `RatchetStateRecord`; any other version is rejected. */
export const RATCHET_STATE_VERSION = 1

// ---- skipped message keys (spec §3.5, §4.1: MAX_SKIP)

/**
 * Most message keys one chain step may skip, and most kept per chain (oldest evicted first):
 * Signal's bound (libsignal MAX_MESSAGE_KEYS = 2000) — generous for lost or late messages, while
 * a forged header cannot make a receiver derive more than this many keys per chain.
 */
export const MAX_SKIP_PER_CHAIN = 2000
/**
 * Most skipped message keys kept across all chains, oldest evicted first: room for two full
 * per-chain gaps plus change, while a saved session stays under 200 KiB (36 B per key on disk).
 */
export const MAX_SKIPPED_KEYS_TOTAL = 5000
/**
 * Most old receiving chains remembered (their skipped keys and their length, for duplicate
 * detection): libsignal's MAX_RECEIVER_CHAINS = 5.
 */
export const MAX_RECEIVER_CHAINS = 5
/** Highest message number in a chain: the wire counters are uint32. */
export const MAX_CHAIN_INDEX = 0xffff_ffff

// ---- sizes

/** Root, chain and message keys are 32 bytes (HMAC-SHA256 / HKDF-SHA256 outputs). */
export const RATCHET_KEY_BYTES = 32
/** One skipped key on disk: u32 big-endian message number ‖ 32-byte message key. */
export const SKIPPED_ENTRY_BYTES = 4 + 32
/** HKDF output per message: AES-256-GCM key (32) followed by its nonce (12). */
export const MESSAGE_KEY_MATERIAL_BYTES = 44
/** Root KDF output: new root key (32) followed by a new chain key (32). */
export const ROOT_KDF_OUTPUT_BYTES = 64
/**
 * Session associated data cap in bytes: PQXDH gives two 32-byte identity keys (64 B); the cap
 * leaves room for future context while keeping every message's AAD small.
 */
export const MAX_ASSOCIATED_DATA_BYTES = 1 * KIB
/**
 * Largest plaintext in bytes: a ratchet message travels inside a sealed envelope whose padded
 * plaintext is at most 256 KiB (bigger payloads go through /wren/file).
 */
export const MAX_RATCHET_PLAINTEXT_BYTES = 256 * KIB
/**
 * Encoded ratchet message cap in bytes: the largest plaintext, the 16-byte AES-GCM tag, and 128 B
 * for the header fields and protobuf framing.
 */
export const MAX_RATCHET_MESSAGE_BYTES = MAX_RATCHET_PLAINTEXT_BYTES + 16 + 128
/**
 * Encoded ratchet state cap in bytes: MAX_SKIPPED_KEYS_TOTAL × SKIPPED_ENTRY_BYTES ≈ 176 KiB plus
 * six chains and fixed fields; 512 KiB leaves headroom and still bounds a corrupt file.
 */
export const MAX_RATCHET_STATE_BYTES = 512 * KIB

// ---- KDF labels (HKDF info strings; a new version of the derivation gets a new label)

/** KDF_RK info: HKDF(salt = root key, ikm = DH output). */
export const ROOT_KDF_INFO = 'wren/ratchet/root/v1'
/** Message key expansion info: HKDF(salt = 32 zero bytes, ikm = message key) → AES key ‖ nonce. */
export const MESSAGE_KDF_INFO = 'wren/ratchet/message/v1'

/**
 * Sizes and labels of encrypted files (issue 16's design). Every number has a unit and a reason.
 */

const KIB = 1024
const MIB = 1024 * KIB

/** Plaintext bytes per chunk: large enough that per-chunk overhead (tag, hash, request) is < 0.1 %, small enough to resume cheaply. */
export const FILE_CHUNK_BYTES = 256 * KIB
/** Largest chunk a pointer may announce: bounds what a receiver holds in memory per chunk. */
export const MAX_FILE_CHUNK_BYTES = MIB
/** Version of the pointer structure; any other is refused. */
export const FILE_POINTER_VERSION = 1
/** Random file id, in bytes: names the file in transfers and binds every chunk to it. */
export const FILE_ID_BYTES = 16
/** The file key (AES-256-GCM chunk keys are derived from it). */
export const FILE_KEY_BYTES = 32
/** SHA-256 of one ciphertext chunk, and of the manifest (the list of those hashes). */
export const FILE_HASH_BYTES = 32
/** Longest file name kept, in UTF-8 bytes (common filesystems' limit). */
export const MAX_FILE_NAME_BYTES = 255
/** Longest media type, in bytes (RFC 6838: 127 for type and subtype each is ample for one). */
export const MAX_MEDIA_TYPE_BYTES = 127
/** Inline thumbnail of an image, in bytes (≤ 320 px WebP/JPEG). */
export const MAX_THUMBNAIL_BYTES = 16 * KIB
/**
 * Largest encoded pointer: the thumbnail, a few hundred bytes of fields, and two relay replicas
 * (each a PeerId ≤ 64 B, 4 addresses ≤ 256 B and a 32-byte seed: ≤ 1.2 KiB with framing).
 */
export const MAX_FILE_POINTER_BYTES = MAX_THUMBNAIL_BYTES + 2 * KIB + 3 * KIB
/** Largest image side a pointer may announce, in pixels. */
export const MAX_IMAGE_SIDE_PX = 65_535
/**
 * Most chunks in one file: 2^22 × 256 KiB = 1 TiB. Direct transfers have no cap beyond disk;
 * this bounds the manifest (32 B per chunk: 128 MiB at most, read in chunk-sized pieces).
 */
export const MAX_FILE_CHUNKS = 2 ** 22
/** Largest file over the offline path (relay blobs), in bytes. */
export const MAX_OFFLINE_FILE_BYTES = 100 * MIB

/** HKDF info of the chunk key. */
export const FILE_CHUNK_KEY_LABEL = 'wren/file/chunk-key/v1'
/** First bytes of every chunk's associated data. */
export const FILE_CHUNK_AAD_LABEL = 'wren/file/chunk/v1'

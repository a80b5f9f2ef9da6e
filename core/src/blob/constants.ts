/**
 * Wire-level names and limits of the relay blob service /wren/blob/1.0.0 (issue 16, offline
 * path), shared by the relay (relay-node/src/blob-*.ts) and the node (node/src/files/blob-*.ts).
 * Relay-side policy (quotas, sweeps) is in relay-node/src/constants.ts. Every number has a unit
 * and a reason.
 */
import { MAX_PEER_ID_BYTES } from '../constants.ts'
import { FILE_CHUNK_BYTES } from '../file/constants.ts'

const KIB = 1024
const DAY_MS = 24 * 60 * 60 * 1000

/** One blob per request: put, get or delete. Its own protocol, beside (not inside) the mailbox. */
export const BLOB_PROTOCOL = '/wren/blob/1.0.0'
/** Version of the request frame; any other is refused as malformed. */
export const BLOB_WIRE_VERSION = 1

/** Blob id, in bytes: 128 random-looking bits name a blob among every relay's population. */
export const BLOB_ID_BYTES = 16
/** A read or delete capability, in bytes: 256 bits are never guessed. */
export const BLOB_TOKEN_BYTES = 32
/** SHA-256 of a token: what the relay keeps (it never holds a token before it is presented). */
export const BLOB_TOKEN_HASH_BYTES = 32
/** The per-replica seed every blob id and token of one file derives from (core/src/blob/caps.ts). */
export const BLOB_CAP_SEED_BYTES = 32
/** AES-GCM tag on every sealed chunk. */
const CHUNK_TAG_BYTES = 16
/**
 * Largest blob, in bytes: one sealed chunk of the standard size (FILE_CHUNK_BYTES + tag). A
 * manifest of a file under the offline cap (400 hashes × 32 B = 12.5 KiB) fits too.
 */
export const MAX_BLOB_BYTES = FILE_CHUNK_BYTES + CHUNK_TAG_BYTES
/** Protobuf framing of a frame around its data: version, kind, ids, tokens, hashes, lengths. */
const FRAME_FIELDS_BYTES = KIB
/** Largest request frame, in bytes (a put: the blob plus ids and token hashes). */
export const MAX_BLOB_REQUEST_BYTES = MAX_BLOB_BYTES + FRAME_FIELDS_BYTES
/** Largest response frame, in bytes (a get: the blob plus status and expiry). */
export const MAX_BLOB_RESPONSE_BYTES = MAX_BLOB_BYTES + FRAME_FIELDS_BYTES
/** A blob lives this long on a relay unless its recipient deletes it first (issue 16: 7 days). */
export const BLOB_TTL_MS = 7 * DAY_MS

/** Replicas of a file's blobs, each on a distinct relay: one relay may fail, disappear or lie. */
export const BLOB_REPLICAS = 2
/** Addresses of one replica relay carried in a pointer (TCP, WebSocket, IPv4/IPv6, a spare). */
export const MAX_REPLICA_ADDRS = 4
/** Largest relay PeerId a pointer carries, in bytes. */
export const MAX_REPLICA_PEER_ID_BYTES = MAX_PEER_ID_BYTES

/** HKDF info labels of the per-slot capabilities (caps.ts). */
export const BLOB_ID_LABEL = 'wren/blob/id/v1'
export const BLOB_READ_TOKEN_LABEL = 'wren/blob/read/v1'
export const BLOB_DELETE_TOKEN_LABEL = 'wren/blob/delete/v1'

/**
 * Protocol id and limits of file transfers between devices (issue 16, direct path). Every number
 * has a unit and a reason; the file format's own sizes are in core/src/file/constants.ts.
 */
import { FILE_HASH_BYTES, MAX_FILE_CHUNK_BYTES } from '../../../core/src/file/constants.ts'

const SECOND_MS = 1000
const KIB = 1024

/** The pull protocol: the receiver asks the sender for the manifest, then for chunks. */
export const FILE_PROTOCOL = '/wren/file/1.0.0'
/** Version of the request frame; any other is refused. */
export const FILE_WIRE_VERSION = 1

/**
 * Chunk requests a receiver keeps open at once: 8 × 256 KiB keeps a link of up to ~200 Mbit/s
 * × 80 ms busy while bounding what is in flight (and re-fetched after a kill) to 2 MiB. With 4,
 * both daemons sat idle half the time over loopback on a busy machine (bench:files profile:
 * each chunk is a fresh stream and a LevelDB read, so latency, not CPU, bounded the rate).
 */
export const CHUNKS_IN_FLIGHT = 8
/**
 * Chunks a receiver asks for in one range request (wire.ts FILE_REQUEST_RANGE): the sender
 * writes them back to back on the request's stream, so the cost of a stream, a request and its
 * answer is paid once per range instead of once per chunk.
 */
export const RANGE_CHUNKS = 4
/**
 * Range requests a receiver keeps open at once: 2 × 4 chunks of 256 KiB = 2 MiB asked for and
 * not yet stored, the same bound as CHUNKS_IN_FLIGHT on what a kill -9 makes it fetch again;
 * a second range streams while the first one's last chunks are written.
 */
export const RANGES_IN_FLIGHT = 2
/**
 * Longest range a sender serves: a range is one request for the peer guard (FILE_PEER_LIMIT), so
 * the work one admitted request buys is capped at 16 chunks (4 MiB of 256 KiB chunks, 16 MiB of
 * the largest a pointer may announce); a longer one is refused as malformed.
 */
export const MAX_RANGE_CHUNKS = 16
/**
 * /wren/file requests one peer may send (peer-guard.ts). Sized for receivers that ask chunk by
 * chunk (before ranges; still served), CHUNKS_IN_FLIGHT chunks of 256 KiB at a time, so their
 * rate follows the link (a receiver with ranges sends a quarter as many, each range one request
 * capped by MAX_RANGE_CHUNKS): bench:files measured 61 MiB/s (~245
 * requests/s) between two daemons on loopback at load 7, and a gigabit LAN is ~500/s. 800/s is
 * 200 MiB/s. A flood of requests for files that are not there for the peer costs it a strike each
 * (serve.ts), so it is refused long before this rate matters.
 */
export const FILE_PEER_LIMIT = { burst: 800, ratePerSecond: 800 } as const
/** Hashes per manifest request: 8192 × 32 B = 256 KiB, one chunk's worth of bytes. */
export const MANIFEST_HASHES_PER_REQUEST = 8192
/** Largest request frame, in bytes: version, a 16-byte file id, kind, index and count fit in ~40. */
export const MAX_FILE_REQUEST_BYTES = 64
/** Protobuf framing of a response around its data: status, tag and a length of ≤ 5 bytes. */
const RESPONSE_FRAMING_BYTES = 16
/** AES-GCM tag on every chunk. */
export const CHUNK_TAG_BYTES = 16
/** Largest response data: a sealed chunk of the largest size a pointer may announce. */
export const MAX_FILE_RESPONSE_DATA_BYTES = Math.max(
  MAX_FILE_CHUNK_BYTES + CHUNK_TAG_BYTES,
  MANIFEST_HASHES_PER_REQUEST * FILE_HASH_BYTES,
)
/** Largest response frame, in bytes (checked from the length prefix before it is read). */
export const MAX_FILE_RESPONSE_BYTES = MAX_FILE_RESPONSE_DATA_BYTES + RESPONSE_FRAMING_BYTES + KIB

/**
 * Receiver's read buffer on a range stream: a whole range of the largest chunks may arrive before
 * the first is read (libp2p's yamux acknowledges data as it arrives, not as it is read); more than
 * the range asked for is a faulty sender, and the stream is reset.
 */
export const MAX_RANGE_BUFFER_BYTES = RANGE_CHUNKS * MAX_FILE_RESPONSE_BYTES + KIB

/**
 * One request/response exchange, and on a range stream each frame: a 1 MiB chunk over a
 * 1 Mbit/s link takes ~8 s.
 */
export const FILE_REQUEST_TIMEOUT_MS = 30 * SECOND_MS
/** A chunk that fails its hash is asked for again this many times in one run, then the run ends. */
export const MAX_CHUNK_REFETCHES = 3
/** First wait before a failed download run is tried again (the sender may be restarting). */
export const DOWNLOAD_RETRY_BASE_MS = SECOND_MS
/** Longest wait between download runs (a connection from the sender also starts one at once). */
export const DOWNLOAD_RETRY_MAX_MS = 30 * SECOND_MS
/** Progress events at most this often per transfer: a UI needs a few per second, not one per chunk. */
export const PROGRESS_EVENT_INTERVAL_MS = 250
/**
 * Largest received file fetched without being asked, in bytes, until the user sets a limit
 * (auto-download.ts): a contact cannot fill the disk by sending files; a bigger one waits as
 * 'offered' until attachments.download (the offline
 * path's cap, MAX_OFFLINE_FILE_BYTES, is the same size).
 */
export const AUTO_DOWNLOAD_MAX_BYTES = 100 * 1024 * KIB
/**
 * Largest size limit a user may set for auto-download, in MiB (attachments.settings maxMb):
 * 1 TiB, far above any file a chat carries, and small enough that MiB × 2^20 stays an exact
 * integer in a double.
 */
export const MAX_AUTO_DOWNLOAD_MB = 1024 * 1024
/** Bytes read from the local file at once when sealing: exactly one chunk (never the whole file). */
export const SEAL_READ_BYTES = 256 * KIB

// ---- the offline path: sealed chunks on two relays (/wren/blob/1.0.0; wire limits in core/src/blob)

/** One blob exchange: a 256 KiB chunk over a 1 Mbit/s link takes ~2 s; a relay may be slow. */
export const BLOB_EXCHANGE_TIMEOUT_MS = 30 * SECOND_MS
/** Blob puts or gets kept open at once per relay: the same reasoning as CHUNKS_IN_FLIGHT. */
export const BLOBS_IN_FLIGHT = 4
/** A blob exchange that failed on the network is tried again this many times in one run. */
export const BLOB_ATTEMPTS = 3
/** First wait before a failed upload run is tried again (a relay may be restarting). */
export const UPLOAD_RETRY_BASE_MS = 2 * SECOND_MS
/** Longest wait between upload runs. */
export const UPLOAD_RETRY_MAX_MS = 60 * SECOND_MS
/**
 * A file sent while its recipient was directly connected, and not asked for over the direct path
 * within this time, goes to the relays as well: the direct path failed (the recipient left, or
 * no direct connection could carry it), and the sender may go offline next.
 */
export const OFFLINE_FALLBACK_MS = 30 * SECOND_MS

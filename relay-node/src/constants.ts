/**
 * Relay-side defaults: quotas, rate limits, sweeps and network limits. Each is overridable in the
 * relay config (relay-node/src/config.ts). Wire-level limits shared with clients live in
 * core/src/mailbox/constants.ts.
 */

const KIB = 1024
const MIB = 1024 * KIB
const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS
const HOUR_MS = 60 * MINUTE_MS

// ---- mailbox quotas

/** Envelopes one inbox may hold: weeks of busy chat for an offline device. */
export const DEFAULT_MAX_ENVELOPES_PER_INBOX = 5000
/** Bytes one inbox may hold: a few hundred full-size envelopes, bounded disk per inbox. */
export const DEFAULT_MAX_BYTES_PER_INBOX = 64 * MIB
/** One-time prekeys one inbox may hold: a device keeps ~100 and replenishes below a threshold. */
export const DEFAULT_MAX_PREKEYS_PER_INBOX = 200
/** Inboxes one relay holds: bounds disk (× per-inbox quota) and the startup scan. */
export const DEFAULT_MAX_INBOXES = 100_000

// ---- blob quotas (the offline path of files, /wren/blob/1.0.0; wire limits in core/src/blob)

const GIB = 1024 * MIB
/**
 * Blob bytes one sender (a device PeerId) may hold on a relay: two files at the offline path's
 * 100 MiB cap waiting at once, with a quarter to spare for a third being uploaded.
 */
export const DEFAULT_MAX_BLOB_BYTES_PER_SENDER = 256 * MIB
/** Blobs one sender may hold: the chunks (256 KiB) and manifests of those bytes. */
export const DEFAULT_MAX_BLOBS_PER_SENDER = 1100
/** Blob bytes one relay holds in all: bounds a volunteer's disk (32 senders at their quota). */
export const DEFAULT_MAX_BLOB_STORE_BYTES = 8 * GIB
/** Interval between blob TTL sweeps, in ms: expiry need not be exact to the minute. */
export const DEFAULT_BLOB_SWEEP_INTERVAL_MS = 10 * MINUTE_MS
/** Concurrent inbound blob streams per connection: a client keeps 4 chunks in flight. */
export const BLOB_MAX_INBOUND_STREAMS = 16
/** Time allowed for one blob exchange, in ms: a 256 KiB chunk over a 1 Mbit/s link takes ~2 s. */
export const BLOB_REQUEST_TIMEOUT_MS = 30 * SECOND_MS

// ---- rate limits (token buckets per remote PeerId)

/** Deposits a peer may burst: a sender catching up on a queue of messages. */
export const DEFAULT_DEPOSIT_BURST = 200
/** Sustained deposits per second per peer: far above human chat, low enough to stop a flood. */
export const DEFAULT_DEPOSIT_RATE_PER_SECOND = 20
/** Prekey claims a peer may burst: starting sessions with a few dozen new contacts at once. */
export const DEFAULT_CLAIM_BURST = 50
/** Sustained prekey claims per second per peer: stops one peer draining every pool. */
export const DEFAULT_CLAIM_RATE_PER_SECOND = 2
/**
 * One-time prekeys one inbox hands out in a burst, whoever asks: as many new contacts as a person
 * starts sessions with at once. Mirrors the device's own limit (node/src/messaging/claim-limiter.ts:
 * 20 in all, then 1 per 30 s), so many peers together cannot drain a pool the per-peer limit
 * protects only from each of them alone. Over it a claimer gets none and PQXDH uses the signed and
 * last-resort prekeys.
 */
export const DEFAULT_INBOX_CLAIM_BURST = 20
/** Sustained one-time prekeys per second one inbox hands out (1 per 30 s). */
export const DEFAULT_INBOX_CLAIM_RATE_PER_SECOND = 1 / 30
/** Challenges/registrations/fetches a peer may burst (all owner operations share one bucket). */
export const DEFAULT_OWNER_BURST = 100
/** Sustained owner operations per second per peer. */
export const DEFAULT_OWNER_RATE_PER_SECOND = 20
/** Peers tracked per rate limiter: bounds memory; the least recently seen are forgotten first. */
export const MAX_RATE_LIMITED_PEERS = 10_000

// ---- challenges

/** Outstanding challenges per remote peer: a client needs one or two at a time. */
export const MAX_CHALLENGES_PER_PEER = 16
/** Outstanding challenges per relay: bounds memory under a challenge flood. */
export const MAX_PENDING_CHALLENGES = 50_000

// ---- service

/** Interval between TTL sweeps, in ms: expiry need not be exact to the minute. */
export const DEFAULT_SWEEP_INTERVAL_MS = 10 * MINUTE_MS
/** Concurrent inbound mailbox streams per connection: a client pipelines a few requests. */
export const MAILBOX_MAX_INBOUND_STREAMS = 16
/** Concurrent outbound mailbox streams per connection (clients). */
export const MAILBOX_MAX_OUTBOUND_STREAMS = 16

// ---- circuit relay v2 server (sized for messaging, not bulk transfer)

/** Reservations a relay holds at once: each is a device waiting for incoming connections. */
export const DEFAULT_MAX_RESERVATIONS = 1024
/** Reservation lifetime, in ms: clients refresh before expiry. */
export const DEFAULT_RESERVATION_TTL_MS = 1 * HOUR_MS
/** Relayed connection duration limit, in ms: long enough to exchange messages and set up WebRTC. */
export const DEFAULT_RELAY_DURATION_LIMIT_MS = 2 * MINUTE_MS
/** Relayed connection data limit, in bytes (each direction): messages, not files. */
export const DEFAULT_RELAY_DATA_LIMIT_BYTES = 128 * KIB

// ---- network and process

/** Default TCP listen port. */
export const DEFAULT_TCP_PORT = 4101
/** Default WebSocket listen port. */
export const DEFAULT_WS_PORT = 4102
/** Default Prometheus port (bound to 127.0.0.1 only). */
export const DEFAULT_METRICS_PORT = 9464
/** DHT protocol id shared by every Wren node (a private DHT, not the public IPFS one). */
export const WREN_DHT_PROTOCOL = '/wren/kad/1.0.0'
/** The LAN DHT beside it (the user node's WREN_LAN_KAD_PROTOCOL): private addresses only. */
export const WREN_LAN_DHT_PROTOCOL = '/wren/lan/kad/1.0.0'
/** Time allowed for announcing the mailbox provider record, in ms (best effort). */
export const PROVIDE_TIMEOUT_MS = 30 * SECOND_MS
/** Time allowed for a graceful shutdown before the process exits anyway, in ms. */
export const SHUTDOWN_TIMEOUT_MS = 15 * SECOND_MS
/** File name of the relay's libp2p private key inside its data dir (mode 0600). */
export const IDENTITY_KEY_FILE = 'identity.key'
/** Folder name of the LevelDB mailbox store inside the data dir. */
export const MAILBOX_DB_DIR = 'mailbox-db'
/** Folder of the blob store inside the data dir (one file per blob; not inside the mailbox store). */
export const BLOB_DIR = 'blobs'

// ---- files at rest (mailbox envelopes, prekeys and the identity key are nobody else's business)

/** Process umask of wren-relay: LevelDB creates its files with the open mode 0666 minus this. */
export const RELAY_UMASK = 0o077
/** Mode of every folder under the data dir (and of the data dir itself). */
export const DATA_DIR_MODE = 0o700
/** Mode of every file under the data dir. */
export const DATA_FILE_MODE = 0o600

// ---- TURN (coturn beside the relay, issue 15): credentials over /wren/turn/1.0.0

/** The coturn program (Debian's coturn package); a config may name another path. */
export const DEFAULT_TURN_BINARY = 'turnserver'
/** TURN's standard port (RFC 8656 §3.1), UDP and TCP. */
export const DEFAULT_TURN_PORT = 3478
/** Relayed ports coturn allocates from (its own default range, IANA's dynamic ports). */
export const DEFAULT_TURN_MIN_PORT = 49_152
export const DEFAULT_TURN_MAX_PORT = 65_535
/** The realm coturn puts in its challenges (any fixed string; peers never type it). */
export const DEFAULT_TURN_REALM = 'wren'
/** Allocations per username (= per peer per credential): one call needs one, a re-dial another. */
export const DEFAULT_TURN_USER_QUOTA = 4
/** Allocations in all: a relay operator's bound on concurrent relayed calls. */
export const DEFAULT_TURN_TOTAL_QUOTA = 200
/** Bytes per second per allocation: Opus voice uses ~4–8 KB/s; 64 KB/s leaves headroom, not video. */
export const DEFAULT_TURN_MAX_BPS = 64 * KIB
/** Credentials per peer: a burst for a few calls, then one a minute (a daemon caches them). */
export const DEFAULT_TURN_CREDENTIAL_BURST = 5
export const DEFAULT_TURN_CREDENTIAL_RATE_PER_SECOND = 1 / 60
/** Concurrent /wren/turn streams: each is one tiny request. */
export const TURN_MAX_INBOUND_STREAMS = 16
/** Bound on one credential exchange. */
export const TURN_REQUEST_TIMEOUT_MS = 10 * SECOND_MS
/** Bound on coturn starting to listen, and on it exiting after SIGTERM (then SIGKILL). */
export const COTURN_START_TIMEOUT_MS = 10 * SECOND_MS
export const COTURN_STOP_TIMEOUT_MS = 5 * SECOND_MS
/** How often the start-up probe tries coturn's TCP port. */
export const COTURN_PROBE_INTERVAL_MS = 100
/** coturn's files (config, secret, pid, user db) live under <dataDir>/turn. */
export const TURN_DIR = 'turn'
/** The static-auth-secret, hex, 0600: whoever reads it can mint credentials. */
export const TURN_SECRET_FILE = 'turn-secret'
/** Bytes of the static-auth-secret: 256 bits. */
export const TURN_SECRET_BYTES = 32
/** coturn output lines kept to explain a failed start. */
export const COTURN_LOG_TAIL_LINES = 20

// ---- the peer guard (peer-guard.ts): floods are disconnected and refused, not only throttled

/**
 * Strikes a peer may collect before the relay disconnects and refuses it: a request its limiter
 * refused costs RELAY_THROTTLED_STRIKE, a malformed or oversized frame RELAY_MALFORMED_STRIKE. A
 * real user that brushes a limit (refused once, then backs off for retryAfterMs) stays far below.
 */
export const RELAY_STRIKE_LIMIT = { burst: 100, ratePerSecond: 2 } as const
/** Strikes for one request over a limit. */
export const RELAY_THROTTLED_STRIKE = 1
/** Strikes for one malformed, truncated or oversized frame: ten of them and the peer is out. */
export const RELAY_MALFORMED_STRIKE = 10
/** How long a disconnected peer stays refused: a flood stops paying, a buggy client is back soon. */
export const RELAY_DENY_DURATION_MS = 10 * MINUTE_MS
/** Refused peers remembered at most (memory bound under a crowd of identities). */
export const RELAY_MAX_DENIED_PEERS = 10_000
/**
 * Blob requests per peer (/wren/blob has quotas but no rate of its own): a file on the offline
 * path (≤ 100 MiB) is at most 400 chunk puts to each relay, or as many gets: the burst holds a
 * whole file, and 50/s more let the next one follow within seconds, while a flood of hundreds per
 * second runs out of strikes.
 */
export const BLOB_PEER_LIMIT = { burst: 500, ratePerSecond: 50 } as const

/**
 * Protocol ids, DHT namespaces and named limits of the libp2p layer. Every number has a unit
 * and a reason; nothing in node/src/p2p uses a bare number in its logic.
 */

import { MAX_BUNDLE_BYTES } from '../../../core/src/constants.ts'

const SECOND_MS = 1000
const MINUTE_MS = 60 * SECOND_MS
const HOUR_MS = 60 * MINUTE_MS
const KIB = 1024

// ---- protocol ids (`/wren/<name>/<semver>`)

/** Private Kademlia protocol: keeps Wren nodes out of the public IPFS Amino DHT and vice versa. */
export const WREN_KAD_PROTOCOL = '/wren/kad/1.0.0'
/**
 * The LAN DHT beside it (IPFS's pattern): a separate protocol id so that a routing table of
 * private and loopback addresses never mixes with the public one.
 */
export const WREN_LAN_KAD_PROTOCOL = '/wren/lan/kad/1.0.0'
/** Direct delivery of sealed envelopes to a device (handler written by the messaging layer). */
export const WREN_MSG_PROTOCOL = '/wren/msg/1.0.0'
/** One-time prekey fetch from an online device (handler written by the messaging layer). */
export const WREN_PREKEY_PROTOCOL = '/wren/prekey/1.0.0'

// ---- DHT records

/** DHT namespace of prekey bundles; kad-dht routes a key to its validator by the text between the first two '/'. */
export const BUNDLE_NAMESPACE = 'wren-bundle'
/** Key prefix of bundle records: the full key is this prefix followed by the 16 raw user-id bytes. */
export const BUNDLE_KEY_PREFIX = `/${BUNDLE_NAMESPACE}/`
/** User id length in bytes (core's USER_ID_BYTES): keys of any other length are refused. */
export const BUNDLE_USER_ID_BYTES = 16
/** Largest bundle record value in bytes: the same cap as core's decoder, checked before any parsing. */
export const MAX_BUNDLE_RECORD_BYTES = MAX_BUNDLE_BYTES
/** kad-dht stores records but never re-puts them, and servers drop them after 48 h: re-put every 6 h. */
export const REPUBLISH_INTERVAL_MS = 6 * HOUR_MS
/** After a failed or peerless publish, try again this soon: the node may just have no DHT peers yet. */
export const REPUBLISH_RETRY_MS = 30 * SECOND_MS
/**
 * Longest wait between retries of a DHT that keeps failing (doubling from the first retry): a
 * device with no WAN DHT peers, or among peers that refuse the record, tries again every 5 min,
 * and sooner when a new connection comes while it waits.
 */
export const REPUBLISH_RETRY_MAX_MS = 5 * 60 * SECOND_MS
/** Bound on one DHT put: without a signal kad-dht queries run for 180 s. */
export const DHT_PUT_TIMEOUT_MS = 30 * SECOND_MS
/** Bound on one DHT get: long enough for a few hops on a slow network, short enough for a UI. */
export const DHT_GET_TIMEOUT_MS = 15 * SECOND_MS
/**
 * Valid bundle records a lookup waits for before it picks the newest and ends the query. Waiting
 * for the whole query (every one of the k closest peers, then correction puts) made lookups
 * several times slower; a publisher re-puts to all k closest on every change, so three answers
 * nearly always include the newest, and an older one is still usable (its signed prekey stays
 * valid through the grace period, and retired mailboxes are still drained by their owner).
 */
export const BUNDLE_LOOKUP_QUORUM = 3

// ---- request/response

/**
 * libp2p 3 aborts a stream whose unread bytes pass 4 MiB (4_194_304 B): `lpStream` keeps a whole
 * framed message in its byte buffer until it is complete (@libp2p/utils `byteStream`,
 * DEFAULT_MAX_BUFFER_SIZE), and yamux caps each stream's read buffer the same way
 * (`streamOptions.maxReadBufferLength`). A framed request or response, length prefix included,
 * must stay below this or it is dropped however large a `maxDataLength` the reader allows.
 */
export const STREAM_READ_BUFFER_BYTES = 4 * 1024 * KIB

/** Default bound on one request/response exchange (dial, negotiate, write, read). */
export const REQUEST_TIMEOUT_MS = 10 * SECOND_MS
/** Default cap on one framed request in bytes: a padded envelope (256 KiB) plus framing headroom. */
export const MAX_REQUEST_BYTES = 320 * KIB
/** Default cap on one framed response in bytes: acks and prekeys are small. */
export const MAX_RESPONSE_BYTES = 64 * KIB

// ---- dialing

/** Bound on one bootstrap dial: a bootstrap peer that is down must not hold the node's start. */
export const BOOTSTRAP_DIAL_TIMEOUT_MS = 15 * SECOND_MS
/** After losing every connection, wait this long before dialling the bootstrap list again. */
export const BOOTSTRAP_REDIAL_MS = 30 * SECOND_MS

/**
 * Bound on a background dial that tries to replace a relayed connection by a direct one through
 * the peer's public addresses: several addresses in turn take a while, and nothing waits for it.
 */
export const UPGRADE_DIAL_TIMEOUT_MS = 15 * SECOND_MS
/**
 * A peer's relayed connection is offered an upgrade at most this often: often enough that a
 * peer whose public address appears later is soon tried, rarely enough that an address that
 * cannot work costs little.
 */
export const UPGRADE_RETRY_MS = 15 * SECOND_MS

/**
 * How often libp2p's connection monitor pings each open connection (a new stream, multistream
 * negotiation and 32 bytes each way; a connection whose ping fails is closed). libp2p's default,
 * 10 s. 60 s was tried for idle CPU (with 20 peers, 4 streams a second) and broke the relay's
 * new-mail notification: the second notification to an owner never reached it within 10 s
 * (node/test/mailbox-notify.test.ts fails at 60 s and passes at 10 s). The cause is not found
 * yet: something on the connection waits for other traffic to cross it. Keep 10 s until it is.
 */
export const CONNECTION_PING_INTERVAL_MS = 10 * SECOND_MS

/** Default bound on dialling one device. */
export const DIAL_TIMEOUT_MS = 10 * SECOND_MS

// ---- per-peer limits on served protocols (peer-guard.ts)

/**
 * Requests per peer on a protocol that declares no limit of its own: a handful per second is
 * what any request/response exchange between two people's devices needs.
 */
export const DEFAULT_PEER_LIMIT = { burst: 100, ratePerSecond: 20 } as const
/**
 * Strikes a peer may collect before it is disconnected and refused: a request over its limit
 * costs THROTTLED_STRIKE, a malformed or oversized frame MALFORMED_STRIKE. A real contact that
 * brushes its limit (one refused request, then its sender backs off) stays far below.
 */
export const PEER_STRIKE_LIMIT = { burst: 100, ratePerSecond: 2 } as const
/** Strikes for one request over the peer's limit on a protocol. */
export const THROTTLED_STRIKE = 1
/**
 * Strikes for one request for something that is not there for the peer (a file never sent to it):
 * a real receiver asks for at most its requests in flight after a cancel; a flood of made-up
 * file ids runs out of strikes within a second, whatever the protocol's rate.
 */
export const UNWANTED_STRIKE = 1
/** Strikes for one malformed, truncated or oversized frame: ten of them and the peer is out. */
export const MALFORMED_STRIKE = 10
/**
 * How long a peer over its limits stays disconnected and refused, in ms: long enough that a
 * flood stops costing anything, short enough that a contact whose buggy client tripped it is
 * back within minutes.
 */
export const DENY_DURATION_MS = 10 * MINUTE_MS
/** Refused peers remembered at most (memory bound under a crowd of identities). */
export const MAX_DENIED_PEERS = 10_000
/** Label of gossipsub (group topics) in the peer guard's counters. */
export const GOSSIP_LIMIT_LABEL = 'gossip'
/**
 * Topic messages per peer (the peer that forwarded them to us): a mesh neighbour forwards every
 * member's posts, receipts and retries of a busy group; 500 at once and 100/s sustained is
 * several busy groups' worth.
 */
export const GOSSIP_PEER_LIMIT = { burst: 500, ratePerSecond: 100 } as const

/** Timing and size limits of the messaging layer, with their reasons. */

/** First retry of an undelivered message: quick, since most failures are a peer just going away. */
export const RETRY_BASE_MS = 1_000
/** Backoff ceiling: a returning peer is also noticed on connect, so long waits are not needed. */
export const RETRY_MAX_MS = 60_000
/** A /wren/msg exchange (dial + batch + persist on the far side) must finish within this. */
export const DELIVERY_TIMEOUT_MS = 10_000
/**
 * /wren/msg requests one peer may send (peer-guard.ts): a contact's outbox sends one batch at a
 * time, so its rate is bounded by the round trip and batching; 4,000 messages with 64 sends in
 * flight (npm run bench:node -- --only pair) peaked at 60–70 requests/s from the sender here; a
 * backlog after a restart goes out in fewer, larger batches. A flood of thousands/s does not fit.
 */
export const MSG_PEER_LIMIT = { burst: 200, ratePerSecond: 100 } as const
/**
 * /wren/prekey requests one peer may send: one per session it starts with us (and a few retries);
 * the one-time prekeys it may claim are limited further (claim-limiter.ts).
 */
export const PREKEY_PEER_LIMIT = { burst: 20, ratePerSecond: 1 } as const
/** Asking a connected peer for its bundle and a one-time prekey: short, there is a fallback. */
export const PREKEY_CLAIM_TIMEOUT_MS = 3_000
/**
 * Dialling a contact's device before asking it: libp2p tries one address at a time (up to 6 s
 * each), and from another network the first may be the contact's home LAN address, which leads
 * nowhere, before the relayed one.
 */
export const DEVICE_DIAL_TIMEOUT_MS = 15_000
/** A DHT lookup of a contact's bundle. */
export const BUNDLE_LOOKUP_TIMEOUT_MS = 10_000
/** Session resets in a row for one peer before falling back to normal backoff (no reset storms). */
export const MAX_SESSION_RESETS = 3
/**
 * Dials to known contacts in flight at once at start (announces we are back): a few in parallel
 * reach the online ones quickly without opening hundreds of sockets for a large contact list.
 */
export const CONTACT_DIAL_CONCURRENCY = 4
/** One announce dial: an online contact answers well within this; an offline one is given up. */
export const CONTACT_DIAL_TIMEOUT_MS = 5_000
/**
 * Direct attempt before falling back to mailboxes: "unreachable within a short timeout" (issue 4).
 * An offline device fails fast (no route, or the relay has no reservation for it); this bounds a
 * live but slow path, such as a relayed exchange on a loaded machine (~2 s measured at load 12),
 * which should still go direct rather than wait for the recipient's next mailbox fetch.
 */
export const DIRECT_ATTEMPT_TIMEOUT_MS = 5_000
/** A contact's bundle (mailboxes, device) is re-read from the DHT when older than this. */
export const BUNDLE_REFRESH_MS = 10 * 60_000

/**
 * Actions (reaction, edit, delete, pin) held for messages that have not arrived, in one profile:
 * the pairwise path delivers in order, so this only catches reordering across mailboxes and lost
 * originals; a few hundred bound the records (each ≤ MAX_HELD_PER_MESSAGE actions) and the scan
 * that prunes them. Over the cap the newest action is dropped (logged).
 */
export const MAX_HELD_ACTIONS = 256
/** Actions held for one message: a person does not react or edit more than this before it lands. */
export const MAX_HELD_PER_MESSAGE = 16
/** A held action is dropped after this: the relays' mailbox TTL (14 days), after which the original cannot come. */
export const HELD_ACTION_TTL_MS = 14 * 24 * 60 * 60 * 1000
/** Expired held actions are swept this often (with the disappearing-message sweep): an hour is fine against a 14-day TTL. */
export const HELD_SWEEP_INTERVAL_MS = 60 * 60 * 1000

/**
 * Ephemeral rooms on the node side (node/src/room): the process that runs `wren room`. Numbers
 * with units and reasons; the protocol's own constants are in core/src/room/constants.ts.
 */

/** The room stream: frames of core/src/room/frame.ts, length-prefixed. Runs on relayed connections. */
export const WREN_ROOM_PROTOCOL = '/wren/room/1.0.0'

/**
 * Argon2id memory for the code's slow hash, in KiB (64 MiB, the keystore's figure): the
 * rendezvous key is public in the DHT, so each guess at a code must cost an attacker this much.
 */
export const ROOM_HASH_MEMORY_KIB = 64 * 1024
/**
 * Argon2id passes: 12 with 64 MiB and one lane (twice the keystore's 6 passes, which measured
 * 0.25 s) took 0.73–1.0 s per derivation on the shared 2-core development machine at load 9.8
 * (Node 24.21, `crypto.argon2`) — paid once per join; each offline guess at a code costs the same.
 */
export const ROOM_HASH_PASSES = 12
/** One lane: the cost does not drop on machines with more cores. */
export const ROOM_HASH_PARALLELISM = 1
/**
 * The salt is fixed (both sides know only the code): a domain label. Per-code precomputation is
 * the price of a rendezvous with no other shared input; the code's entropy and the cost above
 * are what protect it.
 */
export const ROOM_HASH_SALT = 'wren/room/rendezvous/v1'

/** An unused code expires after this long: the room stops searching and ends (10 minutes). */
export const ROOM_CODE_EXPIRY_MS = 10 * 60_000
/** Between two rounds of provide + find providers while searching (2 s: a join feels prompt). */
export const RENDEZVOUS_RETRY_MS = 2_000
/** Bound on one DHT provide or find-providers round (kad queries otherwise wait 180 s). */
export const RENDEZVOUS_QUERY_TIMEOUT_MS = 10_000
/** Bound on waiting for a relay reservation before providing (our circuit address goes in the record). */
export const RELAY_RESERVATION_WAIT_MS = 10_000
/** Bound on dialling one provider and opening the room stream. */
export const ROOM_DIAL_TIMEOUT_MS = 10_000
/** Bound on found → connected: the handshake is three frames, anything slower is a fault. */
export const KEY_SETUP_TIMEOUT_MS = 30_000

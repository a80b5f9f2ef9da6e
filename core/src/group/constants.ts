/**
 * Group membership model: versions, codes and limits. Every number has a unit and a reason.
 * The convergence rule that uses GROUP_OP_PRIORITY is documented in core/src/group/order.ts
 * and docs/groups.md.
 */

const KIB = 1024

// ---- versions

/** Wire version of a signed group operation; any other version is rejected. */
export const GROUP_OP_VERSION = 1
/** Disk format version of an encoded group log (versioned apart from the op wire format). */
export const GROUP_LOG_VERSION = 1

// ---- sizes

/** Group id length in bytes: 128 random bits, collision-safe for any number of groups. */
export const GROUP_ID_BYTES = 16
/** Operation id length in bytes: SHA-256 of the canonical signing bytes. */
export const GROUP_OP_ID_BYTES = 32
/** Topic secret length in bytes: a 256-bit random value known only to members. */
export const GROUP_TOPIC_SECRET_BYTES = 32

// ---- roles (uint32 codes on the wire; 0 is the proto default and never valid)

export const ROLE_OWNER = 1
export const ROLE_ADMIN = 2
export const ROLE_MEMBER = 3
export type GroupRole = typeof ROLE_OWNER | typeof ROLE_ADMIN | typeof ROLE_MEMBER

// ---- operation kinds (uint32 codes on the wire)

export const GROUP_OP_CREATE = 1
export const GROUP_OP_INVITE = 2
export const GROUP_OP_ACCEPT = 3
export const GROUP_OP_DECLINE = 4
export const GROUP_OP_LEAVE = 5
export const GROUP_OP_REMOVE = 6
export const GROUP_OP_RENAME = 7
export const GROUP_OP_SET_ROLE = 8
export const GROUP_OP_TRANSFER_OWNERSHIP = 9
export type GroupOpKind =
  | typeof GROUP_OP_CREATE
  | typeof GROUP_OP_INVITE
  | typeof GROUP_OP_ACCEPT
  | typeof GROUP_OP_DECLINE
  | typeof GROUP_OP_LEAVE
  | typeof GROUP_OP_REMOVE
  | typeof GROUP_OP_RENAME
  | typeof GROUP_OP_SET_ROLE
  | typeof GROUP_OP_TRANSFER_OWNERSHIP

/** Human-readable kind names (logs, errors, RPC). */
export const GROUP_OP_KIND_NAMES: Readonly<Record<GroupOpKind, string>> = Object.freeze({
  [GROUP_OP_CREATE]: 'create',
  [GROUP_OP_INVITE]: 'invite',
  [GROUP_OP_ACCEPT]: 'accept',
  [GROUP_OP_DECLINE]: 'decline',
  [GROUP_OP_LEAVE]: 'leave',
  [GROUP_OP_REMOVE]: 'remove',
  [GROUP_OP_RENAME]: 'rename',
  [GROUP_OP_SET_ROLE]: 'setRole',
  [GROUP_OP_TRANSFER_OWNERSHIP]: 'transferOwnership',
})

/**
 * Order among concurrent operations, lowest first (see order.ts): operations that take power
 * away (remove, leave, demotion, hand-over) go before operations that use power, so a removed
 * or demoted admin's concurrent actions are judged on the state after the removal.
 */
export const GROUP_OP_PRIORITY: Readonly<Record<GroupOpKind, number>> = Object.freeze({
  [GROUP_OP_REMOVE]: 0,
  [GROUP_OP_LEAVE]: 1,
  [GROUP_OP_SET_ROLE]: 2,
  [GROUP_OP_TRANSFER_OWNERSHIP]: 3,
  [GROUP_OP_DECLINE]: 4,
  [GROUP_OP_INVITE]: 5,
  [GROUP_OP_ACCEPT]: 6,
  [GROUP_OP_RENAME]: 7,
  [GROUP_OP_CREATE]: 8,
})

// ---- limits

/** Longest group name in characters (UTF-16 units): a label shown in a list, not a document. */
export const MAX_GROUP_NAME_CHARS = 128
/**
 * Parents per operation: an op cites the heads its author saw; heads collapse with every op, so
 * more than a handful means a burst of concurrent ops. Extra heads are cited by the next op.
 */
export const MAX_GROUP_OP_PARENTS = 16
/**
 * Members plus pending invitations per group: each removal makes every remaining member send
 * a fresh sender key pairwise to all others, so rotation cost grows with the square of this.
 */
export const MAX_GROUP_MEMBERS = 1000
/**
 * Encoded operation cap in bytes: 16 parents (544 B), two keys with successions (~260 B),
 * a 128-character name (≤ 515 B), ids, signature and tags stay well under it.
 */
export const MAX_GROUP_OP_BYTES = 2 * KIB
/**
 * Operations kept in one group log: several years of membership churn for a large group
 * (each member costs ~2 ops to join). A full log refuses new ops (compaction is future work).
 */
export const MAX_GROUP_LOG_OPS = 8192
/**
 * Verified operations held while their parents are missing (they arrived out of order): enough
 * for a long catch-up burst, bounded so a peer cannot fill memory with orphans.
 */
export const MAX_PENDING_GROUP_OPS = 256
/** Bytes of protobuf framing per op inside an encoded log (tag + varint length), upper bound. */
const LOG_ENTRY_OVERHEAD_BYTES = 8
/** Encoded log cap in bytes: every op and pending op at its cap, plus framing. */
export const MAX_GROUP_LOG_BYTES =
  (MAX_GROUP_LOG_OPS + MAX_PENDING_GROUP_OPS) * (MAX_GROUP_OP_BYTES + LOG_ENTRY_OVERHEAD_BYTES) + KIB

// ---- labels (domain separation)

export const GROUP_OP_LABEL = 'wren/group-op/v1'
export const GROUP_STATE_LABEL = 'wren/group-state/v1'
export const GROUP_TOPIC_LABEL = 'wren/group-topic/v1'

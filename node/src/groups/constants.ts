/**
 * Group layer constants: app kinds on the pairwise sessions, wire versions, limits and timings.
 * Every number has a unit and a reason.
 */

const KIB = 1024

// ---- app kinds (CONTENT_KIND_APP payloads routed by Messenger.registerApp; 100+ are groups)

/** Signed group ops (+ member cards); the whole log when sent to an invitee. */
export const APP_GROUP_OPS = 100
/** A member's Sender Key distribution for the current epoch. */
export const APP_GROUP_SENDER_KEY = 101
/** A pairwise copy of a group message, for members gossip did not reach. */
export const APP_GROUP_MESSAGE = 102
/** Delivery / read receipts for group messages. */
export const APP_GROUP_RECEIPTS = 103

export const RECEIPT_DELIVERED = 1
export const RECEIPT_READ = 2

// ---- versions

/** Wire version of GroupWire (on the topic) and GroupContent (inside the Sender Key message). */
export const GROUP_WIRE_VERSION = 1

// ---- sizes and caps

/** Random nonce in every topic payload: 128 bits, so gossipsub ids (hash of data) never collide. */
export const GROUP_WIRE_NONCE_BYTES = 16
/** Group message id: 128 random bits, unique per sender. */
export const GROUP_MESSAGE_ID_BYTES = 16
/**
 * Group message text in UTF-8 bytes: the padded content (128 KiB bucket) plus the Sender Key and
 * wire framing must fit one pairwise app payload (192 KiB) for the offline-member copy. A file's
 * caption shares it with the encoded pointer (≤ 21 KiB), so the content stays in that bucket.
 */
export const MAX_GROUP_TEXT_BYTES = 120 * KIB
/** Encoded GroupWire cap: a padded 128 KiB content, AEAD tag, Sender Key header and signature. */
export const MAX_GROUP_WIRE_BYTES = 130 * KIB
/**
 * Members one message mentions: names picked one by one in a composer, not a roll call (a
 * mention of everyone would be its own flag); bounds the content by 50 × 18 B.
 */
export const MAX_GROUP_MENTIONS = 50
/**
 * An encoded action in a group content: the largest edit is a group text (MAX_GROUP_TEXT_BYTES,
 * not the 1:1 cap), plus ids, time and tags (under 1 KiB).
 */
export const MAX_GROUP_ACTION_BYTES = MAX_GROUP_TEXT_BYTES + KIB
/**
 * Encoded GroupContent cap (checked after unpadding): a text or an action, a reply's quote (200
 * characters, ≤ 800 B), the mentions (≤ 900 B) and headers; still under the 128 KiB pad bucket.
 */
export const MAX_GROUP_CONTENT_BYTES = MAX_GROUP_TEXT_BYTES + 4 * KIB
/** Pairwise payload cap, same as the messenger's MAX_APP_PAYLOAD_BYTES. */
export const MAX_GROUP_PAYLOAD_BYTES = 192 * KIB
/** Ops per GroupOpsPayload: a log is sent in chunks of this many (2 KiB each, under 192 KiB). */
export const MAX_OPS_PER_PAYLOAD = 80
/** Cards per GroupOpsPayload: one per member with room; a card string is at most 4 KiB. */
export const MAX_CARDS_PER_PAYLOAD = 1000
/** Cards travel only in the first chunk; together they must stay under the payload cap. */
export const MAX_CARDS_BYTES = 96 * KIB
/** Message ids per receipt payload: receipts are batched, bigger batches are split. */
export const MAX_RECEIPT_IDS_PER_PAYLOAD = 512
/** Invitations held while the user decides: bounds what strangers can make us store. */
export const MAX_PENDING_INVITES = 100
/**
 * Topic payloads kept while the sender's key has not arrived (gossip can beat the pairwise
 * distribution); oldest dropped first. Dropped ones come back through the pairwise copy.
 */
export const MAX_PENDING_WIRES = 512
/**
 * Our posts held for pending invitees, per group (join-catch-up.ts): a newcomer whose accept
 * reaches us after this many of our posts gets the newest ones. At most ~13 MiB of sealed
 * records per group with maximum-size texts; usually a few small ones for a few seconds.
 */
export const MAX_HELD_POSTS_PER_GROUP = 100
/**
 * Actions (edit, delete, reaction, pin) held because they overtook the message they target
 * (group-held-actions.ts): per message, and in all. A member can make us hold at most this many
 * sealed records; the 1:1 side has its own, separate caps (messaging/constants.ts).
 */
export const MAX_GROUP_HELD_PER_MESSAGE = 16
export const MAX_GROUP_HELD_ACTIONS = 256
/** A held action whose message never came is dropped after this long (14 days, like 1:1 ones). */
export const GROUP_HELD_ACTION_TTL_MS = 14 * 24 * 60 * 60 * 1000

// ---- timings

/**
 * A sender key rotates after this long even without a removal, to bound what a compromised
 * device's stolen chain key can read (Signal rotates on membership change only; we add a clock).
 */
export const SENDER_KEY_ROTATION_MS = 7 * 24 * 60 * 60 * 1000
/** ... or after this many messages on one chain, for the same reason. */
export const SENDER_KEY_ROTATION_MESSAGES = 10_000
/**
 * A member subscribed to the topic that has not acknowledged a message within this time gets
 * the pairwise copy (gossip lost it, or it went offline). Members not subscribed get it at once.
 */
export const GOSSIP_ACK_TIMEOUT_MS = 5_000
/**
 * A newcomer gets our held posts made at or after its accept op's timestamp minus this: the
 * timestamp is the newcomer's clock, and device clocks disagree by minutes; anything older is
 * history from before it joined, which a new member does not read.
 */
export const JOIN_CLOCK_SKEW_MS = 5 * 60 * 1000
/** Receipts to one member are batched for this long before one pairwise payload carries them. */
export const RECEIPT_BATCH_MS = 250
/** Bounded wait for topic subscribers after subscribing, before the first publish (mesh forming). */
export const SUBSCRIBER_WAIT_MS = 1_500
/** Poll interval of that wait. */
export const SUBSCRIBER_POLL_MS = 50

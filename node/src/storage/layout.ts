/**
 * The key layout of the profile database (the SealedStore of one profile): every key prefix and
 * fixed key, in one place. Keys are opaque (sealed-store.ts): ids of people, conversations and
 * groups appear only blinded, b(x) = a keyed HMAC prefix of x (Vault.blind), and numbers as
 * orderedCounter(n).
 *
 * 1:1 messaging (node/src/messaging):
 *   k/b(userId)                   ContactRecord
 *   s/b(userId)                   StoredSessions (current + previous encoded core SessionRecords)
 *   x/b(identityKeyHex)           IdentityIndex: remote identity key → user id of its session
 *   c/b(conversationId)           ConversationRecord
 *   m/b(conversationId)/seq       MessageRecord (direct and group messages alike)
 *   i/b(senderUserId)/msgIdHex    MessageRef (de-duplication and receipts by message id)
 *   o/b(peerUserId)/order         OutboxItem (per-peer FIFO)
 *   ha/b(authorUserId)/msgIdHex   HeldActions: actions on a message not received yet (held-actions.ts)
 *   pk/order(id)                  one-time prekey secret (prekey-store.ts)
 *   meta/counter/<name>           counters (the outbox order)
 *   meta/prekey-next-id           next unused one-time prekey id
 *   meta/claimed-prekeys          (legacy, read once by the prekey migration, then deleted)
 *   meta/mailboxes                this device's relay mailboxes (mailboxes.ts)
 *   meta/group-message-index      marker: group messages older than the gm/ index are indexed
 * Calls (node/src/calls):
 *   cl/order                      CallLogRecord (one per ended call, in order; counter 'calls')
 * RPC and profile (node/src/app, node/src/profile):
 *   cid/b(conversationId\nclientId)  MessageRef of a messages.send with a client id (retries)
 *   identity/profile              IdentityRecord (display name, creation time)
 *   settings/network              NetworkSettingsRecord (saved bootstrap peers and relays)
 *   settings/conversation         ConversationSettings (presence/records.ts: typing on, presence shared)
 *   cp/b(conversationId)          ConversationPrefs (messaging/conversation-prefs.ts: muted, archived, marked unread)
 * Profile pictures (node/src/avatar, issue 17):
 *   identity/picture              PictureRecord: our own picture (or its removal)
 *   av/b(userId)                  PictureRecord: a contact's newest picture (or its removal)
 * Devices (node/src/devices, issue 18):
 *   devices/list                  OwnDeviceListRecord (this identity's signed device list, pushed version)
 * Files (node/src/files, records in files/records.ts; file ids are random, so they appear as hex):
 *   fa/fileIdHex                  AttachmentRecord (pointer, direction, peer, state)
 *   fx/messageIdHex               AttachmentIndex: message id → file id (attachments.get/save)
 *   fh/fileIdHex                  the manifest: SHA-256 of every ciphertext chunk, in order
 *   fb/fileIdHex                  the receiver's bitmap of chunks it holds (checked ones only)
 *   fc/fileIdHex/order(index)     one ciphertext chunk (sealed again by the store)
 * Groups (node/src/groups, record types in group-store.ts):
 *   g/ gk/ gr/ gd/ gp/ gi/ gs/ gj/ gm/ gh/   see GROUP_PREFIXES below
 */

/** Prefixes of record families; each ends in '/' so that no family's keys fall inside another's. */
export const PREFIXES = {
  contact: 'k/',
  session: 's/',
  identityIndex: 'x/',
  conversation: 'c/',
  message: 'm/',
  messageRef: 'i/',
  outbox: 'o/',
  heldActions: 'ha/',
  oneTimePrekey: 'pk/',
  counter: 'meta/counter/',
  clientId: 'cid/',
  callLog: 'cl/',
  conversationPrefs: 'cp/',
  /** av/b(userId): PictureRecord, a contact's newest profile picture (avatar/records.ts). */
  contactPicture: 'av/',
} as const

/** The group layer's prefixes (node/src/groups/group-store.ts builds their keys). */
export const GROUP_PREFIXES = {
  /** g/b(grp:groupIdHex): GroupRecord (status, encoded op log, member cards, conversation). */
  group: 'g/',
  /** gk/b(grp:groupIdHex): OwnSenderKey, our Sender Key for the current epoch. */
  ownSenderKey: 'gk/',
  /** gr/b(dist:distributionIdHex): PeerSenderKey, a member's Sender Key (receiver copy). */
  peerSenderKey: 'gr/',
  /** gd/b(msg:messageIdHex): DeliveryRecord, per-member state of one of our group messages. */
  delivery: 'gd/',
  /** gp/b(msg:messageIdHex): pending-fallback index (members that may still need the copy). */
  pending: 'gp/',
  /** gi/b(senderUserId)/messageIdHex: received group message ref (de-duplication). */
  received: 'gi/',
  /** gs/b(pos:dist:chain:iteration): received Sender Key position → message id. */
  position: 'gs/',
  /** gj/b(grp:groupIdHex)/messageIdHex: HeldPost, one of our posts held for pending invitees. */
  held: 'gj/',
  /**
   * gm/b(msg:messageIdHex)/b(authorUserId): GroupMessageRef, where a group message (ours or a
   * member's) is: actions, replies and forwards name a message by id only (group-message-index.ts).
   */
  messageIndex: 'gm/',
  /** gh/b(authorUserId)/messageIdHex: actions on a group message not received yet (group-held-actions.ts). */
  heldActions: 'gh/',
} as const

/** The files layer's prefixes (node/src/files/file-store.ts builds their keys). */
export const FILE_PREFIXES = {
  attachment: 'fa/',
  byMessage: 'fx/',
  manifest: 'fh/',
  bitmap: 'fb/',
  chunk: 'fc/',
} as const

/**
 * Folder beside the profile database that holds the ciphertext chunks of files (files/
 * file-store.ts): one folder per file, one file per chunk, as each chunk travels (sealed under
 * its file's key). Chunks in LevelDB cost a second seal, a log write and compactions that copied
 * every chunk several times (bench:files, docs/benchmarks.md).
 */
export const FILE_CHUNKS_DIR_SUFFIX = '-files'

/** The chunk folder of the database at `dbLocation` (removed with it when a profile is wiped). */
export function fileChunksDir(dbLocation: string): string {
  return `${dbLocation}${FILE_CHUNKS_DIR_SUFFIX}`
}

/** Single records at fixed keys. */
export const FIXED_KEYS = {
  prekeyNextId: 'meta/prekey-next-id',
  legacyClaimedPrekeys: 'meta/claimed-prekeys',
  mailboxes: 'meta/mailboxes',
  identity: 'identity/profile',
  networkSettings: 'settings/network',
  /** ConversationSettings (presence/records.ts): typing indicators on/off, presence shared/hidden. */
  conversationSettings: 'settings/conversation',
  deviceList: 'devices/list',
  /** PictureRecord (avatar/records.ts): our own profile picture, sent to every contact. */
  ownPicture: 'identity/picture',
  /** CallSettingsRecord (calls/records.ts): relay calls only. */
  callSettings: 'settings/calls',
  /** AutoDownloadRecord (files/records.ts): which received files are fetched unasked. */
  fileSettings: 'settings/files',
  /** Set once the group messages stored before the gm/ index existed were indexed (groups/group-message-index.ts). */
  groupMessageIndex: 'meta/group-message-index',
} as const

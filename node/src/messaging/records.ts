/**
 * The records 1:1 messaging keeps in the profile database (keys in storage/layout.ts), as zod
 * schemas checked on every read, each versioned in the stored value (storage/stored-record.ts).
 * These are the domain's shapes; the RPC API's shapes (rpc/api.ts) are mapped from them at the
 * RPC edge (rpc/messaging-view.ts), so the disk format and the API can change apart.
 *
 * Every record here is at version 1, the shape profiles have stored since messaging began
 * (values without a version read as version 1).
 */
import { z } from 'zod'
import { plainRecord, recordBytes, versionedRecord } from '../storage/stored-record.ts'

const bytes = recordBytes
const count = z.number().int().min(0)
const time = z.number()

const MailboxHintSchema = z.object({ relayPeerId: bytes, inboxId: bytes, addrs: z.array(bytes) })

export const ContactRecordSchema = z.object({
  userId: z.string(),
  displayName: z.string(),
  /** The pinned (trusted) identity key. */
  identityKey: bytes,
  verified: z.boolean(),
  /** A different identity key was seen and is waiting for contacts.acceptKeyChange. */
  keyChanged: z.boolean(),
  pendingIdentityKey: bytes.nullable(),
  addedAt: time,
  /** Reachability hints from the card or the latest bundle. */
  devicePeerId: bytes.nullable(),
  addrs: z.array(bytes),
  /** The contact's mailboxes from its latest bundle, and when that bundle was read. */
  mailboxes: z.array(MailboxHintSchema).optional(),
  bundleCheckedAt: time.optional(),
  /**
   * The contact's device list (issue 18, node/src/devices): the highest version seen is pinned and
   * a lower one is refused later (rollback). Optional: absent until a list was read.
   */
  deviceList: z
    .object({
      version: count,
      devices: z.array(z.object({ deviceKey: bytes, devicePeerId: bytes, createdAt: time })),
      revoked: z.array(bytes),
      checkedAt: time,
    })
    .optional(),
})
export type ContactRecord = z.output<typeof ContactRecordSchema>
export const CONTACT_RECORD = versionedRecord('contact', ContactRecordSchema)

/** A contact's sessions: core SessionRecords, encoded (core owns their own format version). */
export const StoredSessionsSchema = z.object({
  current: bytes,
  previous: z.array(bytes),
  /** Ed25519 device key of the contact's device. */
  deviceKey: bytes,
  devicePeerId: bytes,
})
export type StoredSessions = z.output<typeof StoredSessionsSchema>
export const STORED_SESSIONS = versionedRecord('sessions', StoredSessionsSchema)

/** Index from a remote identity key to the user id whose session uses it. */
export const IdentityIndexSchema = z.object({ userId: z.string() })
export type IdentityIndex = z.output<typeof IdentityIndexSchema>
export const IDENTITY_INDEX = versionedRecord('identity index', IdentityIndexSchema)

export const ConversationRecordSchema = z.object({
  id: z.string(),
  kind: z.literal('direct'),
  peerUserId: z.string(),
  lastSeq: count,
  lastReadSeq: count,
  /** Incoming messages after lastReadSeq. */
  unread: count,
  updatedAt: time,
  // ---- disappearing messages (issue 19; messaging/disappearing.ts). Optional: older records read as is.
  /** The timer in seconds new messages get (absent: off), and when it was set (the setter's clock). */
  timerSeconds: count.optional(),
  timerSetAt: time.optional(),
  /** The earliest expiresAt of a message here: the sweeper reads only conversations that are due. */
  nextExpiry: time.optional(),
  /** conversations.delete erased every message up to this seq (seqs are never reused after it). */
  clearedSeq: count.optional(),
})
export type ConversationRecord = z.output<typeof ConversationRecordSchema>
export const CONVERSATION_RECORD = versionedRecord('conversation', ConversationRecordSchema)

/** queued → sent (or stored in a mailbox) → delivered → read; failed. */
export const MESSAGE_STATUSES = ['queued', 'sent', 'stored', 'delivered', 'read', 'failed'] as const
export type MessageStatus = (typeof MESSAGE_STATUSES)[number]

/** Why a call ended (node/src/calls), as its history line in the conversation records it. */
export const CALL_END_REASONS = [
  'hangup',
  'declined',
  'busy',
  'timeout',
  'failed-ice',
  'failed-decrypt',
  'answered-elsewhere',
] as const
/** A call's line in a direct conversation (node/src/calls writes it with Messenger.appendEntry). */
export const CallEntrySchema = z.object({
  callId: z.string(),
  kind: z.enum(['outgoing', 'incoming', 'missed']),
  durationMs: count,
  endReason: z.enum(CALL_END_REASONS),
})
export type CallEntry = z.output<typeof CallEntrySchema>

/** A message of a conversation (direct or group: groups store theirs in the same layout). */
export const MessageRecordSchema = z.object({
  /** Message id, hex (unique per sender). */
  id: z.string(),
  conversationId: z.string(),
  /** Position in the conversation, increasing from 1. */
  seq: count,
  direction: z.enum(['in', 'out']),
  sender: z.string(),
  text: z.string(),
  sentAt: time,
  receivedAt: time.nullable(),
  status: z.enum(MESSAGE_STATUSES),
  /** Delivery/read receipts received (group messages count members). */
  receipts: count,
  /** Set on a call's history line (text is then its summary for clients that do not know calls). */
  call: CallEntrySchema.optional(),
  /** A file this message carries (node/src/files keeps the transfer; text is its caption). */
  attachment: z
    .object({ fileId: z.string(), name: z.string(), size: count, mediaType: z.string() })
    .optional(),
  // ---- conversation actions (issue 17; core/src/conversation). All optional: older records read as is.
  /** A reply: the answered message's id, its author and the quoted first line ('' once deleted). */
  replyTo: z.object({ messageId: z.string(), sender: z.string(), text: z.string() }).optional(),
  /** Forwarded from another conversation (messages.forward). */
  forwarded: z.literal(true).optional(),
  /** One reaction per person (user id), the latest one they sent. */
  reactions: z.array(z.object({ sender: z.string(), emoji: z.string(), at: time })).optional(),
  /** When the author last edited the text (the sender's clock), and the texts it replaced, oldest first. */
  editedAt: time.optional(),
  edits: z.array(z.object({ text: z.string(), replacedAt: time })).optional(),
  /** Deleted for everyone: text, edits, quote and attachment are erased; this tombstone stays. */
  deletedAt: time.optional(),
  /** Pinned in its conversation, by whom and when (the pinner's clock). */
  pinned: z.object({ by: z.string(), at: time }).optional(),
  /** Group texts: user ids of the members the text mentions (@name), as the sender resolved them. */
  mentions: z.array(z.string()).optional(),
  // ---- disappearing messages (issue 19). All optional.
  /** When the expiry sweeper deletes this message (ours: sent + timer; theirs: read + timer). */
  expiresAt: time.optional(),
  /** An incoming message of a timed conversation not read yet: its timer, started when read. */
  expiresAfterSeconds: count.optional(),
  /** This line records a change of the conversation's timer (text is its summary). */
  timerChange: z.object({ seconds: count }).optional(),
})
export type MessageRecord = z.output<typeof MessageRecordSchema>
export const MESSAGE_RECORD = versionedRecord('message', MessageRecordSchema)

/** Where a message is, by sender and message id (conversationId '' for app payloads: seen only). */
export const MessageRefSchema = z.object({ conversationId: z.string(), seq: count })
export type MessageRef = z.output<typeof MessageRefSchema>
export const MESSAGE_REF = versionedRecord('message ref', MessageRefSchema)

export const OutboxItemSchema = z.object({
  order: count,
  peerUserId: z.string(),
  /** Text messages show in history; receipts, app payloads and actions on messages do not. */
  kind: z.enum(['text', 'receipt', 'app', 'action']),
  /** Hex message id of the text message (for status updates); '' for receipts. */
  messageId: z.string(),
  conversationId: z.string(),
  /** Position of the text message in its conversation (saves an index read per status change). */
  seq: count.optional(),
  /** Encoded Content, encrypted when the item is first sent. */
  content: bytes,
  /** The sealed envelope once encrypted: retries resend these exact bytes. */
  envelope: bytes.nullable(),
  attempts: count,
  nextAttemptAt: time,
  createdAt: time,
  /** Copied to the queues of the contact's other devices (device-fanout.ts, issue 18). */
  fannedOut: z.boolean().optional(),
})
export type OutboxItem = z.output<typeof OutboxItemSchema>
export const OUTBOX_ITEM = versionedRecord('outbox item', OutboxItemSchema)

/**
 * Actions on a message that has not arrived (yet), held until it does (node/src/messaging
 * held-actions.ts): each one as it came, with its sender and when it was held.
 */
export const HeldActionsSchema = z.object({
  actions: z.array(z.object({ sender: z.string(), action: bytes, heldAt: time })),
})
export type HeldActions = z.output<typeof HeldActionsSchema>
export const HELD_ACTIONS = versionedRecord('held actions', HeldActionsSchema)

/** A counter (meta/counter/<name>): the last value used. */
export const COUNTER = plainRecord('counter', count)

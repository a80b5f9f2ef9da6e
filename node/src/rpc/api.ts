/**
 * The Wren daemon API, declared once. The server validates params (and, in development, results)
 * against these schemas, handler and client types are derived from them, and docs/rpc.md is
 * rendered from them (node/src/rpc/docs.ts). Add a method here and everything else follows.
 *
 * Every params object is strict (unknown fields are rejected) and every string and array that
 * comes from a client has a size cap, so a bad request is refused before any handler runs.
 *
 * Longer than ~400 lines on purpose: this is the single declaration of the API (limits, shapes,
 * events, and the method table of every namespace), read as one contract by the server, both
 * clients, the docs generator and the desktop; split per namespace it would need a second
 * place that joins the pieces, which is what this file is. It holds schemas and types only.
 */

import { z } from 'zod'
import {
  isTimerSeconds,
  TIMER_MAX_SECONDS,
  TIMER_MIN_SECONDS,
} from '../../../core/src/conversation/disappearing.ts'
import { MAX_ROOM_LINE_CHARS } from '../../../core/src/room/constants.ts'
import { PICTURE_INLINE_MAX_BYTES } from '../avatar/constants.ts'
import { MAX_DEVICE_NAME_CHARS } from '../devices/device-names.ts'
import { MAX_AUTO_DOWNLOAD_MB } from '../files/constants.ts'
import {
  AUTO_LOCK_MAX_MINUTES,
  AUTO_LOCK_MIN_MINUTES,
  WIPE_MAX_FAILURES,
  WIPE_MIN_FAILURES,
} from '../profile/lock-limits.ts'

// ---- limits (characters or items; each bounds what a client can make the daemon hold)

/** Ids (user ids are 28 characters, conversation ids 31; room for future id kinds). */
export const MAX_ID_CHARS = 128
/** Passphrase: at least 8 characters (weaker ones are refused), at most 1 KiB. */
export const MIN_PASSPHRASE_CHARS = 8
export const MAX_PASSPHRASE_CHARS = 1024
/** Display names shown in lists and cards. */
export const MAX_DISPLAY_NAME_CHARS = 64
/** Contact card string: identity key, user id, name and a few reachability hints. */
export const MAX_CARD_CHARS = 4096
/** Message text: 64 Ki characters stays well inside the largest padded envelope (256 KiB). */
export const MAX_TEXT_CHARS = 65536
/** Messages per messages.list page. */
export const MAX_PAGE_LIMIT = 500
export const DEFAULT_PAGE_LIMIT = 50
/** Client-chosen id echoed back for de-duplication of retries. */
export const MAX_CLIENT_ID_CHARS = 64
/** Bootstrap peers or relays kept in the settings: each is dialled at start, a few are plenty. */
export const MAX_NETWORK_PEERS = 16
/** One multiaddr (text form): ip6 + transport + a /p2p/ id fit in well under 256 characters. */
export const MAX_MULTIADDR_CHARS = 512
/** A safety number as typed or pasted: 60 digits plus spaces, dashes or line breaks between groups. */
export const MAX_SAFETY_NUMBER_CHARS = 120
/** A scanned safety-number QR payload in base64: 74 bytes are 100 characters. */
export const MAX_SAFETY_QR_CHARS = 128

/** A reaction in characters: one emoji (the daemon also refuses more than 64 bytes of UTF-8, or more than one emoji). */
export const MAX_REACTION_CHARS = 64
/** Members one group text mentions (node/src/groups MAX_GROUP_MENTIONS): names picked one by one, not a roll call. */
export const MAX_MENTIONS = 50
/** Conversations one messages.forward sends to: a handful of chats, not a broadcast list. */
export const MAX_FORWARD_TARGETS = 32

/** A search query in characters: a few words (the daemon uses the first 8 terms). */
export const MAX_SEARCH_QUERY_CHARS = 256
/** Results per messages.search page. */
export const MAX_SEARCH_LIMIT = 100
export const DEFAULT_SEARCH_LIMIT = 20
/** A messages.search cursor (node/src/search/cursor.ts MAX_SEARCH_CURSOR_CHARS). */
export const MAX_SEARCH_CURSOR_CHARS = 162

/** identity.setPicture's inline image in base64 characters (PICTURE_INLINE_MAX_BYTES, 4 characters per 3 bytes). */
export const MAX_PICTURE_INLINE_CHARS = Math.ceil(PICTURE_INLINE_MAX_BYTES / 3) * 4

/** Media-owner text per calls.signal (one SDP or ICE candidate), in characters; the daemon also
 * refuses more than core's MAX_MEDIA_DATA_BYTES (16 KiB) of UTF-8. */
export const MAX_CALL_SIGNAL_CHARS = 16384
/** Calls per calls.list page. */
export const MAX_CALL_LIST_LIMIT = 500

// ---- shared types

const id = z.string().min(1).max(MAX_ID_CHARS)
/**
 * Exactly the canonical printed user ids (core/src/identity.ts formatUserId): 'wu' + 26 lowercase
 * base32 characters. 16 bytes are 128 bits, 26 characters carry 130, so the last character holds
 * 3 bits and 2 zero bits: it is one of the 8 characters whose value is a multiple of 4. Lowercase
 * only: ids reach the API from the daemon's own answers, and one spelling per id keeps string
 * comparisons honest. Every id this accepts parses (node/test/rpc-user-id.test.ts).
 */
export const USER_ID_PATTERN = /^wu[a-z2-7]{25}[aeimquy4]$/
const userId = z
  .string()
  .regex(USER_ID_PATTERN, 'must be a canonical Wren user id (wu + 26 lowercase base32 characters)')
  .describe('Wren user id')
const seq = z.number().int().min(0)
const timestamp = z.number().int().min(0).describe('ms since the Unix epoch')
const hexKey = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters')
const groupIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'must be a group id (32 lowercase hex characters)')
  .describe('group id')

export const MessageStatusSchema = z.enum(['queued', 'sent', 'stored', 'delivered', 'read', 'failed']).meta({
  id: 'MessageStatus',
  description: 'queued → sent (or stored in a mailbox) → delivered → read; failed.',
})

/**
 * Why an outgoing message is not delivered yet, from what the sender's outbox knows. Reasons are
 * per contact (the outbox delivers each contact's messages in order, so all of them wait for the
 * same thing); the reasons are documented one by one in docs/rpc.md.
 */
/** Each reason an outgoing message waits, as docs/rpc.md shows it. */
export const WAITING_REASONS = {
  sending: 'the first attempt is being made (or the daemon just started and has not tried yet)',
  'no-bundle':
    "no session yet, and the contact's prekey bundle was not found (neither in the DHT nor from the contact's device)",
  'no-route': "no address is known for the contact's device, so there is nothing to dial",
  'peer-offline':
    "the contact's device did not answer (dial failed or timed out) and no relay mailbox took the message (none configured, the contact lists none, or they did not answer)",
  'peer-unavailable':
    'the device answered but could not take the message (locked, shutting down, refused the protocol, or answered something malformed)',
  'key-changed': "held until you accept the contact's new identity key (contacts.acceptKeyChange)",
  stored:
    "held by the contact's relay mailboxes (see receipts) until the device fetches it; nothing more to do on this side",
} as const

export const WaitingReasonSchema = z
  .enum(
    Object.keys(WAITING_REASONS) as [keyof typeof WAITING_REASONS, ...Array<keyof typeof WAITING_REASONS>],
  )
  .meta({
    id: 'WaitingReason',
    description: Object.entries(WAITING_REASONS)
      .map(([reason, text]) => `- \`${reason}\`: ${text}.`)
      .join('\n'),
  })
export type WaitingReason = z.infer<typeof WaitingReasonSchema>

export const WaitingSchema = z
  .strictObject({
    reason: WaitingReasonSchema,
    nextAttemptAt: timestamp
      .optional()
      .describe('when the outbox tries again (absent for stored, key-changed, sending)'),
  })
  .meta({ id: 'Waiting' })
export type Waiting = z.infer<typeof WaitingSchema>

export const CallEndReasonSchema = z
  .enum(['hangup', 'declined', 'busy', 'timeout', 'failed-ice', 'failed-decrypt', 'answered-elsewhere'])
  .meta({
    id: 'CallEndReason',
    description:
      'why a call ended: hangup (either side), declined, busy (the callee was in another call), timeout (nobody answered within the ring timeout), failed-ice (the media never connected), failed-decrypt (media frames did not decrypt with the call keys), answered-elsewhere (it rang on several of our devices and another one answered; also on a device that accepted too when the caller took the other’s accept)',
  })

export const CallEntrySchema = z
  .strictObject({
    callId: z.string().describe('the call (32 hex characters)'),
    kind: z.enum(['outgoing', 'incoming', 'missed']),
    durationMs: z.number().int().min(0).describe('connected time; 0 when the media never connected'),
    endReason: CallEndReasonSchema,
  })
  .meta({ id: 'CallEntry', description: "A call's line in a direct conversation." })

export const MessageSchema = z
  .strictObject({
    id: id.describe('message id (unique per sender)'),
    conversationId: id,
    seq: seq.describe('position in the conversation, increasing'),
    direction: z.enum(['in', 'out']),
    sender: userId,
    text: z.string().max(MAX_TEXT_CHARS),
    sentAt: timestamp,
    receivedAt: timestamp.nullable(),
    status: MessageStatusSchema,
    receipts: z.number().int().min(0).describe('delivery/read receipts received'),
    waiting: WaitingSchema.optional().describe(
      'outgoing direct messages not yet delivered (queued, sent, stored): why, and the next attempt',
    ),
    call: CallEntrySchema.optional().describe(
      "set on a call's history line (text is then its summary: 'Missed call', 'Outgoing call, 1:05')",
    ),
    attachment: z
      .strictObject({
        fileId: z.string().describe('random file id, hex'),
        name: z.string().describe("the sender's file name (never used as a path here)"),
        size: z.number().int().min(0).describe('bytes'),
        mediaType: z.string(),
      })
      .optional()
      .describe('a file this message carries (attachments.get for its transfer); text is then its caption'),
    replyTo: z
      .strictObject({
        messageId: id,
        sender: userId,
        text: z.string().describe("the quoted first line; '' once the quoted message was deleted"),
      })
      .optional()
      .describe('set on a reply: the message it answers, shown even when this side lacks it'),
    forwarded: z.literal(true).optional().describe('sent with messages.forward'),
    reactions: z
      .array(z.strictObject({ sender: userId, emoji: z.string(), at: timestamp }))
      .optional()
      .describe('one reaction per person, the latest they sent'),
    editedAt: timestamp
      .optional()
      .describe('set once edited ("edited" mark): the last edit, on the author’s clock'),
    edits: z
      .array(z.strictObject({ text: z.string(), replacedAt: timestamp }))
      .optional()
      .describe('the texts earlier edits replaced, oldest first'),
    deletedAt: timestamp
      .optional()
      .describe('deleted for everyone (a tombstone: text, edits, quote, reactions and file are erased)'),
    pinned: z
      .strictObject({ by: userId, at: timestamp })
      .optional()
      .describe('pinned in its conversation, by whom and when'),
    mentions: z
      .array(userId)
      .max(MAX_MENTIONS)
      .optional()
      .describe('group texts: the members the text mentions (highlight their @name; one of them may be you)'),
  })
  .meta({ id: 'Message' })

export const IdentitySchema = z
  .strictObject({
    userId,
    displayName: z.string(),
    identityKey: hexKey.describe('Ed25519 identity key, hex'),
    peerId: z.string().describe('libp2p PeerId of this device'),
    card: z.string().describe('contact card to share'),
    cardQrSvg: z.string().describe('the card as an SVG QR code'),
  })
  .meta({ id: 'Identity' })

export const ContactSchema = z
  .strictObject({
    userId,
    displayName: z.string(),
    identityKey: hexKey,
    verified: z.boolean(),
    keyChanged: z.boolean().describe('a new identity key was seen and not yet accepted'),
    online: z.boolean().describe("this node holds an open connection to the contact's device now"),
    addedAt: timestamp,
  })
  .meta({ id: 'Contact' })

/** A disappearing-messages timer (core/src/conversation/disappearing.ts). */
const timerSeconds = z
  .number()
  .int()
  .refine(isTimerSeconds, `0 (off) or ${TIMER_MIN_SECONDS}..${TIMER_MAX_SECONDS} seconds (5 s to 4 weeks)`)
  .describe('seconds; 0 = off')

export const ConversationSchema = z
  .strictObject({
    id: id.describe("'dm:' + userId for a direct chat, 'grp:' + groupId for a group"),
    kind: z.enum(['direct', 'group']),
    peerUserId: userId.nullable().describe('the other user of a direct chat; null for a group'),
    groupId: groupIdSchema.nullable().describe('the group of a group conversation; null for a direct chat'),
    title: z.string(),
    lastMessage: MessageSchema.nullable(),
    unread: z.number().int().min(0),
    mentionUnread: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'groups: unread messages that mention us, counted even when muted (show them on a muted group)',
      ),
    updatedAt: timestamp,
    muted: z.boolean().optional().describe('conversations.update mute (the daemon always sets it)'),
    archived: z.boolean().optional().describe('conversations.update archived (the daemon always sets it)'),
    markedUnread: z
      .boolean()
      .optional()
      .describe('marked unread by the user (conversations.update unread), until read again'),
  })
  .meta({ id: 'Conversation' })

export const PresenceSchema = z
  .strictObject({
    userId,
    online: z
      .boolean()
      .describe(
        "this daemon holds a live connection to the contact's device and the contact shares its presence",
      ),
    lastSeen: timestamp.nullable().describe('when the contact was last online here (null: not since start)'),
  })
  .meta({ id: 'Presence' })

export const PictureSchema = z
  .strictObject({
    setAt: timestamp.describe('when its owner set it'),
    jpeg: z.string().describe('the picture: a JPEG of at most 96 px a side and 16 KiB, no metadata, base64'),
  })
  .meta({ id: 'Picture' })

export const SearchResultSchema = z
  .strictObject({
    messageId: id,
    conversationId: id,
    seq: seq.describe('jump to it: messages.list with before = seq + 1 ends the page on it'),
    sender: userId,
    direction: z.enum(['in', 'out']),
    sentAt: timestamp,
    snippet: z.string().describe("the text around the first match ('…' where cut)"),
    highlights: z
      .array(z.strictObject({ start: z.number().int().min(0), length: z.number().int().min(0) }))
      .describe('where terms matched in snippet (UTF-16 offsets)'),
    wordPrefix: z.boolean().describe('every term starts a word (else some matched inside a word)'),
  })
  .meta({ id: 'SearchResult' })

// ---- groups

/** Group names, as in core/src/group MAX_GROUP_NAME_CHARS. */
export const MAX_GROUP_NAME_CHARS = 128
/** Users invited in one groups.create call (more: groups.invite one by one). */
export const MAX_CREATE_INVITES = 50

export const GroupRoleSchema = z.enum(['owner', 'admin', 'member']).meta({ id: 'GroupRole' })

export const GroupSummarySchema = z
  .strictObject({
    groupId: groupIdSchema,
    conversationId: id.describe("'grp:' + groupId"),
    name: z.string(),
    status: z
      .enum(['invited', 'member', 'left', 'removed', 'declined'])
      .describe('our standing: invited (not yet accepted), member, left, removed (by an admin), declined'),
    role: GroupRoleSchema.nullable().describe('our role; null unless a member'),
    epoch: z.number().int().min(0).describe('advances on every removal and leave; sender keys rotate'),
    memberCount: z.number().int().min(0),
    invitedBy: userId.nullable(),
    stateHash: z.string().describe('hash of the group state: equal on members that converged'),
    updatedAt: timestamp,
  })
  .meta({ id: 'GroupSummary' })

export const GroupMemberSchema = z
  .strictObject({
    userId,
    displayName: z.string().describe('contact name, or the user id when unknown'),
    role: GroupRoleSchema,
    joinedAt: timestamp,
  })
  .meta({ id: 'GroupMember' })

export const GroupInvitationSchema = z
  .strictObject({
    userId,
    role: GroupRoleSchema,
    invitedBy: userId,
    invitedAt: timestamp,
  })
  .meta({ id: 'GroupInvitation' })

// ---- calls

const callId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'must be a call id (32 lowercase hex characters)')
  .describe('call id')

export const CallSchema = z
  .strictObject({
    callId,
    peerUserId: userId,
    direction: z.enum(['outgoing', 'incoming']),
    state: z
      .enum(['ringing', 'incoming', 'connecting', 'connected', 'ended'])
      .describe(
        'outgoing: ringing → connecting (accepted) → connected (the media owner said so, calls.media) → ended; incoming: incoming → connecting → connected → ended',
      ),
    endReason: CallEndReasonSchema.nullable().describe('set once ended'),
    remoteRinging: z.boolean().describe("the callee's device rings (outgoing calls)"),
    startedAt: timestamp.describe("when the call was offered (the caller's clock)"),
    connectedAt: timestamp.nullable(),
    endedAt: timestamp.nullable(),
    durationMs: z.number().int().min(0).describe('connected time so far'),
    missed: z.boolean().describe('an incoming call neither answered nor declined'),
  })
  .meta({ id: 'Call' })

export const MediaSignalSchema = z
  .strictObject({
    kind: z.enum(['offer', 'answer', 'ice']),
    data: z
      .string()
      .max(MAX_CALL_SIGNAL_CHARS)
      .describe('opaque to the daemon: SDP, or one ICE candidate, as the media owner writes it'),
  })
  .meta({
    id: 'MediaSignal',
    description: "What one side's media owner (page or CLI) hands the other's, end-to-end encrypted.",
  })

export const IceServerSchema = z
  .strictObject({
    urls: z.array(z.string()).describe('turn: URLs of one relay’s TURN server'),
    username: z.string().describe('"<expiry unix seconds>:<our peer id>" (coturn REST-style)'),
    credential: z.string().describe('base64(HMAC-SHA1(relay secret, username))'),
  })
  .meta({
    id: 'IceServer',
    description: 'One entry of RTCConfiguration.iceServers: TURN on one of our relays.',
  })

export const CallSettingsSchema = z
  .strictObject({
    relayOnly: z
      .boolean()
      .describe(
        "relay calls only: media goes through TURN on our relays (iceTransportPolicy 'relay'), so the other side never learns this device's IP addresses; no call connects without a relay that runs TURN",
      ),
  })
  .meta({ id: 'CallSettings' })

// ---- settings

const multiaddrText = z
  .string()
  .min(1)
  .max(MAX_MULTIADDR_CHARS)
  .describe('multiaddr, e.g. /ip4/…/tcp/…/p2p/…')

/** The lock policy's settings (node/src/profile/lock-policy.ts), the same in Settings and settings.set. */
const lockSettings = {
  autoLockMinutes: z
    .number()
    .int()
    .min(AUTO_LOCK_MIN_MINUTES)
    .max(AUTO_LOCK_MAX_MINUTES)
    .nullable()
    .describe(
      'lock the profile after this many minutes without a client request (node.status, node.doctor, contacts.list and events.subscribe do not count; events pushed do not count); null = off, the default',
    ),
  wipeAfterFailedUnlocks: z
    .number()
    .int()
    .min(WIPE_MIN_FAILURES)
    .max(WIPE_MAX_FAILURES)
    .nullable()
    .describe(
      'DANGER — IRREVERSIBLE: after this many wrong passphrases in a row, the keystore and every message and file of this profile are DESTROYED, with no way back (no backup is kept). Anyone who can reach the RPC can trigger it by guessing. null = off, the default',
    ),
}

export const SettingsSchema = z
  .strictObject({
    displayName: z.string(),
    bootstrap: z.array(z.string()).describe('bootstrap peers saved in this profile'),
    relays: z.array(z.string()).describe('relays saved in this profile'),
    appliedBootstrap: z.array(z.string()).describe('bootstrap peers the running node dialled at start'),
    appliedRelays: z.array(z.string()).describe('relays the running node keeps mailboxes on'),
    ...lockSettings,
  })
  .meta({ id: 'Settings' })

// ---- attachments (files in 1:1 messages, node/src/files): their own block, joined below

/** A local file path the daemon reads or writes: absolute (the daemon's working folder is not the caller's). */
export const MAX_PATH_CHARS = 4096
const localPath = z
  .string()
  .min(1)
  .max(MAX_PATH_CHARS)
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .describe('absolute path on the daemon’s machine')

export const AttachmentStateSchema = z
  .enum(['available', 'uploading', 'uploaded', 'offered', 'downloading', 'complete', 'failed', 'cancelled'])
  .meta({
    id: 'AttachmentState',
    description:
      'sent: available (served to the recipient directly) → uploading (to two relays, for a recipient that is not directly reachable; still served directly) → uploaded, or back to available with an error when a relay refuses; cancelled. received: downloading (from the sender or the relays, see via) → complete, failed (the sender’s data does not match the pointer) or cancelled; a received file the auto-download setting does not fetch (attachments.settings: by default any file that is not an image, and anything over 100 MiB) waits as offered until attachments.download.',
  })

const TransferPathSchema = z
  .enum(['direct', 'relay'])
  .describe('where a received file’s chunks come from: the sender’s device, or the relay replicas')

export const AutoDownloadSchema = z
  .strictObject({
    images: z
      .boolean()
      .describe(
        'received images (the pointer’s media type is PNG, JPEG, WebP or GIF) are fetched as they arrive',
      ),
    files: z.boolean().describe('received files that are not images are fetched as they arrive'),
    maxMb: z
      .number()
      .min(0)
      .describe(
        'MiB: nothing larger is fetched unasked, whatever its kind (daemon default 100, --auto-download-mb)',
      ),
  })
  .describe('what the daemon fetches unasked; everything else waits as offered until attachments.download')

export const AttachmentSchema = z
  .strictObject({
    messageId: id,
    fileId: z.string(),
    conversationId: id,
    direction: z.enum(['in', 'out']),
    name: z.string(),
    mediaType: z.string(),
    size: z.number().int().min(0).describe('bytes'),
    state: AttachmentStateSchema,
    relays: z
      .array(z.string())
      .describe('PeerIds of the relays the pointer names for the offline path (none: direct only)'),
    via: TransferPathSchema.optional().describe(
      'received: where the chunks come from in the current or last run',
    ),
    chunks: z.number().int().min(0).describe('chunks held here, checked against the manifest'),
    chunkCount: z.number().int().min(1),
    bytes: z.number().int().min(0).describe('plaintext bytes those chunks hold'),
    fetchedChunks: z.number().int().min(0).describe('chunks fetched by this daemon since it started'),
    refusedChunks: z
      .number()
      .int()
      .min(0)
      .describe('chunks refused since start: they did not match the manifest'),
    servedChunks: z
      .number()
      .int()
      .min(0)
      .describe(
        'sent: chunks served to the recipient over the direct path since this daemon started (a chunk fetched again after an interruption counts again)',
      ),
    error: z
      .string()
      .optional()
      .describe('why a download failed, or why a sent file is not on the relays (direct only)'),
  })
  .meta({ id: 'Attachment' })

function attachmentEvents() {
  return {
    'attachment.progress': {
      description:
        'More of a received file arrived, or more of a sent one is on the relays (a few times a second at most, and at the end).',
      payload: z.strictObject({
        messageId: id,
        fileId: z.string(),
        chunks: z.number().int().min(0),
        chunkCount: z.number().int().min(1),
        bytes: z.number().int().min(0),
        size: z.number().int().min(0),
      }),
    },
    'attachment.state': {
      description: 'A file transfer changed state.',
      payload: z.strictObject({
        messageId: id,
        fileId: z.string(),
        state: AttachmentStateSchema,
        via: TransferPathSchema.optional(),
        error: z.string().optional(),
      }),
    },
  } as const
}

function attachmentMethods() {
  return {
    'attachments.send': {
      description:
        'Send a local file to a direct or a group conversation: it is encrypted once into the profile, and its pointer goes in an end-to-end encrypted message (returned) with the caption (may be empty); the recipient (in a group: each current member) pulls it over a direct connection, or, when it is not directly reachable, from two relays the sealed chunks are uploaded to (files up to 100 MiB; a larger one is sent directly only, with the reason as the attachment’s error). Group members leave the relay copies for each other: the relays drop them after 7 days, or when the sender erases the message. NOT_FOUND when no file is at the path, INVALID_INPUT when it is a directory, unreadable or too large, or the caption and pointer exceed a group message.',
      params: z.strictObject({
        conversationId: id,
        path: localPath,
        caption: z.string().max(MAX_TEXT_CHARS).optional(),
      }),
      result: z.strictObject({ message: MessageSchema }),
    },
    'attachments.get': {
      description: 'The file of a message and its transfer: state and progress.',
      params: z.strictObject({ messageId: id }),
      result: AttachmentSchema,
    },
    'attachments.save': {
      description:
        'Write the decrypted file of a message to a path (complete received files, or our own sent ones). ALREADY_EXISTS when the path exists, unless overwrite.',
      params: z.strictObject({ messageId: id, path: localPath, overwrite: z.boolean().optional() }),
      result: z.strictObject({ path: z.string(), bytes: z.number().int().min(0) }),
    },
    'attachments.download': {
      description:
        'Start fetching a received file that waits as offered (the auto-download setting did not fetch it: a file that is not an image while files ask, or over the size limit). UNAVAILABLE when the file is not offered.',
      params: z.strictObject({ messageId: id }),
      result: AttachmentSchema,
    },
    'attachments.settings': {
      description:
        'Read, and with autoDownload change, the auto-download setting of this profile (from the next received file; files already offered stay offered): by default images are fetched as they arrive and other files wait as offered (images yes, files ask), up to 100 MiB. Only the fields given change.',
      params: z.strictObject({
        autoDownload: z
          .strictObject({
            images: z.boolean().optional(),
            files: z.boolean().optional(),
            maxMb: z.number().int().min(0).max(MAX_AUTO_DOWNLOAD_MB).optional(),
          })
          .optional(),
      }),
      result: z.strictObject({ autoDownload: AutoDownloadSchema }),
    },
    'attachments.cancel': {
      description:
        'Stop a download and drop what arrived, or stop serving a file we sent; the message stays.',
      params: z.strictObject({ messageId: id }),
      result: AttachmentSchema,
    },
  } as const
}

// ---- devices and backup (issue 18, node/src/devices and node/src/backup): their own block, joined below

export const DeviceSchema = z
  .strictObject({
    deviceId: z.string().describe('hex of the Ed25519 device key'),
    peerId: z.string().describe('libp2p PeerId of the device'),
    createdAt: timestamp,
    current: z.boolean().describe('this device (only in our own list)'),
    name: z
      .string()
      .optional()
      .describe('the name this profile gave the device (devices.rename; kept here only, never published)'),
  })
  .meta({ id: 'Device' })

export const DeviceListSchema = z
  .strictObject({
    userId,
    version: z.number().int().min(0).describe('the list version (0: no list known)'),
    devices: z.array(DeviceSchema),
    revoked: z.array(z.string()).describe('device ids taken off the list'),
  })
  .meta({ id: 'DeviceList' })

/** A backup passphrase: the same bounds as the profile passphrase. */
const backupPassphrase = z.string().min(MIN_PASSPHRASE_CHARS).max(MAX_PASSPHRASE_CHARS)

function deviceMethods() {
  return {
    'devices.list': {
      description:
        'The devices of this identity from its signed device list (published in the DHT at /wren-devices/<userId>), or, with userId, the list pinned for that contact (the highest version seen; a lower one is refused as a rollback). NOT_FOUND for an unknown contact.',
      params: z.strictObject({ userId: userId.optional() }),
      result: DeviceListSchema,
    },
    'devices.linkStart': {
      description:
        "On a NEW device (a profile with no identity; ALREADY_EXISTS otherwise): listen for the primary device and return the link code to show (also as a QR code, SVG). The primary runs devices.link with it; both then show the same confirmation number (event device.linkConfirm), and each user confirms it with devices.confirm. The profile is then created as a new device of the primary's identity, sealed with `passphrase`, with its contacts, groups and history (events device.syncProgress, device.linked). A second call replaces a code not used yet.",
      params: z.strictObject({ passphrase: backupPassphrase }),
      result: z.strictObject({ code: z.string(), qrSvg: z.string() }),
    },
    'devices.link': {
      description:
        'On the primary: dial the new device that shows `code` and run the handshake bound to it. Returns the confirmation number to compare with the one the new device shows; then devices.confirm. UNAVAILABLE when the device cannot be reached or breaks the protocol, INVALID_INPUT for a malformed code.',
      params: z.strictObject({ code: z.string().max(4096) }),
      result: z.strictObject({ confirmation: z.string() }),
    },
    'devices.confirm': {
      description:
        'Confirm the link in progress on this device with the number the OTHER device shows (on both devices). A different number aborts the link (INVALID_INPUT). On the primary it resolves once the new device has everything and the device list with it (version + 1) is published and pushed to every contact; on the new device at once (device.linked follows). NOT_FOUND when no link waits for a confirmation.',
      params: z.strictObject({ confirmation: z.string().regex(/^\s*\d{6}\s*$/) }),
      result: z.strictObject({
        linked: z
          .boolean()
          .describe('the transfer is done (primary) — false on the new device, which reports device.linked'),
        deviceId: z.string().optional(),
        version: z.number().int().min(0).optional(),
      }),
    },
    'devices.rename': {
      description:
        "Name one of this identity's devices (its deviceId from devices.list), e.g. 'laptop'; an empty name removes it. The name is this profile's own label, shown by devices.list: it is not put in the signed device list, nor sent to contacts or to our other devices. NOT_FOUND for a device not on our list.",
      params: z.strictObject({
        deviceId: z.string().regex(/^[0-9a-f]{64}$/),
        name: z.string().max(MAX_DEVICE_NAME_CHARS),
      }),
      result: z.strictObject({ deviceId: z.string(), name: z.string() }),
    },
    'devices.revoke': {
      description:
        "On the primary: revoke another device of this identity (its deviceId from devices.list). The device list is signed again (version + 1) without it and with its revocation, stored, put in the DHTs and pushed to every contact, whose daemons then drop that device's sessions and stop sending or depositing to it; the revoked device is told directly when it can be reached (it locks itself, event device.revoked). NOT_FOUND for a device not on the list, INVALID_INPUT for this device itself.",
      params: z.strictObject({ deviceId: z.string().regex(/^[0-9a-f]{64}$/) }),
      result: z.strictObject({
        version: z.number().int().min(1).describe('the new list version'),
        told: z.boolean().describe('the revoked device was reached and told'),
      }),
    },
    'backup.export': {
      description:
        'Write an encrypted backup of this profile to a new file (mode 0600): the identity keys, contacts, groups and message history, sealed with a key derived by Argon2id from the passphrase. Not in it: ratchet sessions, prekeys, mailboxes, queued outgoing items and files (their messages are). ALREADY_EXISTS when the path exists.',
      params: z.strictObject({ path: localPath, passphrase: backupPassphrase }),
      result: z.strictObject({
        path: z.string(),
        bytes: z.number().int().min(0),
        records: z.number().int().min(0),
      }),
    },
    'backup.import': {
      description:
        'Restore a backup into this profile, which must have no identity yet (ALREADY_EXISTS otherwise). The profile becomes a NEW device of the same identity: new device and network keys, a device certificate signed by the identity key, the device list at version + 1, pushed to every contact, so contacts start new sessions with it. The keystore is sealed with `profilePassphrase` (default: the backup passphrase) and left unlocked. WRONG_PASSPHRASE when the backup does not open, INVALID_INPUT when it is not a Wren backup.',
      params: z.strictObject({
        path: localPath,
        passphrase: backupPassphrase,
        profilePassphrase: backupPassphrase.optional(),
      }),
      result: IdentitySchema,
    },
  } as const
}

// ---- ephemeral rooms (issue 19 item 1, node/src/room): their own block, joined below

/** A room code as typed: 8–16 characters with dashes or spaces between groups (core/src/room/code.ts). */
export const MAX_ROOM_CODE_INPUT_CHARS = 48
/** One room line: core's MAX_ROOM_LINE_CHARS (the padded room frame holds it). */
export const MAX_ROOM_TEXT_CHARS = MAX_ROOM_LINE_CHARS
/** Longest a new room's code may wait for the other person, in minutes (as `wren room`: 1 day). */
export const MAX_ROOM_EXPIRY_MINUTES = 24 * 60

const roomId = z.string().regex(/^[0-9a-f]{24}$/, 'must be a room id (24 lowercase hex characters)')

export const RoomStateSchema = z.enum(['searching', 'found', 'key-setup', 'connected', 'destroyed']).meta({
  id: 'RoomState',
  description:
    'searching (for the other person) → found → key-setup (CPace keyed by the code) → connected → destroyed; any state → destroyed.',
})

export const RoomEndReasonSchema = z
  .enum([
    'quit',
    'peer-quit',
    'peer-left',
    'room-full',
    'wrong-code',
    'protocol',
    'flood',
    'expired',
    'transport',
  ])
  .meta({ id: 'RoomEndReason' })

export const RoomSummarySchema = z
  .strictObject({
    roomId,
    code: z.string().describe('the code in groups (ABCD-EFGH-JKMN), to pass on to the other person'),
    role: z.enum(['created', 'joined']),
    state: RoomStateSchema,
    createdAt: timestamp,
  })
  .meta({ id: 'RoomSummary' })

function roomEvents() {
  return {
    'room.state': {
      description:
        'A room changed state. destroyed comes with reason and detail (a sentence for the user) and ends the room: its keys are wiped and it leaves rooms.list.',
      payload: z.strictObject({
        roomId,
        state: RoomStateSchema,
        reason: RoomEndReasonSchema.optional(),
        detail: z.string().optional(),
      }),
    },
    'room.message': {
      description:
        'A line in a room: from the other person (them), or sent by a client of this daemon (me). Never stored or logged.',
      payload: z.strictObject({ roomId, from: z.enum(['me', 'them']), text: z.string(), at: timestamp }),
    },
  } as const
}

function roomMethods() {
  return {
    'rooms.create': {
      description:
        'Open an ephemeral room with a fresh code (12 characters, 60 bits) to give to one other person, who joins it with rooms.join or `wren room CODE`. The room runs its own short-lived libp2p host with a new key (unlinkable to this profile) through the relays and bootstrap peers of this node; the code expires after expiryMinutes unused (default 10). Keys and lines stay in memory only; the room ends when either side leaves, on a protocol fault, and when the profile locks or the daemon stops. Needs an unlocked profile (LOCKED otherwise); UNAVAILABLE when 4 rooms are open.',
      params: z.strictObject({
        expiryMinutes: z.number().int().min(1).max(MAX_ROOM_EXPIRY_MINUTES).optional(),
      }),
      result: RoomSummarySchema,
    },
    'rooms.join': {
      description:
        'Join the room of a code (any case; dashes and spaces ignored): the room searches for the other person, then both prove they hold the same code (CPace) before anything is said. A wrong code ends the room with reason wrong-code (room.state). INVALID_INPUT for a malformed code or one this daemon is in already.',
      params: z.strictObject({ code: z.string().min(1).max(MAX_ROOM_CODE_INPUT_CHARS) }),
      result: RoomSummarySchema,
    },
    'rooms.send': {
      description:
        'Send one line (up to 1,000 characters) in a connected room; it is also announced as room.message from me. UNAVAILABLE when the room is not connected yet or the line comes too fast (5 lines, then 1 a second); NOT_FOUND for a room that ended.',
      params: z.strictObject({ roomId, text: z.string().min(1).max(MAX_ROOM_TEXT_CHARS) }),
      result: z.strictObject({ sent: z.literal(true) }),
    },
    'rooms.leave': {
      description:
        'Leave a room: goodbye to the other side when connected (their room ends with peer-quit), keys wiped, its host stopped. Resolves when it has ended.',
      params: z.strictObject({ roomId }),
      result: z.strictObject({ left: z.literal(true) }),
    },
    'rooms.list': {
      description: 'The rooms open in this daemon (none after a lock or restart: rooms are never stored).',
      params: empty,
      result: z.strictObject({ rooms: z.array(RoomSummarySchema) }),
    },
  } as const
}

// ---- events

/**
 * The path a received message took to this device: over a direct connection, over a
 * circuit-relay (limited) connection, fetched from one of our relay mailboxes, or (groups) from
 * the group's gossip topic. A group message's pairwise copy has the path of that copy.
 */
export const MessageViaSchema = z.enum(['direct', 'relayed', 'mailbox', 'gossip'])
export type MessageVia = z.infer<typeof MessageViaSchema>

export const events = {
  'message.received': {
    description: 'A message arrived and was stored.',
    payload: z.strictObject({
      message: MessageSchema,
      via: MessageViaSchema.optional().describe(
        'how it arrived: direct or relayed connection, our relay mailbox, or a group topic (gossip); always set by this daemon',
      ),
    }),
  },
  'message.updated': {
    description:
      'A message changed: edited, deleted (for everyone, or for me: then it is gone from messages.list and this carries its tombstone), reacted to, pinned or unpinned; message is its new state.',
    payload: z.strictObject({
      conversationId: id,
      messageId: id,
      change: z.enum(['edit', 'delete', 'reaction', 'pin']),
      message: MessageSchema,
    }),
  },
  'message.status': {
    description: 'The status or receipt count of a message changed.',
    payload: z.strictObject({
      conversationId: id,
      messageId: id,
      status: MessageStatusSchema,
      receipts: z.number().int().min(0),
    }),
  },
  typing: {
    description:
      'A contact started or stopped typing in a direct chat, or a member in a group chat (conversationId says which). typing: true expires by itself at expiresAt (a typing: false follows then) unless renewed; never stored, only over a live connection.',
    payload: z.strictObject({
      conversationId: id,
      userId,
      typing: z.boolean(),
      expiresAt: timestamp.nullable().describe('when a typing: true lapses; null for false'),
    }),
  },
  'contact.presence': {
    description: "A contact's presence changed (came online, or went offline: lastSeen is then now).",
    payload: PresenceSchema,
  },
  'conversation.waiting': {
    description:
      "Why a direct conversation's undelivered outgoing messages wait changed (null: nothing waits on the outbox any more).",
    payload: z.strictObject({ conversationId: id, waiting: WaitingSchema.nullable() }),
  },
  'conversation.timerChanged': {
    description:
      "A conversation's disappearing-messages timer changed (conversations.setTimer here, by the contact, or by a group's owner or admin); message is its line in the chat.",
    payload: z.strictObject({
      conversationId: id,
      seconds: timerSeconds,
      by: userId,
      message: MessageSchema,
    }),
  },
  'contact.picture': {
    description:
      "A contact's profile picture changed (set, replaced, or removed: removed true); contacts.picture gives the new one. With our own user id: our picture changed on another of our devices; identity.picture gives it.",
    payload: z.strictObject({ userId, setAt: timestamp, removed: z.boolean() }),
  },
  'contact.keyChanged': {
    description: "A contact's identity key changed; sending is refused until contacts.acceptKeyChange.",
    payload: z.strictObject({ userId, verifiedBefore: z.boolean() }),
  },
  'call.incoming': {
    description: 'A call rings here: calls.accept or calls.decline (it ends with timeout otherwise).',
    payload: z.strictObject({ call: CallSchema }),
  },
  'call.state': {
    description:
      'A call changed state (ringing with remoteRinging, connecting, connected, ended with endReason). A missed call offer that arrived too old to ring is announced as ended.',
    payload: z.strictObject({ call: CallSchema }),
  },
  'call.signal': {
    description: "The other side's media owner sent SDP or ICE for the local one (from calls.signal there).",
    payload: z.strictObject({ callId, signal: MediaSignalSchema }),
  },
  'group.invited': {
    description: 'Someone invited us to a group: groups.accept or groups.decline.',
    payload: z.strictObject({ group: GroupSummarySchema }),
  },
  'group.updated': {
    description: 'A group changed: members, roles, name, epoch, or our own standing.',
    payload: z.strictObject({ group: GroupSummarySchema }),
  },
  'group.receipt': {
    description:
      "A member's delivery state of one of our group messages moved forward (delivered, then read); groups.receipts gives them all. message.status follows only when the aggregate status or count changes.",
    payload: z.strictObject({
      conversationId: id,
      messageId: id,
      userId,
      status: z.enum(['delivered', 'read']),
    }),
  },
  'device.linkConfirm': {
    description:
      "A link handshake completed (new device: the primary dialled it): show this number; the user compares it with the other device's and confirms with devices.confirm.",
    payload: z.strictObject({ role: z.enum(['primary', 'new']), confirmation: z.string() }),
  },
  'device.syncProgress': {
    description: 'Records of the profile sent (primary) or received (new device) during a link.',
    payload: z.strictObject({
      role: z.enum(['primary', 'new']),
      records: z.number().int().min(0),
      bytes: z.number().int().min(0),
    }),
  },
  'device.revoked': {
    description:
      'This device was revoked by the primary (a signed device list without it reached it): the profile locks. Sent just before the lock.',
    payload: z.strictObject({ role: z.enum(['revoked']) }),
  },
  'device.linked': {
    description:
      'A link finished: on the primary a new device is on the list (version + 1, pushed); on the new device the profile exists and its node starts. With `error`, the link failed and nothing was kept.',
    payload: z.strictObject({
      role: z.enum(['primary', 'new']),
      userId: userId.optional(),
      deviceId: z.string().optional(),
      records: z.number().int().min(0).optional(),
      error: z.string().optional(),
    }),
  },
  ...attachmentEvents(),
  ...roomEvents(),
} as const satisfies Record<string, { description: string; payload: z.ZodType }>

export type EventName = keyof typeof events
export const eventNames = Object.keys(events) as [EventName, ...EventName[]]
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]['payload']>

// ---- methods

const empty = z.strictObject({})

const publishState = z
  .enum(['published', 'pending', 'no-peers', 'refused', 'timeout', 'stale'])
  .describe('where our bundle stands in this DHT after the last publish')
const count = z.number().int().min(0)
const dhtState = z.strictObject({
  peers: z.number().int().min(0).describe('peers in the routing table'),
  mode: z.enum(['server', 'client']),
  bundle: publishState,
})
export const NetworkReportSchema = z
  .strictObject({
    dht: z.strictObject({
      lan: dhtState.describe('the LAN DHT: private and loopback addresses (this machine, your network)'),
      wan: dhtState.describe('the WAN DHT: public addresses (the internet)'),
    }),
    bundlePublishedAt: timestamp.nullable(),
    nextPublishAt: timestamp.nullable(),
    relays: z.array(
      z.strictObject({
        addr: z.string(),
        peerId: z.string().nullable(),
        connected: z.boolean(),
        reservation: z.boolean().describe('we are reachable through it (circuit relay reservation)'),
        mailbox: z.boolean().describe('one of our mailboxes lives on it'),
      }),
    ),
    publicAddrs: z.array(z.string()).describe('addresses autonat confirmed as dialable from the internet'),
    limits: z
      .strictObject({
        protocols: z.array(
          z.strictObject({
            protocol: z.string().describe("a served protocol id, or 'gossip' for group topics"),
            throttled: count.describe('requests refused: the peer was over its limit on this protocol'),
            malformed: count.describe(
              'malformed, truncated, oversized or forged frames (stream closed, or nothing in it for us)',
            ),
            unwanted: count.describe(
              'well-formed requests for something not there for the peer (a file never sent to it)',
            ),
            disconnected: count.describe('peers disconnected and refused for what they did here'),
            refused: count.describe('requests from peers already refused'),
          }),
        ),
        deniedPeers: count.describe('peers refused now (they went over their limits)'),
        refusedConnections: count.describe('connections refused since start'),
      })
      .describe('per-peer limits on the protocols this node serves, since it started'),
  })
  .meta({ id: 'NetworkReport' })
export const DoctorCheckSchema = z
  .strictObject({
    check: z.enum(['listen', 'reachability', 'dht', 'bundle', 'relays', 'mailboxes']),
    status: z.enum(['ok', 'warn', 'fail']),
    summary: z.string().describe('what was found, in one sentence'),
    advice: z.string().nullable().describe('what to do about it; null when nothing needs doing'),
  })
  .meta({ id: 'DoctorCheck' })

export const methods = {
  'node.status': {
    description: 'Daemon and network status. Works while locked.',
    params: empty,
    result: z.strictObject({
      version: z.string(),
      hasIdentity: z.boolean(),
      unlocked: z.boolean(),
      userId: userId.nullable(),
      peerId: z.string().nullable(),
      listenAddrs: z.array(z.string()),
      connections: z.number().int().min(0),
      relays: z.number().int().min(0).describe('distinct relays we hold a reservation on'),
      mailboxes: z.number().int().min(0).describe('relay mailboxes this device keeps'),
      bundlePublished: z.boolean().describe('our prekey bundle is stored in the DHT'),
      network: NetworkReportSchema.nullable().describe(
        'DHTs, bundle and relays; null while the node is not running',
      ),
      uptimeMs: z.number().int().min(0),
    }),
  },
  'node.doctor': {
    description:
      'Check the network: listen addresses, reachability as autonat sees it, DHT peers, a lookup of our own bundle, relays answering, mailboxes. Each check says what to do in words. Takes up to ~10 s.',
    params: empty,
    result: z.strictObject({ checks: z.array(DoctorCheckSchema) }),
  },
  'identity.create': {
    description:
      'Create the identity of this profile (keys, keystore sealed with the passphrase) and leave it unlocked. ALREADY_EXISTS if there is one.',
    params: z.strictObject({
      passphrase: z.string().min(MIN_PASSPHRASE_CHARS).max(MAX_PASSPHRASE_CHARS),
      displayName: z.string().min(1).max(MAX_DISPLAY_NAME_CHARS),
    }),
    result: IdentitySchema,
  },
  'identity.unlock': {
    description: 'Open the keystore with the passphrase. WRONG_PASSPHRASE on failure, NO_IDENTITY if none.',
    params: z.strictObject({ passphrase: z.string().min(1).max(MAX_PASSPHRASE_CHARS) }),
    result: IdentitySchema,
  },
  'identity.lock': {
    description:
      'Lock the profile: the node stops (messages wait at its mailboxes), the store closes and the keys leave memory; every method but node.status, node.doctor and identity.unlock then answers LOCKED. After three wrong passphrases in a row, identity.unlock waits 1 s, doubling per further failure up to 15 min (UNAVAILABLE with the wait), across daemon restarts.',
    params: empty,
    result: z.strictObject({ locked: z.literal(true) }),
  },
  'identity.get': {
    description: 'The unlocked identity, with its contact card.',
    params: empty,
    result: IdentitySchema,
  },
  'identity.card': {
    description: 'Our contact card: the compact string to share, and the same as an SVG QR code.',
    params: empty,
    result: z.strictObject({ card: z.string(), cardQrSvg: z.string() }),
  },
  'identity.rotate': {
    description:
      'Replace the identity key, keeping the user id (the original key signs a succession proof). Contacts see contact.keyChanged; sessions restart.',
    params: z.strictObject({
      passphrase: z
        .string()
        .min(1)
        .max(MAX_PASSPHRASE_CHARS)
        .describe('the current passphrase, as confirmation'),
    }),
    result: IdentitySchema,
  },
  'identity.setPicture': {
    description:
      'Set our profile picture from a JPEG or PNG (a file on the daemon’s machine, or inline in base64 up to 512 KiB), or remove it (remove: true). The daemon keeps the centred square, upright, scaled to 96 px and re-encoded to at most 16 KiB with no metadata (no EXIF, GPS or comments), stores it sealed, and sends it end-to-end encrypted to every contact (through their mailboxes when offline) and to our own other devices; contacts added later get it too. Nobody else receives it. INVALID_INPUT for an image that is not a usable JPEG or PNG (WebP and GIF are refused with a message naming the type: convert them first); NOT_FOUND when no file is at the path.',
    params: z.union([
      z.strictObject({ path: localPath }),
      z.strictObject({
        image: z.string().min(1).max(MAX_PICTURE_INLINE_CHARS).describe('the JPEG or PNG, base64'),
      }),
      z.strictObject({ remove: z.literal(true) }),
    ]),
    result: z.strictObject({
      picture: PictureSchema.nullable().describe('what contacts get; null when removed'),
    }),
  },
  'identity.picture': {
    description: 'Our profile picture as contacts get it, or null.',
    params: empty,
    result: z.strictObject({ picture: PictureSchema.nullable() }),
  },
  'contacts.add': {
    description: 'Add a contact from their card, pinning their identity key (trust on first use).',
    params: z.strictObject({
      card: z.string().min(1).max(MAX_CARD_CHARS),
      name: z
        .string()
        .min(1)
        .max(MAX_DISPLAY_NAME_CHARS)
        .optional()
        .describe('local name overriding the card'),
    }),
    result: ContactSchema,
  },
  'contacts.list': {
    description: 'All contacts.',
    params: empty,
    result: z.strictObject({ contacts: z.array(ContactSchema) }),
  },
  'contacts.safetyNumber': {
    description: 'The safety number shared with a contact, to compare out of band.',
    params: z.strictObject({ userId }),
    result: z.strictObject({
      safetyNumber: z.string().regex(/^[0-9]{60}$/),
      qrPayload: z.string().describe('base64 payload for the QR scan comparison'),
      qrSvg: z.string(),
    }),
  },
  'contacts.verify': {
    description:
      'Mark a contact verified, with proof that the safety numbers were compared: the number the contact ' +
      'read out (safetyNumber), the payload scanned from their QR code (qrPayload), or the user saying ' +
      'they compared the numbers themselves (compared: true). A number or payload that does not match ' +
      'is refused with SAFETY_NUMBER_MISMATCH; a payload that is not a safety-number QR with INVALID_INPUT.',
    params: z.union([
      z.strictObject({
        userId,
        safetyNumber: z
          .string()
          .min(1)
          .max(MAX_SAFETY_NUMBER_CHARS)
          .describe('the 60 digits; spaces allowed'),
      }),
      z.strictObject({
        userId,
        qrPayload: z.string().min(1).max(MAX_SAFETY_QR_CHARS).describe('base64, scanned from their screen'),
      }),
      z.strictObject({
        userId,
        compared: z.literal(true).describe('the user compared the numbers (desktop button, --i-compared)'),
      }),
    ]),
    result: ContactSchema,
  },
  'contacts.acceptKeyChange': {
    description: "Accept a contact's new identity key; the contact stays unverified.",
    params: z.strictObject({ userId }),
    result: ContactSchema,
  },
  'conversations.list': {
    description: 'Conversations, most recently updated first.',
    params: empty,
    result: z.strictObject({ conversations: z.array(ConversationSchema) }),
  },
  'conversations.setTimer': {
    description: `Set a conversation's disappearing-messages timer (seconds, 0 = off), for every side: the change travels end-to-end encrypted and shows as a line in the chat. New messages then disappear that long after they were sent (ours) or read (theirs). In a group only the owner and admins set it (INVALID_INPUT otherwise).`,
    params: z.strictObject({ conversationId: id, seconds: timerSeconds }),
    result: z.strictObject({
      seconds: timerSeconds,
      message: MessageSchema.nullable().describe('the new line; null when the timer already had this value'),
    }),
  },
  'conversations.delete': {
    description:
      'Delete a conversation here: its messages, their files and their search entries are erased (nothing is sent). A direct chat leaves conversations.list until a new message; a group keeps its membership (groups.leave for that) and loses its history.',
    params: z.strictObject({ conversationId: id }),
    result: z.strictObject({ deleted: z.number().int().min(0).describe('messages erased') }),
  },
  'conversations.update': {
    description:
      'Mute, archive, or mark a conversation unread (unread: true; it stays marked until messages.markRead or unread: false). Muting is a flag for the clients: the daemon keeps counting unread messages.',
    params: z.strictObject({
      conversationId: id,
      mute: z.boolean().optional(),
      archived: z.boolean().optional(),
      unread: z.boolean().optional(),
    }),
    result: ConversationSchema,
  },
  'typing.set': {
    description:
      'Tell the contact of a direct chat, or the members of a group chat, that we are (or stopped) typing: sent at most every 3 s per chat while typing, only over a live connection (dropped otherwise, never queued or stored), sealed with a key of the two identities (in a group, one frame to each member whose device is connected, at most 64). A no-op when typing indicators are off (typing.configure). sent says whether a frame left. NOT_FOUND for a group we do not know.',
    params: z.strictObject({ conversationId: id, typing: z.boolean() }),
    result: z.strictObject({ sent: z.boolean() }),
  },
  'typing.configure': {
    description:
      'Typing indicators on or off (default on); off sends none and announces none received. Without enabled: the current setting.',
    params: z.strictObject({ enabled: z.boolean().optional() }),
    result: z.strictObject({ enabled: z.boolean() }),
  },
  'contacts.presence': {
    description:
      "Online / last seen of every contact, from this daemon's own connections: online while it holds a live connection to the contact's device and the contact shares its presence (a sealed frame only contacts can read). Empty while our own presence is hidden (as in other messengers: hide yours, see none).",
    params: empty,
    result: z.strictObject({ presence: z.array(PresenceSchema) }),
  },
  'contacts.picture': {
    description:
      "A contact's newest profile picture (sent by the contact, end-to-end encrypted), or null when it has none or removed it: show its identicon then.",
    params: z.strictObject({ userId }),
    result: z.strictObject({ picture: PictureSchema.nullable() }),
  },
  'contacts.configurePresence': {
    description:
      'Share our presence with contacts (default) or hide it: hidden, contacts see us offline, and we see no presence either. Without shared: the current setting.',
    params: z.strictObject({ shared: z.boolean().optional() }),
    result: z.strictObject({ shared: z.boolean() }),
  },
  'messages.send': {
    description:
      'Queue a message and send it end-to-end encrypted. KEY_CHANGED_UNACCEPTED when the contact key changed. In a group, the members it mentions are `mentions` when given, else every `@name` of the text that names one member as this daemon shows it (contact name, else the name on its card; or `@` + user id); INVALID_INPUT for a mention of a non-member.',
    params: z.strictObject({
      conversationId: id,
      text: z.string().min(1).max(MAX_TEXT_CHARS),
      clientId: z.string().min(1).max(MAX_CLIENT_ID_CHARS).optional(),
      replyTo: id
        .optional()
        .describe('id of a message of this conversation to answer; the reply carries its quote'),
      mentions: z
        .array(userId)
        .max(MAX_MENTIONS)
        .optional()
        .describe(
          'groups only: user ids of the members mentioned ([] for none; absent: resolved from @name)',
        ),
    }),
    result: z.strictObject({ message: MessageSchema }),
  },
  'messages.react': {
    description:
      'Set our one reaction to a message of a direct chat or a group (an emoji), or remove it (null). NOT_FOUND for an unknown message.',
    params: z.strictObject({ messageId: id, emoji: z.string().min(1).max(MAX_REACTION_CHARS).nullable() }),
    result: z.strictObject({ message: MessageSchema }),
  },
  'messages.edit': {
    description:
      'Replace the text of one of our messages, in a direct chat or a group (within 24 h of sending, up to 10 times); the earlier texts are kept in edits. INVALID_INPUT for another person’s message or a closed window.',
    params: z.strictObject({ messageId: id, text: z.string().min(1).max(MAX_TEXT_CHARS) }),
    result: z.strictObject({ message: MessageSchema }),
  },
  'messages.delete': {
    description:
      'Delete a message for me (here only: it leaves messages.list) or for everyone (our own message, within 24 h: its text is erased on every side — both of a direct chat, every member of a group — and a tombstone stays). In groups too only the author deletes for everyone, admins included.',
    params: z.strictObject({ messageId: id, forEveryone: z.boolean() }),
    result: z.strictObject({ message: MessageSchema.describe('its new state: a tombstone') }),
  },
  'messages.pin': {
    description: 'Pin or unpin a message in its direct chat or group; every side sees it.',
    params: z.strictObject({ messageId: id, pinned: z.boolean() }),
    result: z.strictObject({ message: MessageSchema }),
  },
  'messages.forward': {
    description:
      'Send the text of a message (of a direct chat or a group) as a new message, marked forwarded, to each of these conversations, direct chats and groups alike (not deleted messages, not files yet; a forward mentions nobody).',
    params: z.strictObject({
      messageId: id,
      conversationIds: z.array(id).min(1).max(MAX_FORWARD_TARGETS),
    }),
    result: z.strictObject({ messages: z.array(MessageSchema) }),
  },
  'messages.list': {
    description: `Messages of a conversation, oldest first, ending before seq \`before\` (default: newest). limit defaults to ${DEFAULT_PAGE_LIMIT}.`,
    params: z.strictObject({
      conversationId: id,
      before: seq.optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
    }),
    result: z.strictObject({ messages: z.array(MessageSchema), hasMore: z.boolean() }),
  },
  'messages.search': {
    description: `Search the whole history (every conversation, or one): every term (words of the query) must occur in the text, case- and accent-insensitively, as a word prefix or anywhere in a word. Newest first, limit (default ${DEFAULT_SEARCH_LIMIT}) at a time; pass next back as before for the next page. Edited messages are found by their current text only; deleted ones not at all.`,
    params: z.strictObject({
      query: z.string().min(1).max(MAX_SEARCH_QUERY_CHARS),
      conversationId: id.optional(),
      limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional(),
      before: z
        .string()
        .min(1)
        .max(MAX_SEARCH_CURSOR_CHARS)
        .optional()
        .describe('the next of the previous page'),
    }),
    result: z.strictObject({
      results: z.array(SearchResultSchema),
      next: z.string().nullable().describe('cursor of the next page; null on the last'),
    }),
  },
  'messages.markRead': {
    description: 'Mark incoming messages read up to upToSeq (default: all) and send read receipts.',
    params: z.strictObject({ conversationId: id, upToSeq: seq.optional() }),
    result: z.strictObject({ updated: z.number().int().min(0) }),
  },
  'groups.create': {
    description: 'Create a group (we are its owner), optionally inviting contacts at once.',
    params: z.strictObject({
      name: z.string().min(1).max(MAX_GROUP_NAME_CHARS),
      members: z.array(userId).max(MAX_CREATE_INVITES).optional().describe('contacts to invite'),
    }),
    result: GroupSummarySchema,
  },
  'groups.invite': {
    description:
      'Invite a contact (admins and the owner; only the owner offers admin). INVALID_INPUT when the group rules refuse it.',
    params: z.strictObject({
      groupId: groupIdSchema,
      userId,
      role: z.enum(['admin', 'member']).optional().describe('default member'),
    }),
    result: GroupSummarySchema,
  },
  'groups.accept': {
    description: 'Accept an invitation: we become a member and read from now on.',
    params: z.strictObject({ groupId: groupIdSchema }),
    result: GroupSummarySchema,
  },
  'groups.decline': {
    description: 'Decline an invitation; the group is forgotten here.',
    params: z.strictObject({ groupId: groupIdSchema }),
    result: GroupSummarySchema,
  },
  'groups.leave': {
    description: 'Leave a group (an owner hands ownership over automatically). History stays readable here.',
    params: z.strictObject({ groupId: groupIdSchema }),
    result: GroupSummarySchema,
  },
  'groups.remove': {
    description:
      'Remove a member of lower role, or revoke an invitation (admins and the owner). Every remaining member rotates its sender key.',
    params: z.strictObject({ groupId: groupIdSchema, userId }),
    result: GroupSummarySchema,
  },
  'groups.rename': {
    description: 'Rename a group (admins and the owner).',
    params: z.strictObject({ groupId: groupIdSchema, name: z.string().min(1).max(MAX_GROUP_NAME_CHARS) }),
    result: GroupSummarySchema,
  },
  'groups.setRole': {
    description: 'Make a member admin or member (owner only).',
    params: z.strictObject({ groupId: groupIdSchema, userId, role: z.enum(['admin', 'member']) }),
    result: GroupSummarySchema,
  },
  'groups.members': {
    description: 'Members, roles and pending invitations of a group.',
    params: z.strictObject({ groupId: groupIdSchema }),
    result: z.strictObject({
      group: GroupSummarySchema,
      members: z.array(GroupMemberSchema),
      invitations: z.array(GroupInvitationSchema),
    }),
  },
  'groups.list': {
    description: 'Groups we are in, invited to, or left (most recently updated first).',
    params: empty,
    result: z.strictObject({ groups: z.array(GroupSummarySchema) }),
  },
  'groups.receipts': {
    description: 'Per-member delivery state of one of our group messages.',
    params: z.strictObject({ conversationId: id, messageId: id }),
    result: z.strictObject({
      receipts: z.array(z.strictObject({ userId, status: z.enum(['sent', 'delivered', 'read']) })),
    }),
  },
  'calls.start': {
    description:
      'Call a contact: its device rings (over its relay mailboxes if it is away: an offer older than the ring timeout becomes a missed call there). ALREADY_EXISTS while another call is live, KEY_CHANGED_UNACCEPTED when the contact key changed.',
    params: z.strictObject({ contactId: userId }),
    result: z.strictObject({ callId }),
  },
  'calls.accept': {
    description: 'Accept a call that rings here; both sides go to connecting and can exchange media signals.',
    params: z.strictObject({ callId }),
    result: z.strictObject({ call: CallSchema }),
  },
  'calls.decline': {
    description: 'Decline a call that rings here; it ends with declined on both sides.',
    params: z.strictObject({ callId }),
    result: z.strictObject({ call: CallSchema }),
  },
  'calls.hangup': {
    description: 'End a call (declines one that rings here); the other side ends with hangup.',
    params: z.strictObject({ callId }),
    result: z.strictObject({ call: CallSchema }),
  },
  'calls.signal': {
    description:
      "The local media owner hands its SDP or an ICE candidate to the daemon; the other side's media owner gets it as call.signal. Only once the call is accepted (connecting or connected).",
    params: z.strictObject({ callId, signal: MediaSignalSchema }),
    result: z.strictObject({ sent: z.literal(true) }),
  },
  'calls.media': {
    description:
      "The local media owner reports its media: connected (the call goes to connected here), or failed-ice / failed-decrypt (the call ends with that reason on both sides). Each side's media owner reports for its own side.",
    params: z.strictObject({ callId, state: z.enum(['connected', 'failed-ice', 'failed-decrypt']) }),
    result: z.strictObject({ call: CallSchema }),
  },
  'calls.mediaKeys': {
    description:
      "The call's two media keys (hex, AES-256 each) for the local media owner's frame encryption, once accepted: sendKey encrypts what we send, receiveKey decrypts what we receive (the other side's sendKey). Derived from per-call X25519 keys, both identity keys and the call id.",
    params: z.strictObject({ callId }),
    result: z.strictObject({ sendKey: hexKey, receiveKey: hexKey }),
  },
  'calls.iceServers': {
    description:
      "ICE servers for the local media owner's RTCPeerConnection: TURN on this node's relays, with time-limited credentials each relay hands out over /wren/turn/1.0.0 (asked when a call starts or rings, cached until an hour before they expire; relays without TURN are left out), and the relayOnly setting. No third-party STUN or TURN.",
    params: empty,
    result: z.strictObject({ iceServers: z.array(IceServerSchema), relayOnly: z.boolean() }),
  },
  'calls.settings': {
    description:
      'Read, and with relayOnly change, the call settings of this profile (used from the next call).',
    params: z.strictObject({ relayOnly: z.boolean().optional() }),
    result: CallSettingsSchema,
  },
  'calls.list': {
    description: 'Live calls, then ended ones (the call log), newest first.',
    params: z.strictObject({ limit: z.number().int().min(1).max(MAX_CALL_LIST_LIMIT).optional() }),
    result: z.strictObject({ calls: z.array(CallSchema) }),
  },
  'settings.get': {
    description:
      'Profile settings: the display name, and the bootstrap peers and relays saved in this profile. applied* are the lists the running node uses (command line first, then the saved ones).',
    params: empty,
    result: SettingsSchema,
  },
  'settings.set': {
    description:
      'Change the display name (used at once for new cards and outgoing messages), the saved bootstrap peers and relays (multiaddrs; relays must end in /p2p/<peer id>), and/or the lock policy (auto-lock at once; the opt-in wipe from the next wrong passphrase). Network changes apply after a restart of the daemon. INVALID_INPUT (nothing changed) when an address is not valid.',
    params: z.strictObject({
      displayName: z
        .string()
        .min(1)
        .max(MAX_DISPLAY_NAME_CHARS)
        .optional()
        .describe('leading and trailing spaces are dropped'),
      bootstrap: z.array(multiaddrText).max(MAX_NETWORK_PEERS).optional(),
      relays: z.array(multiaddrText).max(MAX_NETWORK_PEERS).optional(),
      autoLockMinutes: lockSettings.autoLockMinutes.optional(),
      wipeAfterFailedUnlocks: lockSettings.wipeAfterFailedUnlocks.optional(),
    }),
    result: SettingsSchema,
  },
  'events.subscribe': {
    description: 'Receive these events (default: all) as JSON-RPC notifications on this connection.',
    params: z.strictObject({
      events: z
        .array(z.enum(eventNames))
        .max(eventNames.length * 2)
        .optional(),
    }),
    result: z.strictObject({ subscribed: z.array(z.enum(eventNames)) }),
  },
  ...attachmentMethods(),
  ...deviceMethods(),
  ...roomMethods(),
} as const satisfies Record<string, { description: string; params: z.ZodType; result: z.ZodType }>

export type MethodName = keyof typeof methods
export const methodNames = Object.keys(methods) as [MethodName, ...MethodName[]]
export type Params<M extends MethodName> = z.infer<(typeof methods)[M]['params']>
export type Result<M extends MethodName> = z.infer<(typeof methods)[M]['result']>

export type Message = z.infer<typeof MessageSchema>
export type MessageStatus = z.infer<typeof MessageStatusSchema>
export type Identity = z.infer<typeof IdentitySchema>
export type Contact = z.infer<typeof ContactSchema>
export type Conversation = z.infer<typeof ConversationSchema>
export type GroupSummary = z.infer<typeof GroupSummarySchema>
export type GroupMember = z.infer<typeof GroupMemberSchema>
export type GroupInvitation = z.infer<typeof GroupInvitationSchema>
export type Settings = z.infer<typeof SettingsSchema>
export type Call = z.infer<typeof CallSchema>
export type CallEntry = z.infer<typeof CallEntrySchema>
export type Attachment = z.infer<typeof AttachmentSchema>
export type AutoDownload = z.infer<typeof AutoDownloadSchema>
export type Presence = z.infer<typeof PresenceSchema>
export type SearchResult = z.infer<typeof SearchResultSchema>
export type Device = z.infer<typeof DeviceSchema>
export type DeviceList = z.infer<typeof DeviceListSchema>
export type RoomSummary = z.infer<typeof RoomSummarySchema>
export type RoomState = z.infer<typeof RoomStateSchema>

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name)
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name)
}

/** Conversation id of the direct chat with a user (node/src/messaging/conversation-id.ts). */
export { directConversationId } from '../messaging/conversation-id.ts'

/**
 * What the files layer keeps in the profile database (keys in storage/layout.ts FILE_PREFIXES),
 * as zod schemas checked on every read. The attachment record holds the encoded pointer, and so
 * the file key: it lives only in the sealed store, like the message that carried it.
 */
import { z } from 'zod'
import { recordBytes, versionedRecord } from '../storage/stored-record.ts'

/**
 * out: available (served to the recipient) → uploading (to the relay replicas, for an offline
 * recipient; still served directly) → uploaded; back to available with an error when a relay
 * refuses for good; cancelled.
 * in: offered (not fetched unasked by the auto-download setting, auto-download.ts: waits for
 * attachments.download) → downloading →
 * complete; failed (the pointer or the sender's manifest is bad); cancelled.
 */
export const ATTACHMENT_STATES = [
  'available',
  'uploading',
  'uploaded',
  'offered',
  'downloading',
  'complete',
  'failed',
  'cancelled',
] as const
export type AttachmentState = (typeof ATTACHMENT_STATES)[number]

export const AttachmentRecordSchema = z.object({
  fileId: z.string(),
  messageId: z.string(),
  conversationId: z.string(),
  /** The contact the file was sent to (out; '' for a group) or came from (in). */
  peerUserId: z.string(),
  /** A file sent in a group: any current member's device may fetch it; receivers keep the relay blobs. */
  groupId: z.string().optional(),
  direction: z.enum(['in', 'out']),
  /** The encoded FilePointer (core/src/file/pointer.ts). */
  pointer: recordBytes,
  state: z.enum(ATTACHMENT_STATES),
  /** Why a download failed (no file contents, no key). */
  error: z.string().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type AttachmentRecord = z.output<typeof AttachmentRecordSchema>
export const ATTACHMENT_RECORD = versionedRecord('attachment', AttachmentRecordSchema)

/** Message id → file id. */
export const AttachmentIndexSchema = z.object({ fileId: z.string() })
export const ATTACHMENT_INDEX = versionedRecord('attachment index', AttachmentIndexSchema)

/**
 * The auto-download setting (storage/layout.ts FIXED_KEYS.fileSettings): only what the user set
 * is stored, so a default left alone follows the daemon's (auto-download.ts).
 */
export const AutoDownloadRecordSchema = z.object({
  images: z.boolean().optional(),
  files: z.boolean().optional(),
  maxMb: z.number().int().min(0).optional(),
})
export type AutoDownloadRecord = z.output<typeof AutoDownloadRecordSchema>
export const AUTO_DOWNLOAD_RECORD = versionedRecord('auto-download settings', AutoDownloadRecordSchema)

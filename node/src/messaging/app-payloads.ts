/**
 * App payloads over the pairwise sessions (groups and other layers): what a handler receives,
 * what it asks to be written with the message's session state, and the handler's type.
 */
import type { BatchOp } from '../storage/sealed-store.ts'
import type { MessageVia } from './message-path.ts'
import type { ContactRecord, MessageRecord } from './vault.ts'

/** An app payload that arrived over a pairwise session (see Messenger.registerApp). */
export interface AppDelivery {
  readonly senderUserId: string
  /** The sender's device key (Ed25519) its session is with: which of its devices sent it. */
  readonly senderDeviceKey: Uint8Array
  readonly contact: ContactRecord
  readonly payload: Uint8Array
  readonly messageId: string
  readonly receivedAt: number
  /** The path of the envelope that carried it: direct, relayed or mailbox. */
  readonly via: MessageVia
}

/**
 * What an app handler wants written atomically with the message's session state, and what to
 * run after the write. Handlers run inside the messenger's lock: they must not await messenger
 * methods (fire and forget them in `after`).
 */
export interface AppEffect {
  readonly ops?: readonly BatchOp[]
  readonly after?: () => void
}

export type AppHandler = (delivery: AppDelivery) => Promise<AppEffect>

/** What a message's attachment shows in the conversation (MessageRecord.attachment). */
export type AttachmentSummary = NonNullable<MessageRecord['attachment']>

/** A text message that carries a file pointer arrived (see Messenger.registerAttachments). */
export interface AttachmentDelivery {
  readonly contact: ContactRecord
  readonly messageId: string
  readonly conversationId: string
  /** The encoded pointer, untrusted: the handler decodes it. */
  readonly pointer: Uint8Array
}

/** The attachment accepted: its summary for the message record and what to write with it. Null: refused. */
export type AttachmentHandler = (
  delivery: AttachmentDelivery,
) => Promise<(AppEffect & { readonly summary: AttachmentSummary }) | null>

/** An outgoing message's file: its pointer, its summary, and records written with the message. */
export interface OutgoingAttachment {
  readonly pointer: Uint8Array
  readonly summary: AttachmentSummary
  readonly ops: (message: MessageRecord) => readonly BatchOp[]
}

/**
 * Sent transcripts (issue 18, Sesame's "send to own devices"; Signal's SyncMessage.Sent): a 1:1
 * text written on this device is also sent, end-to-end encrypted, to each of our own other
 * devices on our device list (not revoked), so every device's history has it. It goes as an app
 * payload (APP_SENT_TRANSCRIPT, core/src/conversation/sent-transcript.ts) through the per-device
 * slots the contacts' devices use (device-slots.ts, device-fanout.ts), with our own user id: our
 * own list stands in for a contact's pinned one.
 *
 * The receiving device stores it as an outgoing message of the conversation with that contact,
 * under the text's own message id (so once, however often it arrives), with status 'sent' as this
 * device sees it; the contact's receipts, which reach every device of ours, move it on from there.
 * Inbound accepts our own user id only from a device on our own list, and only this payload.
 *
 * Not carried: texts with a file (the file stays on the device that sent it), actions on messages
 * (edits, reactions, deletes), group messages, and texts whose transcript would exceed the app
 * payload cap (MAX_SENT_TRANSCRIPT_BYTES, over ~48 Ki four-byte characters).
 */
import { fromHex } from '../../../core/src/bytes.ts'
import {
  encodeSentTranscript,
  MAX_SENT_TRANSCRIPT_BYTES,
  type SentTranscript,
} from '../../../core/src/conversation/sent-transcript.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import { deviceSlot } from './device-slots.ts'
import type { MessengerContext } from './messenger-context.ts'
import { appItem } from './outbox-items.ts'
import { APP_SENT_TRANSCRIPT, ownContact, ownOtherDevices } from './own-devices.ts'
import type { ContactRecord, MessageRecord, OutboxItem } from './vault.ts'

export { APP_SENT_TRANSCRIPT, ownContact, ownOtherDevices }

/** The messenger's own contact record (see ownContact). */
export function ownContactOf(ctx: MessengerContext): ContactRecord | undefined {
  return ownContact(ctx.userIdString, ctx.init.identity.publicKey, ctx.init.ownDeviceList?.() ?? null)
}

/**
 * The outbox items carrying `message` (a text just composed for `peer`) to each of our other
 * devices, their orders taken from `nextOrder`. None for a text with a file, or one too large.
 */
export function transcriptItems(
  ctx: MessengerContext,
  message: MessageRecord,
  peer: string,
  nextOrder: () => number,
): OutboxItem[] {
  if (message.attachment !== undefined) return []
  const devices = ownOtherDevices(ownContactOf(ctx), ctx.init.deviceKey.publicKey)
  if (devices.length === 0) return []
  const transcript: SentTranscript = {
    peerUserId: parseUserId(peer),
    messageId: fromHex(message.id),
    text: message.text,
    sentAt: message.sentAt,
    ...(message.replyTo
      ? {
          replyTo: {
            id: fromHex(message.replyTo.messageId),
            author: parseUserId(message.replyTo.sender),
            text: message.replyTo.text,
          },
        }
      : {}),
    ...(message.forwarded ? { forwarded: true } : {}),
  }
  const payload = encodeSentTranscript(transcript)
  if (payload.length > MAX_SENT_TRANSCRIPT_BYTES) {
    ctx.init.log.debug('text too large for a sent transcript', { bytes: payload.length })
    return []
  }
  return devices.map((d) =>
    appItem(
      ctx,
      deviceSlot(ctx.userIdString, d.deviceKey),
      nextOrder(),
      message.sentAt,
      APP_SENT_TRANSCRIPT,
      payload,
    ),
  )
}

/**
 * Texts a contact's new device missed (issue 18). Between a link and our pinning the contact's
 * new list, what we write goes to the devices we know only; the new device never gets it. When
 * we pin a list that adds a device, our recent texts to that contact written since the device's
 * certificate was signed (less a clock skew allowance), within a bounded window and count, are
 * queued again to that device alone, under their own message ids. The device already holds what
 * the link copied (the message refs come with the records), so a text it has is taken as a
 * duplicate there and not shown twice. A message's status is untouched (device copies never
 * change it). Not carried: texts with a file, deleted texts; an edit goes as the current text.
 */
import { bytesEqual, fromHex, toHex } from '../../../core/src/bytes.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { CONTENT_KIND_TEXT, encodeContent } from './content.ts'
import { directConversationId } from './conversation-id.ts'
import { deviceSlot } from './device-slots.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { Outbox } from './outbox.ts'
import type { MessageRecord, OutboxItem } from './vault.ts'

/** Only texts this recent are sent again (ms): a day covers a contact offline over a link. */
export const RESEND_WINDOW_MS = 24 * 60 * 60 * 1000
/** At most this many texts per new device (the newest), so a pin costs a bounded queue. */
export const MAX_RESEND_TEXTS = 100
/** Allowance for the linking device's clock being ahead of ours (ms). */
export const RESEND_CLOCK_SKEW_MS = 5 * 60 * 1000

/**
 * Queue our recent texts to `userId` again to each of its listed devices whose certificate is
 * recent (a device just added to the pinned list) but the main session's; how many items.
 */
export async function resendToNewDevices(
  ctx: MessengerContext,
  outbox: Outbox,
  userId: string,
): Promise<number> {
  const contact = await ctx.vault.getContact(userId)
  const list = contact?.deviceList
  if (contact === undefined || list === undefined) return 0
  const now = ctx.init.now()
  const main = await ctx.sessions.get(userId)
  const revoked = new Set(list.revoked.map((k) => toHex(k)))
  const fresh = list.devices.filter(
    (d) =>
      d.createdAt >= now - RESEND_WINDOW_MS &&
      !revoked.has(toHex(d.deviceKey)) &&
      (main === null || !bytesEqual(main.deviceKey, d.deviceKey)),
  )
  if (fresh.length === 0) return 0
  const conversationId = directConversationId(userId)
  const { messages } = await ctx.vault.listMessages(conversationId, undefined, MAX_RESEND_TEXTS)
  const slots: string[] = []
  let queued = 0
  await ctx.lock.run(async () => {
    const ops: BatchOp[] = []
    let order = await ctx.vault.nextCounter('outbox')
    for (const device of fresh) {
      const since = Math.max(device.createdAt - RESEND_CLOCK_SKEW_MS, now - RESEND_WINDOW_MS)
      const texts = messages.filter(
        (m) =>
          m.direction === 'out' &&
          m.attachment === undefined &&
          m.deletedAt === undefined &&
          m.sentAt >= since,
      )
      if (texts.length === 0) continue
      const slot = deviceSlot(userId, device.deviceKey)
      slots.push(slot)
      for (const m of texts) {
        ops.push(ctx.vault.putOutboxOp(resendItem(ctx, m, slot, order, now)))
        order++
        queued++
      }
    }
    if (queued === 0) return
    ops.push(ctx.vault.counterOp('outbox', order - 1))
    await ctx.vault.store.batch(ops)
  })
  for (const slot of slots) void outbox.fanout.flush(slot)
  if (queued > 0) ctx.init.log.info('recent texts queued again to a new device', { texts: queued })
  return queued
}

/** The outbox item carrying `m` again, under its own message id, to one device's queue. */
function resendItem(
  ctx: MessengerContext,
  m: MessageRecord,
  slot: string,
  order: number,
  now: number,
): OutboxItem {
  const content = encodeContent({
    kind: CONTENT_KIND_TEXT,
    messageId: fromHex(m.id),
    text: m.text,
    sentAt: m.sentAt,
    receiptIds: [],
    senderUserId: ctx.init.userId,
    senderName: ctx.init.displayName(),
    succession: ctx.init.succession,
    ...(m.replyTo
      ? {
          replyTo: {
            id: fromHex(m.replyTo.messageId),
            author: parseUserId(m.replyTo.sender),
            text: m.replyTo.text,
          },
        }
      : {}),
    ...(m.forwarded ? { forwarded: true } : {}),
  })
  return {
    order,
    peerUserId: slot,
    kind: 'text',
    messageId: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    content,
    envelope: null,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  }
}

/**
 * Outbox items that carry no message of ours: read and delivery receipts, and app payloads
 * (groups and other layers over the pairwise sessions). Built here, delivered by the Outbox.
 */
import type { BatchOp } from '../storage/sealed-store.ts'
import { CONTENT_KIND_APP, encodeContent, MAX_RECEIPT_IDS, MESSAGE_ID_BYTES } from './content.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { OutboxItem } from './vault.ts'

/** Outbox items carrying receipts for `ids` (hex), split to the per-message limit. */
export async function receiptItemOps(
  ctx: MessengerContext,
  peer: string,
  conversationId: string,
  kind: number,
  ids: readonly string[],
): Promise<BatchOp[]> {
  const ops: BatchOp[] = []
  let order = await ctx.vault.nextCounter('outbox')
  const now = ctx.init.now()
  for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
    const chunk = ids.slice(i, i + MAX_RECEIPT_IDS).map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')))
    const content = encodeContent({
      kind,
      messageId: ctx.suite.randomBytes(MESSAGE_ID_BYTES),
      text: '',
      sentAt: now,
      receiptIds: chunk,
      senderUserId: ctx.init.userId,
      senderName: ctx.init.displayName(),
      succession: ctx.init.succession,
    })
    const item: OutboxItem = {
      order,
      peerUserId: peer,
      kind: 'receipt',
      messageId: '',
      conversationId,
      content,
      envelope: null,
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    }
    ops.push(ctx.vault.putOutboxOp(item))
    ops.push(ctx.vault.counterOp('outbox', order))
    order++
  }
  return ops
}

/** An outbox item carrying an app payload of `appKind` to `peer`. */
export function appItem(
  ctx: MessengerContext,
  peer: string,
  order: number,
  now: number,
  appKind: number,
  payload: Uint8Array,
): OutboxItem {
  const content = encodeContent({
    kind: CONTENT_KIND_APP,
    messageId: ctx.suite.randomBytes(MESSAGE_ID_BYTES),
    text: '',
    sentAt: now,
    receiptIds: [],
    senderUserId: ctx.init.userId,
    senderName: ctx.init.displayName(),
    succession: ctx.init.succession,
    appKind,
    appPayload: payload,
  })
  return {
    order,
    peerUserId: peer,
    kind: 'app',
    messageId: '',
    conversationId: '',
    content,
    envelope: null,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  }
}

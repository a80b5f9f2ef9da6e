/**
 * Message statuses driven by the outbox (sent, stored, delivered, failed, queued): the write that
 * moves a text's status, added to the caller's batch, and the event announced after it commits.
 */
import type { BatchOp } from '../storage/sealed-store.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { MessageStatus } from './records.ts'
import type { OutboxItem } from './vault.ts'

/**
 * Adds to `ops` the write that gives `item`'s message `status` (never moving it backwards) and
 * returns the event to announce once `ops` are written.
 */
export async function statusOps(
  ctx: MessengerContext,
  item: OutboxItem,
  status: MessageStatus,
  ops: BatchOp[],
  receipts?: number,
): Promise<Array<() => void>> {
  const ref =
    item.seq !== undefined
      ? { conversationId: item.conversationId, seq: item.seq }
      : await ctx.vault.getMessageRef(ctx.userIdString, item.messageId)
  if (ref === undefined) return []
  const message = await ctx.vault.getMessage(ref.conversationId, ref.seq)
  if (message === undefined) return []
  if (message.status === 'read' && status === 'delivered') return []
  if (
    (message.status === 'delivered' || message.status === 'read') &&
    (status === 'stored' || status === 'sent')
  )
    return []
  const next = { ...message, status, receipts: receipts ?? message.receipts }
  ops.push(ctx.vault.putMessageOp(next))
  return [
    () =>
      ctx.init.notify('message.status', {
        conversationId: next.conversationId,
        messageId: next.id,
        status: next.status,
        receipts: next.receipts,
      }),
  ]
}

/** Read the messages of a batch's text items in one store call before statusOps reads each. */
export async function warmMessages(ctx: MessengerContext, items: readonly OutboxItem[]): Promise<void> {
  const keys = items.flatMap((item) =>
    item.kind === 'text' && item.seq !== undefined
      ? [ctx.vault.messageKey(item.conversationId, item.seq)]
      : [],
  )
  await ctx.vault.store.warm(keys)
}

/** Give the items' messages `status` in one write under the lock, then announce it. */
export async function setStatus(
  ctx: MessengerContext,
  items: OutboxItem[],
  status: MessageStatus,
): Promise<void> {
  const events = await ctx.lock.run(async () => {
    const ops: BatchOp[] = []
    const emits: Array<() => void> = []
    for (const item of items) emits.push(...(await statusOps(ctx, item, status, ops)))
    if (ops.length > 0) await ctx.vault.store.batch(ops)
    return emits
  })
  for (const emit of events) emit()
}

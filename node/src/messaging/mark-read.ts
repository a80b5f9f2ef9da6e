/**
 * Reading a direct conversation: incoming messages up to a sequence number become 'read', the
 * unread count is recomputed, and read receipts to the sender are queued, all in one write.
 */
import type { BatchOp } from '../storage/sealed-store.ts'
import { CONTENT_KIND_READ_RECEIPT } from './content.ts'
import { ConversationNotFoundError } from './errors.ts'
import type { MessengerContext } from './messenger-context.ts'
import { receiptItemOps } from './outbox-items.ts'
import type { MessageRecord } from './records.ts'

/**
 * Mark incoming messages of `conversationId` read up to `upToSeq` (default: all) and queue read
 * receipts to `peer`; call under the lock. Returns how many messages became read.
 */
export async function markConversationRead(
  ctx: MessengerContext,
  conversationId: string,
  peer: string,
  upToSeq: number | undefined,
): Promise<number> {
  const conversation = await ctx.vault.getConversation(conversationId)
  if (conversation === undefined) throw new ConversationNotFoundError(conversationId)
  const upTo = Math.min(upToSeq ?? conversation.lastSeq, conversation.lastSeq)
  const ops: BatchOp[] = []
  const ids: string[] = []
  const now = ctx.init.now()
  let nextExpiry = conversation.nextExpiry
  for await (const [, message] of ctx.vault.messages(conversationId)) {
    if (message.seq > upTo) break
    if (message.direction !== 'in' || message.status === 'read') continue
    // a disappearing message's timer starts now that it is read
    const { expiresAfterSeconds, ...rest } = message
    const read: MessageRecord = { ...rest, status: 'read' }
    if (expiresAfterSeconds !== undefined) {
      read.expiresAt = now + expiresAfterSeconds * 1000
      nextExpiry = Math.min(nextExpiry ?? read.expiresAt, read.expiresAt)
    }
    ops.push(ctx.vault.putMessageOp(read))
    ids.push(message.id)
  }
  const unread = await countUnread(ctx, conversationId, upTo)
  ops.push(
    ctx.vault.putConversationOp({
      ...conversation,
      ...(nextExpiry !== undefined ? { nextExpiry } : {}),
      lastReadSeq: Math.max(conversation.lastReadSeq, upTo),
      unread,
    }),
  )
  ops.push(...(await receiptItemOps(ctx, peer, conversationId, CONTENT_KIND_READ_RECEIPT, ids)))
  await ctx.vault.store.batch(ops)
  return ids.length
}

async function countUnread(ctx: MessengerContext, conversationId: string, afterSeq: number): Promise<number> {
  let unread = 0
  for await (const [, message] of ctx.vault.messages(conversationId, afterSeq + 1)) {
    if (message.direction === 'in') unread++
  }
  return unread
}

/**
 * conversations.delete for a direct chat: every message of the conversation is erased from the
 * store (the search index follows the store; the caller erases their files). The conversation
 * record stays with `clearedSeq` so that seqs are never reused — an outbox item, a message ref
 * or a late action naming an erased seq finds nothing instead of a newer message — and it leaves
 * conversations.list until a new message arrives.
 */
import type { BatchOp } from '../storage/sealed-store.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { MessageRecord } from './records.ts'

/** Deletes per LevelDB batch: a long history is erased in bounded writes, the record last. */
export const CLEAR_BATCH_DELETES = 2000

/** Erase the messages of direct conversation `conversationId`; the erased ones (for their files). */
export function clearConversation(ctx: MessengerContext, conversationId: string): Promise<MessageRecord[]> {
  return ctx.lock.run(async () => {
    const conversation = await ctx.vault.getConversation(conversationId)
    if (conversation === undefined) return []
    const erased: MessageRecord[] = []
    let ops: BatchOp[] = []
    for await (const [key, message] of ctx.vault.messages(conversationId)) {
      erased.push(message)
      ops.push({ type: 'del', key })
      if (ops.length >= CLEAR_BATCH_DELETES) {
        await ctx.vault.store.batch(ops)
        ops = []
      }
    }
    ops.push(
      ctx.vault.putConversationOp({
        ...conversation,
        unread: 0,
        lastReadSeq: conversation.lastSeq,
        clearedSeq: conversation.lastSeq,
      }),
    )
    await ctx.vault.store.batch(ops)
    return erased
  })
}

/** Whether a direct conversation was deleted and nothing came since (it is then not listed). */
export function isCleared(conversation: { lastSeq: number; clearedSeq?: number | undefined }): boolean {
  return conversation.clearedSeq !== undefined && conversation.clearedSeq >= conversation.lastSeq
}

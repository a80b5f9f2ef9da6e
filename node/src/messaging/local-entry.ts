/**
 * A line of another layer in a direct conversation (a call's history entry, node/src/calls):
 * the message record and the conversation's new last sequence number, written in one batch.
 * It travels nowhere: each side writes its own line.
 */
import { directConversationId } from './conversation-id.ts'
import { newConversation } from './direct-conversation.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { MessageRecord } from './vault.ts'

/** Write the line `make` builds at the conversation's next seq; call under the lock. */
export async function appendEntry(
  ctx: MessengerContext,
  peer: string,
  make: (conversationId: string, seq: number) => MessageRecord,
): Promise<MessageRecord> {
  const conversationId = directConversationId(peer)
  const now = ctx.init.now()
  const conversation =
    (await ctx.vault.getConversation(conversationId)) ?? newConversation(conversationId, peer, now)
  const seq = conversation.lastSeq + 1
  const message: MessageRecord = { ...make(conversationId, seq), conversationId, seq }
  const unread = message.direction === 'in' && message.status !== 'read' ? 1 : 0
  await ctx.vault.store.batch([
    ctx.vault.putMessageOp(message),
    ctx.vault.putConversationOp({
      ...conversation,
      lastSeq: message.seq,
      unread: conversation.unread + unread,
      updatedAt: now,
    }),
  ])
  return message
}

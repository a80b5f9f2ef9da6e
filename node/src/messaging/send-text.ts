/**
 * Composing an outgoing text of a direct conversation: the message record, its content and the
 * outbox item, written in one batch with the conversation's new last sequence number.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { OutgoingAttachment } from './app-payloads.ts'
import { requireContact } from './contacts.ts'
import { CONTENT_KIND_TEXT, encodeContent, MESSAGE_ID_BYTES } from './content.ts'
import { newConversation } from './direct-conversation.ts'
import { ContactKeyChangedError } from './errors.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { MessageRecord, OutboxItem } from './vault.ts'

/** Queue `text` to `peer` in `conversationId`; call under the lock. The caller flushes the outbox. */
export async function queueText(
  ctx: MessengerContext,
  conversationId: string,
  peer: string,
  text: string,
  attachment?: OutgoingAttachment,
): Promise<MessageRecord> {
  const contact = await requireContact(ctx, peer)
  if (contact.keyChanged) {
    throw new ContactKeyChangedError(
      `${contact.displayName}'s identity key changed: accept it before sending`,
    )
  }
  const now = ctx.init.now()
  const conversation =
    (await ctx.vault.getConversation(conversationId)) ?? newConversation(conversationId, peer, now)
  const messageId = ctx.suite.randomBytes(MESSAGE_ID_BYTES)
  const seq = conversation.lastSeq + 1
  const message: MessageRecord = {
    id: toHex(messageId),
    conversationId,
    seq,
    direction: 'out',
    sender: ctx.userIdString,
    text,
    sentAt: now,
    receivedAt: null,
    status: 'queued',
    receipts: 0,
    ...(attachment ? { attachment: attachment.summary } : {}),
  }
  const content = encodeContent({
    kind: CONTENT_KIND_TEXT,
    messageId,
    text,
    sentAt: now,
    receiptIds: [],
    senderUserId: ctx.init.userId,
    senderName: ctx.init.displayName(),
    succession: ctx.init.succession,
    ...(attachment ? { attachment: attachment.pointer } : {}),
  })
  const order = await ctx.vault.nextCounter('outbox')
  const item: OutboxItem = {
    order,
    peerUserId: peer,
    kind: 'text',
    messageId: message.id,
    conversationId,
    seq,
    content,
    envelope: null,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  }
  await ctx.vault.store.batch([
    ctx.vault.putMessageOp(message),
    ctx.vault.putMessageRefOp(ctx.vault.messageRefKey(ctx.userIdString, message.id), {
      conversationId,
      seq,
    }),
    ctx.vault.putConversationOp({ ...conversation, lastSeq: seq, updatedAt: now }),
    ctx.vault.putOutboxOp(item),
    ctx.vault.counterOp('outbox', order),
    ...(attachment?.ops(message) ?? []),
  ])
  return message
}

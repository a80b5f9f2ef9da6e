/**
 * When a message's text is erased (deleted for everyone, or for me), the replies that quote it
 * lose their quoted line too: the text must not live on in another record. Replies come after
 * the message they answer, so only the conversation from the target's position on is read.
 */
import type { MessageRecord, Vault } from './vault.ts'

/**
 * Replies in `conversationId` (from `fromSeq` on) quoting message `targetId` of `author`, with
 * their quote emptied. `overlay` holds records changed but not yet written (key → record); those
 * it holds for the conversation are checked too.
 */
export async function scrubQuotes(
  vault: Vault,
  conversationId: string,
  fromSeq: number,
  targetId: string,
  author: string,
  overlay: ReadonlyMap<string, MessageRecord>,
): Promise<MessageRecord[]> {
  const quotes = (m: MessageRecord) =>
    m.replyTo !== undefined &&
    m.replyTo.messageId === targetId &&
    m.replyTo.sender === author &&
    m.replyTo.text !== ''
  const scrub = (m: MessageRecord): MessageRecord => ({
    ...m,
    replyTo: { ...(m.replyTo as NonNullable<MessageRecord['replyTo']>), text: '' },
  })
  const out: MessageRecord[] = []
  const seen = new Set<string>()
  for await (const [key, stored] of vault.messages(conversationId, fromSeq)) {
    seen.add(key)
    const message = overlay.get(key) ?? stored
    if (quotes(message)) out.push(scrub(message))
  }
  for (const [key, message] of overlay) {
    if (seen.has(key) || message.conversationId !== conversationId) continue
    if (quotes(message)) out.push(scrub(message))
  }
  return out
}

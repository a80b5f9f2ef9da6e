/**
 * Direct (1:1) conversations: the record a new one starts from, and the peer a direct
 * conversation id names (ConversationNotFoundError for any other id).
 */
import { peerOfDirectConversation } from './conversation-id.ts'
import { ConversationNotFoundError } from './errors.ts'
import type { ConversationRecord } from './vault.ts'

export function newConversation(id: string, peerUserId: string, now: number): ConversationRecord {
  return { id, kind: 'direct', peerUserId, lastSeq: 0, lastReadSeq: 0, unread: 0, updatedAt: now }
}

/** The other user of a direct conversation; ConversationNotFoundError for any other id. */
export function peerOfConversation(conversationId: string): string {
  const peer = peerOfDirectConversation(conversationId)
  if (peer === null) throw new ConversationNotFoundError(conversationId)
  return peer
}

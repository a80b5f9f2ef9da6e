/** conversations.*: list (direct chats and groups, the newest first), delete, update the user's flags. */
import { deleteConversation, updateConversation } from '../../app/conversation-admin.ts'
import { listConversations } from '../../app/conversations.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function conversationsHandlers({ node }: HandlerDeps): NamespaceHandlers<'conversations'> {
  return {
    'conversations.list': async () => ({ conversations: await listConversations(node.runtime()) }),

    'conversations.delete': async ({ conversationId }) => ({
      deleted: await deleteConversation(node.runtime(), conversationId),
    }),

    'conversations.update': async ({ conversationId, ...change }) =>
      updateConversation(node.runtime(), conversationId, change),
  }
}

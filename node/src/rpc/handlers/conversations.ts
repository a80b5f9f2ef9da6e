/** conversations.*: list (direct chats and groups, the newest first), delete, update the user's flags, setTimer. */
import { deleteConversation, updateConversation } from '../../app/conversation-admin.ts'
import { listConversations } from '../../app/conversations.ts'
import { isGroupConversationId } from '../../messaging/conversation-id.ts'
import { toApiMessage } from '../messaging-view.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function conversationsHandlers({ node }: HandlerDeps): NamespaceHandlers<'conversations'> {
  return {
    'conversations.list': async () => ({ conversations: await listConversations(node.runtime()) }),
    'conversations.setTimer': async ({ conversationId, seconds }) => {
      const runtime = node.runtime()
      const line = isGroupConversationId(conversationId)
        ? ((await runtime.groups.setTimer(conversationId, seconds))?.line ?? null)
        : await runtime.messenger.setTimer(conversationId, seconds)
      return { seconds, message: line === null ? null : toApiMessage(line) }
    },

    'conversations.delete': async ({ conversationId }) => ({
      deleted: await deleteConversation(node.runtime(), conversationId),
    }),

    'conversations.update': async ({ conversationId, ...change }) =>
      updateConversation(node.runtime(), conversationId, change),
  }
}

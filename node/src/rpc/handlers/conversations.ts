/** conversations.list: direct chats and groups together, the newest first; conversations.setTimer. */
import { listConversations } from '../../app/conversations.ts'
import { toApiMessage } from '../messaging-view.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function conversationsHandlers({ node }: HandlerDeps): NamespaceHandlers<'conversations'> {
  return {
    'conversations.list': async () => ({ conversations: await listConversations(node.runtime()) }),
    'conversations.setTimer': async ({ conversationId, seconds }) => {
      const line = await node.runtime().messenger.setTimer(conversationId, seconds)
      return { seconds, message: line === null ? null : toApiMessage(line) }
    },
  }
}

/** conversations.list: direct chats and groups together, the newest first. */
import { listConversations } from '../../app/conversations.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function conversationsHandlers({ node }: HandlerDeps): NamespaceHandlers<'conversations'> {
  return {
    'conversations.list': async () => ({ conversations: await listConversations(node.runtime()) }),
  }
}

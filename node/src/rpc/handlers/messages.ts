/** messages.*: send (de-duplicated by client id), list a page, mark read; direct chats and groups. */
import { listMessages, markRead, sendMessage } from '../../app/conversations.ts'
import { DEFAULT_PAGE_LIMIT } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function messagesHandlers({ node }: HandlerDeps): NamespaceHandlers<'messages'> {
  return {
    'messages.send': async ({ conversationId, text, clientId }) => ({
      message: await sendMessage(node.runtime(), conversationId, text, clientId),
    }),

    'messages.list': async ({ conversationId, before, limit }) =>
      listMessages(node.runtime(), conversationId, before, limit ?? DEFAULT_PAGE_LIMIT),

    'messages.markRead': async ({ conversationId, upToSeq }) => ({
      updated: await markRead(node.runtime(), conversationId, upToSeq),
    }),
  }
}

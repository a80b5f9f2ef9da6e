/**
 * messages.*: send (de-duplicated by client id, maybe a reply, in groups with mentions), list a
 * page, mark read, and actions on one message (react, edit, delete, pin, forward): direct chats
 * and groups alike.
 * Search: the whole history, or one conversation (node/src/search).
 */
import { listMessages, markRead, sendMessage } from '../../app/conversations.ts'
import { deleteMessage, edit, forward, pin, react } from '../../app/message-actions.ts'
import { DEFAULT_PAGE_LIMIT, DEFAULT_SEARCH_LIMIT } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function messagesHandlers({ node }: HandlerDeps): NamespaceHandlers<'messages'> {
  return {
    'messages.send': async ({ conversationId, text, clientId, replyTo, mentions }) => ({
      message: await sendMessage(node.runtime(), conversationId, text, clientId, replyTo, mentions),
    }),

    'messages.list': async ({ conversationId, before, limit }) =>
      listMessages(node.runtime(), conversationId, before, limit ?? DEFAULT_PAGE_LIMIT),

    'messages.markRead': async ({ conversationId, upToSeq }) => ({
      updated: await markRead(node.runtime(), conversationId, upToSeq),
    }),

    'messages.react': async ({ messageId, emoji }) => ({
      message: await react(node.runtime(), messageId, emoji),
    }),

    'messages.edit': async ({ messageId, text }) => ({
      message: await edit(node.runtime(), messageId, text),
    }),

    'messages.delete': async ({ messageId, forEveryone }) => ({
      message: await deleteMessage(node.runtime(), messageId, forEveryone),
    }),

    'messages.pin': async ({ messageId, pinned }) => ({
      message: await pin(node.runtime(), messageId, pinned),
    }),

    'messages.search': async ({ query, conversationId, limit, before }) => {
      const { results, next } = await node.runtime().search.search({
        query,
        limit: limit ?? DEFAULT_SEARCH_LIMIT,
        ...(conversationId !== undefined ? { conversationId } : {}),
        ...(before !== undefined ? { before } : {}),
      })
      return {
        results: results.map(({ snippet, ...hit }) => ({
          ...hit,
          snippet: snippet.text,
          highlights: snippet.highlights,
        })),
        next,
      }
    },

    'messages.forward': async ({ messageId, conversationIds }) => ({
      messages: await forward(node.runtime(), messageId, conversationIds),
    }),
  }
}

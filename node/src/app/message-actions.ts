/**
 * The RPC's actions on one message (messages.react / edit / delete / pin / forward) on the
 * running node: direct chats only for now (node/src/messaging/message-actions.ts); a group
 * message's id is not found there, and a group among forward targets is refused.
 */
import {
  ACTION_DELETE,
  ACTION_EDIT,
  ACTION_PIN,
  ACTION_REACT,
} from '../../../core/src/conversation/constants.ts'
import { InvalidInputError } from '../errors.ts'
import { isGroupConversationId } from '../messaging/conversation-id.ts'
import type { Message } from '../rpc/api.ts'
import { view } from './conversations.ts'
import type { Runtime } from './runtime.ts'

export async function react(rt: Runtime, messageId: string, emoji: string | null): Promise<Message> {
  return view(rt, await rt.messenger.act(messageId, { kind: ACTION_REACT, emoji }))
}

export async function edit(rt: Runtime, messageId: string, text: string): Promise<Message> {
  return view(rt, await rt.messenger.act(messageId, { kind: ACTION_EDIT, text }))
}

export async function deleteMessage(rt: Runtime, messageId: string, forEveryone: boolean): Promise<Message> {
  const message = forEveryone
    ? await rt.messenger.act(messageId, { kind: ACTION_DELETE })
    : await rt.messenger.deleteForMe(messageId)
  return view(rt, message)
}

export async function pin(rt: Runtime, messageId: string, pinned: boolean): Promise<Message> {
  return view(rt, await rt.messenger.act(messageId, { kind: ACTION_PIN, pinned }))
}

export async function forward(
  rt: Runtime,
  messageId: string,
  conversationIds: readonly string[],
): Promise<Message[]> {
  if (conversationIds.some(isGroupConversationId))
    throw new InvalidInputError('forwarding to groups is not supported yet')
  return (await rt.messenger.forward(messageId, conversationIds)).map((m) => view(rt, m))
}

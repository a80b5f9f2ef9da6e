/**
 * The RPC's actions on one message (messages.react / edit / delete / pin / forward) on the
 * running node, for direct chats (node/src/messaging/message-actions.ts) and groups
 * (node/src/groups/group-actions.ts) alike: a message id is looked up in the groups' id index
 * first (one prefix read), else among the direct chats. Forwards go from either kind to both.
 */
import {
  ACTION_DELETE,
  ACTION_EDIT,
  ACTION_PIN,
  ACTION_REACT,
} from '../../../core/src/conversation/constants.ts'
import { GroupConversationNotFoundError, GroupStandingError } from '../groups/errors.ts'
import { groupOfConversation } from '../groups/group-store.ts'
import { isGroupConversationId } from '../messaging/conversation-id.ts'
import { NotForwardableError } from '../messaging/errors.ts'
import type { ActionRequest } from '../messaging/message-actions.ts'
import { peerOfConversation } from '../messaging/messenger.ts'
import type { MessageRecord } from '../messaging/records.ts'
import type { Message } from '../rpc/api.ts'
import { toApiMessage } from '../rpc/messaging-view.ts'
import { view } from './conversations.ts'
import type { Runtime } from './runtime.ts'

async function act(rt: Runtime, messageId: string, request: ActionRequest): Promise<Message> {
  if (await rt.groups.messages.has(messageId))
    return toApiMessage(await rt.groups.messages.act(messageId, request))
  return view(rt, await rt.messenger.act(messageId, request))
}

export function react(rt: Runtime, messageId: string, emoji: string | null): Promise<Message> {
  return act(rt, messageId, { kind: ACTION_REACT, emoji })
}

export function edit(rt: Runtime, messageId: string, text: string): Promise<Message> {
  return act(rt, messageId, { kind: ACTION_EDIT, text })
}

export async function deleteMessage(rt: Runtime, messageId: string, forEveryone: boolean): Promise<Message> {
  if (forEveryone) return act(rt, messageId, { kind: ACTION_DELETE })
  if (await rt.groups.messages.has(messageId))
    return toApiMessage(await rt.groups.messages.deleteForMe(messageId))
  return view(rt, await rt.messenger.deleteForMe(messageId))
}

export function pin(rt: Runtime, messageId: string, pinned: boolean): Promise<Message> {
  return act(rt, messageId, { kind: ACTION_PIN, pinned })
}

/** A group conversation we can post to; checked before anything is sent. */
function requireMemberGroup(rt: Runtime, conversationId: string): void {
  const groupId = groupOfConversation(conversationId)
  const g = groupId === null ? undefined : rt.groups.group(groupId)
  if (g === undefined) throw new GroupConversationNotFoundError(conversationId)
  if (g.record.status !== 'member') throw new GroupStandingError(`we are not a member of group ${groupId}`)
}

export async function forward(
  rt: Runtime,
  messageId: string,
  conversationIds: readonly string[],
): Promise<Message[]> {
  const fromGroup = await rt.groups.messages.has(messageId)
  const targets = [...new Set(conversationIds)]
  if (!fromGroup && !targets.some(isGroupConversationId))
    return (await rt.messenger.forward(messageId, targets)).map((m) => view(rt, m))
  const source: MessageRecord = fromGroup
    ? await rt.groups.messages.message(messageId)
    : await rt.messenger.message(messageId)
  if (source.deletedAt !== undefined) throw new NotForwardableError('it was deleted')
  if (source.attachment !== undefined) throw new NotForwardableError('it carries a file')
  for (const id of targets) {
    if (isGroupConversationId(id)) requireMemberGroup(rt, id)
    else await rt.messenger.requireContact(peerOfConversation(id))
  }
  return Promise.all(
    targets.map(async (id) =>
      isGroupConversationId(id)
        ? toApiMessage(await rt.groups.messages.send(id, source.text, { forwarded: true, mentions: [] }))
        : view(rt, await rt.messenger.sendText(id, source.text, undefined, { forwarded: true })),
    ),
  )
}

/**
 * The user's conversations across the two kinds the node runs: direct chats (messaging, ids
 * 'dm:<userId>') and groups (groups, ids 'grp:<groupId>'). One view for the RPC methods
 * conversations.list and messages.send / list / markRead, which name a conversation by id and
 * do not care which service holds it.
 */
import { InvalidInputError, NotFoundError } from '../errors.ts'
import type { GroupService } from '../groups/group-service.ts'
import { groupOfConversation } from '../groups/group-store.ts'
import { isCleared } from '../messaging/clear-conversation.ts'
import { isGroupConversationId } from '../messaging/conversation-id.ts'
import { getConversationPrefs, updateConversationPrefs } from '../messaging/conversation-prefs.ts'
import { peerOfConversation } from '../messaging/messenger.ts'
import type { Conversation, Message } from '../rpc/api.ts'
import { toApiMessage } from '../rpc/messaging-view.ts'
import type { Runtime } from './runtime.ts'

export interface MessagePage {
  readonly messages: Message[]
  readonly hasMore: boolean
}

const isGroupConversation = isGroupConversationId

/** A direct message as the RPC shows it, with why it waits when it is not delivered yet. */
export function view(rt: Runtime, message: Parameters<typeof toApiMessage>[0]): Message {
  return toApiMessage(message, rt.messenger.waitingOf(message))
}

/**
 * Every conversation, the newest first (groups we were only invited to are left out, and direct
 * chats deleted with nothing new since, unless `includeCleared`), with the user's flags.
 */
export async function listConversations(
  rt: Runtime,
  options: { includeCleared?: boolean } = {},
): Promise<Conversation[]> {
  const contacts = new Map((await rt.vault.listContacts()).map((c) => [c.userId, c]))
  const conversations: Conversation[] = []
  for (const record of await rt.vault.listConversations()) {
    if (options.includeCleared !== true && isCleared(record)) continue
    const last = record.lastSeq > 0 ? await rt.vault.getMessage(record.id, record.lastSeq) : undefined
    conversations.push({
      id: record.id,
      kind: 'direct',
      peerUserId: record.peerUserId,
      groupId: null,
      title: contacts.get(record.peerUserId)?.displayName ?? record.peerUserId,
      lastMessage: last === undefined ? null : view(rt, last),
      unread: record.unread,
      updatedAt: record.updatedAt,
    })
  }
  conversations.push(...(await groupConversations(rt.groups)))
  conversations.sort((a, b) => b.updatedAt - a.updatedAt)
  for (const c of conversations) {
    const prefs = await getConversationPrefs(rt.vault, c.id)
    c.muted = prefs.muted
    c.archived = prefs.archived
    c.markedUnread = prefs.markedUnread
  }
  return conversations
}

async function groupConversations(service: GroupService): Promise<Conversation[]> {
  const out: Conversation[] = []
  for (const summary of service.list()) {
    if (summary.status === 'invited') continue
    const c = service.requireGroup(summary.groupId).record.conversation
    const lastMessage: Parameters<typeof toApiMessage>[0] | null =
      c.lastSeq > 0 ? ((await service.store.getMessage(summary.conversationId, c.lastSeq)) ?? null) : null
    out.push({
      id: summary.conversationId,
      kind: 'group',
      peerUserId: null,
      groupId: summary.groupId,
      title: summary.name,
      lastMessage: lastMessage === null ? null : toApiMessage(lastMessage),
      unread: c.unread,
      mentionUnread: c.mentionUnread ?? 0,
      updatedAt: c.updatedAt,
    })
  }
  return out
}

/**
 * Send a text. With a client id, a retry of a send that went through returns the message sent
 * then instead of sending it twice.
 */
export async function sendMessage(
  rt: Runtime,
  conversationId: string,
  text: string,
  clientId: string | undefined,
  replyTo?: string,
  mentions?: readonly string[],
): Promise<Message> {
  const group = isGroupConversation(conversationId)
  if (mentions !== undefined && !group) throw new InvalidInputError('mentions are for group messages')
  const clientKey = clientId === undefined ? null : rt.vault.clientIdKey(conversationId, clientId)
  if (clientKey !== null) {
    const ref = await rt.vault.getClientIdRef(clientKey)
    if (ref !== undefined) {
      const message = await rt.vault.getMessage(ref.conversationId, ref.seq)
      if (message !== undefined) return view(rt, message)
    }
  }
  const message = group
    ? toApiMessage(
        await rt.groups.messages.send(conversationId, text, {
          ...(replyTo === undefined ? {} : { replyTo }),
          ...(mentions === undefined ? {} : { mentions }),
        }),
      )
    : view(
        rt,
        await rt.messenger.sendText(
          conversationId,
          text,
          undefined,
          replyTo === undefined ? {} : { replyTo },
        ),
      )
  if (clientKey !== null)
    await rt.vault.store.batch([rt.vault.putMessageRefOp(clientKey, { conversationId, seq: message.seq })])
  return message
}

/** A page of a conversation's messages. NOT_FOUND for a group we do not hold or an unknown contact. */
export async function listMessages(
  rt: Runtime,
  conversationId: string,
  before: number | undefined,
  limit: number,
): Promise<MessagePage> {
  if (isGroupConversation(conversationId)) {
    const groupId = groupOfConversation(conversationId)
    if (groupId === null || rt.groups.group(groupId) === undefined)
      throw new NotFoundError(`no conversation ${conversationId}`)
    const page = await rt.groups.store.vault.listMessages(conversationId, before, limit)
    return { ...page, messages: page.messages.map((m) => toApiMessage(m)) }
  }
  const conversation = await rt.vault.getConversation(conversationId)
  if (conversation === undefined) {
    await rt.messenger.requireContact(peerOfConversation(conversationId))
    return { messages: [], hasMore: false }
  }
  const page = await rt.vault.listMessages(conversationId, before, limit)
  return { ...page, messages: page.messages.map((m) => view(rt, m)) }
}

/**
 * Mark messages read up to `upToSeq` (default: all); the number of messages that changed. A
 * conversation marked unread by the user is unmarked.
 */
export async function markRead(
  rt: Runtime,
  conversationId: string,
  upToSeq: number | undefined,
): Promise<number> {
  const updated = await (isGroupConversation(conversationId)
    ? rt.groups.messages.markRead(conversationId, upToSeq)
    : rt.messenger.markRead(conversationId, upToSeq))
  if ((await getConversationPrefs(rt.vault, conversationId)).markedUnread)
    await updateConversationPrefs(rt.vault, conversationId, { markedUnread: false })
  return updated
}

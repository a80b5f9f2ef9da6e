/**
 * Conversation management across direct chats and groups: delete a conversation here (its
 * messages, their files; the search index follows the store), and the user's flags on it (mute,
 * archive, marked unread). A group's conversation keeps its membership: deleting it erases its
 * history only (groups.leave is how one leaves).
 */
import { NotFoundError } from '../errors.ts'
import { groupOfConversation } from '../groups/group-store.ts'
import { isGroupConversationId } from '../messaging/conversation-id.ts'
import {
  type ConversationPrefs,
  deleteConversationPrefs,
  updateConversationPrefs,
} from '../messaging/conversation-prefs.ts'
import { peerOfConversation } from '../messaging/messenger.ts'
import type { MessageRecord } from '../messaging/records.ts'
import type { Conversation } from '../rpc/api.ts'
import { listConversations } from './conversations.ts'
import type { Runtime } from './runtime.ts'

/** Group messages erased per write. */
const GROUP_CLEAR_BATCH = 2000

/** Erase a conversation's messages and files here; the number of messages erased. */
export async function deleteConversation(rt: Runtime, conversationId: string): Promise<number> {
  let erased: MessageRecord[]
  if (isGroupConversationId(conversationId)) {
    requireGroup(rt, conversationId)
    erased = await clearGroupMessages(rt, conversationId)
    await rt.groups.messages.markRead(conversationId, undefined)
  } else {
    await rt.messenger.requireContact(peerOfConversation(conversationId))
    erased = await rt.messenger.clearConversation(conversationId)
  }
  for (const message of erased) if (message.attachment !== undefined) await rt.files.forget(message.id)
  await deleteConversationPrefs(rt.vault, conversationId)
  return erased.length
}

/** Set the user's flags on a conversation; the conversation as conversations.list shows it now. */
export async function updateConversation(
  rt: Runtime,
  conversationId: string,
  change: { mute?: boolean; archived?: boolean; unread?: boolean },
): Promise<Conversation> {
  const before = await findConversation(rt, conversationId)
  const prefs: Partial<ConversationPrefs> = {}
  if (change.mute !== undefined) prefs.muted = change.mute
  if (change.archived !== undefined) prefs.archived = change.archived
  if (change.unread !== undefined) prefs.markedUnread = change.unread
  await updateConversationPrefs(rt.vault, conversationId, prefs)
  return (await findConversation(rt, conversationId)) ?? before
}

async function findConversation(rt: Runtime, conversationId: string): Promise<Conversation> {
  const found = (await listConversations(rt, { includeCleared: true })).find((c) => c.id === conversationId)
  if (found === undefined) throw new NotFoundError(`no conversation ${conversationId}`)
  return found
}

function requireGroup(rt: Runtime, conversationId: string): void {
  const groupId = groupOfConversation(conversationId)
  if (groupId === null || rt.groups.group(groupId) === undefined)
    throw new NotFoundError(`no conversation ${conversationId}`)
}

/** A group conversation's messages, erased in bounded writes (the group keeps its seq counter). */
async function clearGroupMessages(rt: Runtime, conversationId: string): Promise<MessageRecord[]> {
  const vault = rt.groups.store.vault
  const erased: MessageRecord[] = []
  let keys: string[] = []
  const flush = async () => {
    await vault.store.batch(keys.map((key) => ({ type: 'del' as const, key })))
    keys = []
  }
  for await (const [key, message] of vault.messages(conversationId)) {
    erased.push(message)
    keys.push(key)
    if (keys.length >= GROUP_CLEAR_BATCH) await flush()
  }
  if (keys.length > 0) await flush()
  return erased
}

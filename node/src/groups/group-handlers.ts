/**
 * RPC handlers of the groups.* methods, and the group side of conversations and messages
 * (conversation ids 'grp:<groupId>'), for node/src/app/handlers.ts to mount.
 */
import type { Conversation, Message } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import type { Handlers } from '../rpc/server.ts'
import type { GroupService } from './group-service.ts'
import { groupOfConversation } from './group-store.ts'

type GroupMethods =
  | 'groups.create'
  | 'groups.invite'
  | 'groups.accept'
  | 'groups.decline'
  | 'groups.leave'
  | 'groups.remove'
  | 'groups.rename'
  | 'groups.setRole'
  | 'groups.members'
  | 'groups.list'
  | 'groups.receipts'

export function groupHandlers(groups: () => GroupService): Pick<Handlers, GroupMethods> {
  return {
    'groups.create': async ({ name, members }) => groups().create(name, members ?? []),
    'groups.invite': async ({ groupId, userId, role }) => groups().invite(groupId, userId, role ?? 'member'),
    'groups.accept': async ({ groupId }) => groups().accept(groupId),
    'groups.decline': async ({ groupId }) => groups().decline(groupId),
    'groups.leave': async ({ groupId }) => groups().leave(groupId),
    'groups.remove': async ({ groupId, userId }) => groups().remove(groupId, userId),
    'groups.rename': async ({ groupId, name }) => groups().rename(groupId, name),
    'groups.setRole': async ({ groupId, userId, role }) => groups().setRole(groupId, userId, role),
    'groups.members': async ({ groupId }) => {
      const service = groups()
      const group = service.summary(service.requireGroup(groupId))
      return { group, ...(await service.members(groupId)) }
    },
    'groups.list': async () => ({ groups: groups().list() }),
    'groups.receipts': async ({ conversationId, messageId }) => ({
      receipts: await groups().messages.receipts(conversationId, messageId),
    }),
  }
}

export { isGroupConversationId as isGroupConversation } from '../messaging/conversation-id.ts'

/** Group conversations for conversations.list (groups we were only invited to are left out). */
export async function groupConversations(service: GroupService): Promise<Conversation[]> {
  const out: Conversation[] = []
  for (const summary of service.list()) {
    if (summary.status === 'invited') continue
    const g = service.requireGroup(summary.groupId)
    const c = g.record.conversation
    const lastMessage =
      c.lastSeq > 0 ? ((await service.store.getMessage(summary.conversationId, c.lastSeq)) ?? null) : null
    out.push({
      id: summary.conversationId,
      kind: 'group',
      peerUserId: null,
      groupId: summary.groupId,
      title: summary.name,
      lastMessage,
      unread: c.unread,
      updatedAt: c.updatedAt,
    })
  }
  return out
}

/** messages.list for a group conversation: NOT_FOUND unless we hold the group. */
export async function listGroupMessages(
  service: GroupService,
  conversationId: string,
  before: number | undefined,
  limit: number,
): Promise<{ messages: Message[]; hasMore: boolean }> {
  const groupId = groupOfConversation(conversationId)
  if (groupId === null || service.group(groupId) === undefined)
    throw appError('NOT_FOUND', `no conversation ${conversationId}`)
  return service.store.vault.listMessages(conversationId, before, limit)
}

/** groups.*: the group service's operations, as the API names them. */
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function groupsHandlers({ node }: HandlerDeps): NamespaceHandlers<'groups'> {
  const groups = () => node.runtime().groups
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

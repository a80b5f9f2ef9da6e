/** typing.*: tell a contact, or a group's members, that we type (over live connections only), and the on/off setting. */
import { groupOfConversationId } from '../../messaging/conversation-id.ts'
import { peerOfConversation } from '../../messaging/messenger.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function typingHandlers({ node }: HandlerDeps): NamespaceHandlers<'typing'> {
  return {
    'typing.set': async ({ conversationId, typing }) => {
      const rt = node.runtime()
      const groupId = groupOfConversationId(conversationId)
      if (groupId !== null) {
        rt.groups.requireGroup(groupId)
        return { sent: await rt.ephemeral.setGroupTyping(groupId, typing) }
      }
      const peer = peerOfConversation(conversationId)
      await rt.messenger.requireContact(peer)
      return { sent: await rt.ephemeral.setTyping(peer, typing) }
    },

    'typing.configure': async ({ enabled }) => {
      const { ephemeral } = node.runtime()
      const settings =
        enabled === undefined ? ephemeral.settings : await ephemeral.configure({ typing: enabled })
      return { enabled: settings.typing }
    },
  }
}

/** attachments.*: send a local file in a direct conversation, follow its transfer, save it, cancel it. */
import { toApiAttachment } from '../files-view.ts'
import { toApiMessage } from '../messaging-view.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

export function attachmentsHandlers({ node }: HandlerDeps): NamespaceHandlers<'attachments'> {
  return {
    'attachments.send': async ({ conversationId, path, caption }) => {
      const rt = node.runtime()
      const message = await rt.files.send(conversationId, path, caption ?? '')
      return { message: toApiMessage(message, rt.messenger.waitingOf(message)) }
    },

    'attachments.get': async ({ messageId }) => toApiAttachment(await node.runtime().files.get(messageId)),

    'attachments.save': async ({ messageId, path, overwrite }) =>
      node.runtime().files.save(messageId, path, overwrite ?? false),

    'attachments.download': async ({ messageId }) =>
      toApiAttachment(await node.runtime().files.download(messageId)),

    'attachments.cancel': async ({ messageId }) =>
      toApiAttachment(await node.runtime().files.cancel(messageId)),
  }
}

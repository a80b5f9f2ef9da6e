/** attachments.*: send a local file, follow its transfer, save it, cancel it; the auto-download setting. */
import { toApiAttachment } from '../files-view.ts'
import { toApiMessage } from '../messaging-view.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

/** Bytes in a MiB (the setting's maxMb). */
const MIB = 1024 * 1024

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

    'attachments.settings': async ({ autoDownload }) => {
      const files = node.runtime().files
      const policy =
        autoDownload === undefined ? await files.autoDownload() : await files.setAutoDownload(autoDownload)
      return {
        autoDownload: { images: policy.images, files: policy.files, maxMb: policy.maxBytes / MIB },
      }
    },

    'attachments.cancel': async ({ messageId }) =>
      toApiAttachment(await node.runtime().files.cancel(messageId)),
  }
}

/** @jsxImportSource preact */
/** Files this page is sending, above the composer: progress, then gone when the message shows; a failed one offers retry. */
import type { JSX } from 'preact'
import { Icon } from './icons.tsx'
import { type PendingUpload, uploadPercent, uploadWords } from './logic/attachment-view.ts'
import type { ChatStore } from './logic/chat-store.ts'
import { formatBytes } from './logic/file-card.ts'

export function UploadsBar({
  chat,
  uploads,
}: {
  chat: ChatStore
  uploads: readonly PendingUpload[]
}): JSX.Element | null {
  if (uploads.length === 0) return null
  return (
    <ul class="uploads" aria-label="Files being sent">
      {uploads.map((u) => (
        <li key={u.id} class="upload" data-state={u.error ? 'failed' : u.sealing ? 'sealing' : 'uploading'}>
          <Icon name="file" size={18} />
          <span class="file-text">
            <span class="file-name" title={u.name}>
              {u.name}
            </span>
            <span class={u.error ? 'file-error' : 'file-info'} role={u.error ? 'alert' : undefined}>
              {formatBytes(u.size)} · {uploadWords(u)}
            </span>
            {!u.error && (
              <progress
                class="file-progress"
                max={100}
                value={uploadPercent(u)}
                aria-label={`${u.name}: ${uploadWords(u)}`}
              />
            )}
          </span>
          {u.error && (
            <button type="button" class="secondary small-button" onClick={() => chat.retryUpload(u.id)}>
              Retry
            </button>
          )}
          <button
            type="button"
            class="icon-button small"
            onClick={() => chat.dismissUpload(u.id)}
            aria-label={u.error ? `Dismiss ${u.name}` : `Cancel sending ${u.name}`}
          >
            <Icon name="close" size={16} />
          </button>
        </li>
      ))}
    </ul>
  )
}

/** @jsxImportSource preact */
/**
 * The file a message carries, as a card: name, size, the transfer's state and progress (from
 * attachments.get, then attachment.* events), and a Download (a file the auto-download setting left offered) or Save
 * button; an image shows above it (file-preview.tsx).
 */
import type { JSX } from 'preact'
import { useContext, useEffect, useState } from 'preact/hooks'
import type { Message } from '../../node/src/rpc/api.ts'
import { FilePreview } from './file-preview.tsx'
import { Icon } from './icons.tsx'
import {
  applyTransferEvent,
  fileButton,
  formatBytes,
  percent,
  type TransferView,
  transferWords,
} from './logic/file-card.ts'
import { describeError } from './logic/rpc-errors.ts'
import { MessageActionsContext } from './message-actions-context.ts'

export function FileCard({ message }: { message: Message }): JSX.Element | null {
  const api = useContext(MessageActionsContext)
  const file = message.attachment
  const [view, setView] = useState<TransferView | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (!api || !file) return
    let live = true
    const off = api.files.follow(message.id, (e) =>
      setView((v) => (v === null ? v : applyTransferEvent(v, e))),
    )
    api.files.get(message.id).then(
      (a) => live && setView(a),
      (e) => live && setError(describeError(e)),
    )
    return () => {
      live = false
      off()
    }
  }, [api, message.id, file?.fileId])
  if (!file) return null
  const button = view ? fileButton(view) : null
  const download = async () => {
    if (!api) return
    setError(null)
    try {
      setView(await api.files.download(message.id))
    } catch (e) {
      setError(describeError(e))
    }
  }
  const busy = view?.state === 'downloading' || view?.state === 'uploading'
  return (
    <>
      <FilePreview message={message} view={view} />
      <div class="file-card" data-state={view?.state ?? 'loading'}>
        <span class="file-icon" aria-hidden="true">
          <Icon name="file" size={22} />
        </span>
        <span class="file-text">
          <span class="file-name" title={file.name}>
            {file.name}
          </span>
          <span class="file-info">
            {formatBytes(file.size)}
            {view && ` · ${transferWords(view)}`}
          </span>
          {busy && view && (
            <progress
              class="file-progress"
              max={100}
              value={percent(view)}
              aria-label={`${file.name}: ${transferWords(view)}`}
            />
          )}
          {(error ?? view?.error) && view?.state !== 'failed' && (
            <span class="file-error" role="alert">
              {error ?? view?.error}
            </span>
          )}
        </span>
        {button === 'download' && (
          <button
            type="button"
            class="secondary small-button"
            onClick={download}
            aria-label={`Download ${file.name}`}
          >
            Download
          </button>
        )}
        {button === 'save' && api && (
          <button
            type="button"
            class="secondary small-button"
            onClick={() => api.saveFile(message)}
            aria-label={`Save ${file.name}`}
          >
            Save…
          </button>
        )}
      </div>
    </>
  )
}

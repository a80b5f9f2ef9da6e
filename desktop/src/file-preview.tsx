/** @jsxImportSource preact */
/**
 * The picture of an image message above its file card: the pointer's thumbnail while the file is
 * on its way (when the sender put one; none, and the card stands alone), then the whole image
 * once it is here — if the daemon, sniffing its bytes, says it is one (png, jpeg, webp, gif).
 * Both come from the daemon's endpoint as same-origin URLs. A click opens it larger.
 */
import type { JSX } from 'preact'
import { useContext, useEffect, useState } from 'preact/hooks'
import type { Message } from '../../node/src/rpc/api.ts'
import { Dialog } from './dialog.tsx'
import { contentUrl, previewSource, thumbnailUrl } from './logic/attachment-view.ts'
import type { TransferView } from './logic/file-card.ts'
import { MessageActionsContext } from './message-actions-context.ts'

export function FilePreview({
  message,
  view,
}: {
  message: Message
  view: TransferView | null
}): JSX.Element | null {
  const api = useContext(MessageActionsContext)
  const file = message.attachment
  const source = view && file ? previewSource(view, file.mediaType) : null
  const [image, setImage] = useState(false)
  const [thumbnail, setThumbnail] = useState(true)
  const [large, setLarge] = useState(false)
  useEffect(() => {
    if (source !== 'content' || !api) return
    let live = true
    api.files.isImage(message.id).then(
      (yes) => live && setImage(yes),
      () => live && setImage(false),
    )
    return () => {
      live = false
    }
  }, [api, source, message.id])
  if (!file) return null
  if (source === 'content' && image)
    return (
      <>
        <button
          type="button"
          class="file-image"
          onClick={() => setLarge(true)}
          aria-label={`Open ${file.name} larger`}
        >
          <img src={contentUrl(message.id)} alt={file.name} decoding="async" />
        </button>
        {large && (
          <Dialog title={file.name} wide onClose={() => setLarge(false)}>
            <img class="image-large" src={contentUrl(message.id)} alt={file.name} />
          </Dialog>
        )}
      </>
    )
  if (source === 'thumbnail' && thumbnail)
    return (
      <span class="file-image thumbnail">
        <img
          src={thumbnailUrl(message.id)}
          alt={`${file.name} (preview)`}
          onError={() => setThumbnail(false)}
        />
      </span>
    )
  return null
}

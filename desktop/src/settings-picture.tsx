/** @jsxImportSource preact */
/**
 * Settings: our profile picture. The page scales the chosen image down (canvas, upright from its
 * EXIF orientation, re-encoded as JPEG: no metadata leaves the page) and hands it to the daemon,
 * which makes the 96 px picture and sends it to every contact (identity.setPicture).
 */
import type { JSX } from 'preact'
import { useRef } from 'preact/hooks'
import { Avatar } from './avatar.tsx'
import type { AppStore } from './logic/app-store.ts'
import { useAction } from './use-action.ts'
import { useStore } from './use-store.ts'

/** Longest side the page sends, in px: well above the daemon's 96 px, well under its 512 KiB cap. */
const UPLOAD_SIDE_PX = 512
/** JPEG quality of the upload (the daemon re-encodes it anyway). */
const UPLOAD_QUALITY = 0.9

/** The image in `file` as a JPEG of at most UPLOAD_SIDE_PX a side, base64. */
async function scaledJpegBase64(file: File): Promise<string> {
  const bitmap = await createImageBitmap(file)
  const scale = Math.min(1, UPLOAD_SIDE_PX / Math.max(bitmap.width, bitmap.height))
  const canvas = document.createElement('canvas')
  canvas.width = Math.max(1, Math.round(bitmap.width * scale))
  canvas.height = Math.max(1, Math.round(bitmap.height * scale))
  const context = canvas.getContext('2d')
  if (context === null) throw new Error('this browser cannot draw the picture')
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  bitmap.close()
  const blob = await new Promise<Blob | null>((resolve) =>
    canvas.toBlob(resolve, 'image/jpeg', UPLOAD_QUALITY),
  )
  if (blob === null) throw new Error('the picture could not be encoded')
  const bytes = new Uint8Array(await blob.arrayBuffer())
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

export function PictureSettings({ app }: { app: AppStore }): JSX.Element {
  const state = useStore(app)
  const action = useAction()
  const input = useRef<HTMLInputElement>(null)
  const me = state.identity
  const hasPicture = me !== null && state.pictures.has(me.userId)

  const choose = (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0]
    if (file === undefined) return
    void action.run('set', async () => app.setPicture(await scaledJpegBase64(file)))
    if (input.current !== null) input.current.value = ''
  }

  return (
    <section class="stack" aria-label="Profile picture">
      <div class="picture-settings">
        {me !== null && <Avatar name={me.displayName} id={me.userId} size={64} />}
        <button
          type="button"
          class="secondary"
          disabled={action.busy !== null}
          onClick={() => input.current?.click()}
        >
          {action.busy === 'set' ? 'Sending…' : hasPicture ? 'Change picture' : 'Choose a picture'}
        </button>
        <input
          ref={input}
          type="file"
          accept="image/jpeg,image/png,image/webp"
          hidden
          tabIndex={-1}
          aria-label="Profile picture file"
          onChange={choose}
        />
        {hasPicture && (
          <button
            type="button"
            class="secondary"
            disabled={action.busy !== null}
            onClick={() => void action.run('remove', () => app.setPicture(null))}
          >
            Remove
          </button>
        )}
      </div>
      <p class="muted small">Sent to your contacts only, end-to-end encrypted; others see your identicon.</p>
      {action.error && (
        <p class="error small" role="alert">
          {action.error}
        </p>
      )}
    </section>
  )
}

/**
 * What the page shows of a message's file beyond its card: the same-origin URLs of the daemon's
 * attachments endpoint (forwarded by desktop/server.ts), which preview to try, and the words of
 * an upload in progress. Pure.
 *
 * Whether a file is an image is decided by the daemon from its bytes (the Content-Type of the
 * endpoint's answer, one of INLINE_IMAGE_TYPES); the name and the sender's media type never are.
 */
import type { Attachment } from '../../../node/src/rpc/api.ts'

/** The image types the endpoint may answer with; anything else is shown as a file card only. */
export const INLINE_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif']

const PREFIX = '/attachments'

/** The file's plaintext (an image is shown inline from it). */
export function contentUrl(messageId: string): string {
  return `${PREFIX}/${encodeURIComponent(messageId)}`
}

/** The pointer's thumbnail (404 when it has none). */
export function thumbnailUrl(messageId: string): string {
  return `${contentUrl(messageId)}/thumbnail`
}

/** The upload that sends `name` to a conversation (POST the bytes). */
export function uploadUrl(conversationId: string, name: string): string {
  return `${PREFIX}?${new URLSearchParams({ conversationId, name })}`
}

/** Whether a Content-Type the endpoint answered names an image to show inline. */
export function isInlineImage(contentType: string | null): boolean {
  if (contentType === null) return false
  return INLINE_IMAGE_TYPES.includes(contentType.split(';')[0]!.trim().toLowerCase())
}

/** Whole here: a received file that completed, or one we sent and did not cancel. */
export function isReady(view: Pick<Attachment, 'direction' | 'state'>): boolean {
  return view.direction === 'in' ? view.state === 'complete' : view.state !== 'cancelled'
}

/**
 * The preview to try: the whole file once it is here (its type is then asked of the daemon), the
 * pointer's thumbnail while it is not, for a file the sender called an image (a hint only: the
 * daemon serves a thumbnail only when its bytes are an image); none for a cancelled or failed one.
 */
export function previewSource(
  view: Pick<Attachment, 'direction' | 'state'>,
  claimedType: string,
): 'content' | 'thumbnail' | null {
  if (isReady(view)) return 'content'
  if (view.state === 'cancelled' || view.state === 'failed') return null
  return claimedType.toLowerCase().startsWith('image/') ? 'thumbnail' : null
}

/** An upload from this page, before its message exists. */
export interface PendingUpload {
  readonly id: number
  readonly name: string
  readonly size: number
  /** Bytes the daemon has taken so far. */
  readonly sent: number
  /** All bytes are with the daemon, which is sealing the file and sending its message. */
  readonly sealing: boolean
  readonly error: string | null
}

/** Whole percent of an upload, 0–100. */
export function uploadPercent(u: Pick<PendingUpload, 'sent' | 'size'>): number {
  if (u.size === 0) return 100
  return Math.min(100, Math.floor((u.sent / u.size) * 100))
}

/** The line under a pending upload's name. */
export function uploadWords(u: PendingUpload): string {
  if (u.error !== null) return `Not sent: ${u.error}`
  if (u.sealing) return 'Encrypting and sending…'
  return `Uploading ${uploadPercent(u)} %`
}

/** Words for an endpoint's error answer ({ error, message } JSON, or nothing readable). */
export function uploadErrorWords(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown }
    if (typeof parsed.message === 'string' && parsed.message !== '') return parsed.message
  } catch {
    // not JSON: say what the status says
  }
  if (status === 0) return 'the daemon could not be reached'
  if (status === 413) return 'the file is too large to send from here'
  return `the daemon answered ${status}`
}

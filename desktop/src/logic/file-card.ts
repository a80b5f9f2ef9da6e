/**
 * The words of a file card: sizes, a transfer's state and progress, and which button it offers.
 * Pure: the card feeds it attachments.get answers and attachment.* events.
 */
import type { Attachment, EventPayload } from '../../../node/src/rpc/api.ts'

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const

/** Bytes as people read them (1000-based, like file managers on Linux and macOS): "4.2 MB". */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  if (unit === 0) return `${bytes} B`
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`
}

/** What the card knows of a transfer: the attachments.get answer, updated by events. */
export type TransferView = Pick<Attachment, 'direction' | 'state' | 'bytes' | 'size' | 'via' | 'error'>

/** Merge an attachment.progress or attachment.state event into what the card shows. */
export function applyTransferEvent(
  view: TransferView,
  event: EventPayload<'attachment.progress'> | EventPayload<'attachment.state'>,
): TransferView {
  if ('state' in event) {
    const { error: _old, ...rest } = view
    return {
      ...rest,
      state: event.state,
      ...(event.via ? { via: event.via } : {}),
      ...(event.error ? { error: event.error } : {}),
      ...(event.state === 'complete' ? { bytes: view.size } : {}),
    }
  }
  return { ...view, bytes: Math.max(view.bytes, event.bytes) }
}

/** Whole percent of a transfer, 0–100 (a finished one is 100 even when size is 0). */
export function percent(view: TransferView): number {
  if (view.size === 0) return view.state === 'complete' ? 100 : 0
  return Math.min(100, Math.floor((view.bytes / view.size) * 100))
}

const STATE_WORDS: Readonly<Record<Attachment['state'], string>> = {
  available: 'Sent',
  uploading: 'Uploading to relays',
  uploaded: 'On the relays, waiting for the recipient',
  offered: 'Not downloaded',
  downloading: 'Downloading',
  complete: 'Received',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

/** One line under the file name: state, progress and where it comes from. */
export function transferWords(view: TransferView): string {
  const base = STATE_WORDS[view.state]
  if (view.state === 'downloading')
    return `${base} ${percent(view)} %${view.via === 'relay' ? ' from the relays' : ''}`
  if (view.state === 'failed' && view.error) return `${base}: ${view.error}`
  return base
}

/** The card's button: download an offered file, save one that is here in full, or none. */
export function fileButton(view: TransferView): 'download' | 'save' | null {
  if (view.state === 'offered') return 'download'
  if (view.direction === 'out' && view.state !== 'cancelled') return 'save'
  if (view.state === 'complete') return 'save'
  return null
}

/**
 * Delivery ticks for outgoing messages, as Signal-style glyphs plus an accessible label.
 * queued → sent (one tick) → stored in k mailboxes (one tick + receipt count) → delivered (two)
 * → read (two, filled); failed shows a warning and a retry hint.
 */
import type { Message, MessageStatus } from '../../../node/src/rpc/api.ts'

export type TickKind = 'clock' | 'single' | 'double' | 'double-read' | 'error'

export interface StatusView {
  readonly kind: TickKind
  /** Short text for screen readers and tooltips. */
  readonly label: string
  /** Extra visible detail (e.g. the mailbox receipt count), or ''. */
  readonly detail: string
}

/** Status ordering, to ignore late events that would move a message backwards. */
const STATUS_RANK: Readonly<Record<MessageStatus, number>> = {
  queued: 0,
  sent: 1,
  stored: 2,
  delivered: 3,
  read: 4,
  failed: 5,
}

/** The tick's view; `why` (waitingWords) is added to the label of a message that waits. */
export function statusView(status: MessageStatus, receipts: number, why?: string): StatusView {
  const base = baseView(status, receipts)
  return why === undefined ? base : { ...base, label: `${base.label} — ${why}` }
}

function baseView(status: MessageStatus, receipts: number): StatusView {
  switch (status) {
    case 'queued':
      return { kind: 'clock', label: 'Queued, waiting to send', detail: '' }
    case 'sent':
      return { kind: 'single', label: 'Sent', detail: '' }
    case 'stored':
      return {
        kind: 'single',
        label: `Stored in ${receipts} ${receipts === 1 ? 'mailbox' : 'mailboxes'}, waiting for the recipient`,
        detail: receipts > 0 ? String(receipts) : '',
      }
    case 'delivered':
      return { kind: 'double', label: 'Delivered', detail: '' }
    case 'read':
      return { kind: 'double-read', label: 'Read', detail: '' }
    case 'failed':
      return { kind: 'error', label: 'Not sent', detail: '' }
  }
}

/**
 * Merge a status event into a message. A later status wins; an earlier one is ignored unless
 * it is a retry leaving 'failed' (failed → queued). Receipts only grow.
 */
export function applyStatus(message: Message, status: MessageStatus, receipts: number): Message {
  const from = STATUS_RANK[message.status]
  const to = STATUS_RANK[status]
  const retry = message.status === 'failed' && status !== 'failed'
  const nextStatus = to >= from || retry ? status : message.status
  const nextReceipts = Math.max(message.receipts, receipts)
  if (nextStatus === message.status && nextReceipts === message.receipts) return message
  const { waiting, ...rest } = message
  // out of the outbox: stored waits for the recipient's fetch; delivered, read and failed wait for nothing
  if (nextStatus === 'stored')
    return { ...rest, status: nextStatus, receipts: nextReceipts, waiting: { reason: 'stored' } }
  if (nextStatus === 'queued' || nextStatus === 'sent')
    return { ...rest, status: nextStatus, receipts: nextReceipts, ...(waiting ? { waiting } : {}) }
  return { ...rest, status: nextStatus, receipts: nextReceipts }
}

/**
 * Per-member receipts of one of our group messages (the "Message info" dialog): the daemon's
 * `groups.receipts` list, moved forward by `group.receipt` events, sorted read → delivered → sent
 * and by name, with a one-line summary ("Read by 1 of 2 · delivered to 2 of 2").
 */
import type { Result } from '../../../node/src/rpc/api.ts'

export type MemberReceipt = Result<'groups.receipts'>['receipts'][number]
export type MemberReceiptStatus = MemberReceipt['status']

const RANK: Readonly<Record<MemberReceiptStatus, number>> = { sent: 0, delivered: 1, read: 2 }

/** Words shown for each state. */
export const RECEIPT_WORDS: Readonly<Record<MemberReceiptStatus, string>> = {
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
}

/**
 * A member's state after an event: states only move forward (a late `delivered` after `read` is
 * ignored); an event for a member not in the list adds it (the list is re-read on open anyway).
 */
export function applyReceipt(
  list: readonly MemberReceipt[],
  userId: string,
  status: MemberReceiptStatus,
): readonly MemberReceipt[] {
  const at = list.findIndex((r) => r.userId === userId)
  if (at === -1) return [...list, { userId, status }]
  const current = list[at]!
  if (RANK[current.status] >= RANK[status]) return list
  return list.map((r, i) => (i === at ? { userId, status } : r))
}

/** A fresh `groups.receipts` list with the states already known here kept where they are ahead. */
export function mergeReceipts(
  fresh: readonly MemberReceipt[],
  known: readonly MemberReceipt[],
): readonly MemberReceipt[] {
  return known.reduce<readonly MemberReceipt[]>((l, r) => applyReceipt(l, r.userId, r.status), fresh)
}

export interface ReceiptRow {
  readonly userId: string
  readonly name: string
  readonly status: MemberReceiptStatus
  readonly words: string
}

/** Rows for the dialog: read first, then delivered, then sent; by name within each. */
export function receiptRows(
  list: readonly MemberReceipt[],
  nameOf: (userId: string) => string,
): readonly ReceiptRow[] {
  return list
    .map((r) => ({
      userId: r.userId,
      name: nameOf(r.userId),
      status: r.status,
      words: RECEIPT_WORDS[r.status],
    }))
    .sort(
      (a, b) =>
        RANK[b.status] - RANK[a.status] || a.name.localeCompare(b.name) || (a.userId < b.userId ? -1 : 1),
    )
}

/** "Read by 1 of 2 · delivered to 2 of 2" (delivered counts those who read too). */
export function receiptSummary(list: readonly MemberReceipt[]): string {
  const n = list.length
  if (n === 0) return 'No members to deliver to'
  const read = list.filter((r) => r.status === 'read').length
  const delivered = list.filter((r) => r.status !== 'sent').length
  return `Read by ${read} of ${n} · delivered to ${delivered} of ${n}`
}

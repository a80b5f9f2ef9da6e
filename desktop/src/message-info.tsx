/** @jsxImportSource preact */
/**
 * "Message info" of one of our group messages: each member with sent / delivered / read, read
 * from `groups.receipts` on open and moved forward live by `group.receipt` events (re-read on a
 * `message.status` of this message and when the link comes back, in case an event was missed).
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { Message } from '../../node/src/rpc/api.ts'
import { Dialog } from './dialog.tsx'
import {
  applyReceipt,
  type MemberReceipt,
  mergeReceipts,
  receiptRows,
  receiptSummary,
} from './logic/group-receipts.ts'
import { shortText } from './logic/message-actions.ts'
import { describeError } from './logic/rpc-errors.ts'
import type { WrenRpc } from './rpc-browser.ts'

export function MessageInfo({
  rpc,
  message,
  nameOf,
  onClose,
}: {
  rpc: WrenRpc
  message: Message
  nameOf: (userId: string) => string
  onClose: () => void
}): JSX.Element {
  const [list, setList] = useState<readonly MemberReceipt[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    const load = () =>
      rpc
        .call('groups.receipts', { conversationId: message.conversationId, messageId: message.id })
        .then(({ receipts }) => {
          if (live) {
            setError(null)
            // an event that came while the call was out is kept (states only move forward)
            setList((now) => mergeReceipts(receipts, now ?? []))
          }
        })
        .catch((e) => live && setError(describeError(e)))
    void load()
    const off = [
      rpc.on('group.receipt', (p) => {
        if (p.messageId === message.id) setList((now) => applyReceipt(now ?? [], p.userId, p.status))
      }),
      rpc.on('message.status', (p) => {
        if (p.messageId === message.id) void load()
      }),
      rpc.onLink((link) => {
        if (link === 'open') void load()
      }),
    ]
    return () => {
      live = false
      for (const f of off) f()
    }
  }, [rpc, message.id, message.conversationId])
  const rows = list === null ? [] : receiptRows(list, nameOf)
  return (
    <Dialog title="Message info" onClose={onClose}>
      <div class="stack">
        <blockquote class="quote dialog-quote">{shortText(message)}</blockquote>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {list === null && error === null && <p class="muted small">Loading…</p>}
        {list !== null && <p class="muted small receipt-summary">{receiptSummary(list)}</p>}
        <ul class="receipt-list" aria-label="Delivery by member">
          {rows.map((r) => (
            <li key={r.userId} class={`receipt-row receipt-${r.status}`} data-user={r.userId}>
              <span class="receipt-name">{r.name}</span>
              <span class="receipt-status">{r.words}</span>
            </li>
          ))}
        </ul>
      </div>
    </Dialog>
  )
}

/**
 * Settling an outbox exchange: the recipient's per-item statuses (or the mailboxes' deposit
 * counts) take items off the queue, move their retry time with exponential backoff, or reset a
 * session the recipient no longer has, in the same write as the message statuses.
 */
import type { BatchOp } from '../storage/sealed-store.ts'
import { MAX_SESSION_RESETS, RETRY_BASE_MS, RETRY_MAX_MS } from './constants.ts'
import { DELIVERY_DUPLICATE, DELIVERY_NO_SESSION, DELIVERY_OK, DELIVERY_REJECTED } from './content.ts'
import type { MessengerContext } from './messenger-context.ts'
import { statusOps, warmMessages } from './outbox-status.ts'
import type { OutboxItem } from './vault.ts'

/** Backoff before attempt number `attempts + 1`: doubling from the base, capped at the max. */
export function retryDelay(ctx: MessengerContext, attempts: number): number {
  const base = ctx.init.retryBaseMs ?? RETRY_BASE_MS
  const max = ctx.init.retryMaxMs ?? RETRY_MAX_MS
  return Math.min(max, base * 2 ** Math.min(attempts - 1, 20))
}

/** Envelopes now held by the contact's mailboxes: off the outbox, texts become 'stored'. */
export async function settleStored(
  ctx: MessengerContext,
  peer: string,
  items: OutboxItem[],
  counts: number[],
): Promise<void> {
  const ops: BatchOp[] = []
  const events: Array<() => void> = []
  await warmMessages(ctx, items)
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as OutboxItem
    const receipts = counts[i] as number
    if (receipts === 0) {
      const attempts = item.attempts + 1
      ops.push(
        ctx.vault.putOutboxOp({
          ...item,
          attempts,
          nextAttemptAt: ctx.init.now() + retryDelay(ctx, attempts),
        }),
      )
      continue
    }
    ops.push({ type: 'del', key: ctx.vault.outboxKey(peer, item.order) })
    if (item.kind === 'text') events.push(...(await statusOps(ctx, item, 'stored', ops, receipts)))
  }
  await ctx.vault.store.batch(ops)
  for (const emit of events) emit()
}

/**
 * Apply the recipient's statuses; returns true when the outbox should be flushed again now.
 * `resets` counts each peer's session resets in a row (bounded by MAX_SESSION_RESETS).
 */
export async function settle(
  ctx: MessengerContext,
  resets: Map<string, number>,
  peer: string,
  items: OutboxItem[],
  statuses: number[],
): Promise<boolean> {
  const ops: BatchOp[] = []
  const events: Array<() => void> = []
  let resetSession = false
  let retryNow = false
  await warmMessages(ctx, items)
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as OutboxItem
    const status = statuses[i] as number
    if (status === DELIVERY_OK || status === DELIVERY_DUPLICATE) {
      ops.push({ type: 'del', key: ctx.vault.outboxKey(peer, item.order) })
      if (item.kind === 'text') events.push(...(await statusOps(ctx, item, 'delivered', ops)))
    } else if (status === DELIVERY_REJECTED) {
      ops.push({ type: 'del', key: ctx.vault.outboxKey(peer, item.order) })
      if (item.kind === 'text') events.push(...(await statusOps(ctx, item, 'failed', ops)))
    } else if (status === DELIVERY_NO_SESSION) {
      resetSession = true
    } else {
      const attempts = item.attempts + 1
      ops.push(
        ctx.vault.putOutboxOp({
          ...item,
          attempts,
          nextAttemptAt: ctx.init.now() + retryDelay(ctx, attempts),
        }),
      )
    }
  }
  if (resetSession) {
    const count = (resets.get(peer) ?? 0) + 1
    resets.set(peer, count)
    ops.push(...ctx.sessions.deleteOps(peer))
    for (const item of items) {
      if (statuses[items.indexOf(item)] !== DELIVERY_NO_SESSION) continue
      ops.push(
        ctx.vault.putOutboxOp({
          ...item,
          envelope: null,
          attempts: item.attempts + 1,
          nextAttemptAt: ctx.init.now() + (count > MAX_SESSION_RESETS ? retryDelay(ctx, count) : 0),
        }),
      )
    }
    retryNow = count <= MAX_SESSION_RESETS
  } else {
    resets.delete(peer)
  }
  await ctx.vault.store.batch(ops)
  if (resetSession) {
    ctx.sessions.commit(peer, null)
    await clearEnvelopes(ctx, peer)
  }
  for (const emit of events) emit()
  return retryNow
}

/** Every queued envelope of a peer was sealed with a session that is gone: re-encrypt later. */
export async function clearEnvelopes(ctx: MessengerContext, peer: string): Promise<void> {
  const ops: BatchOp[] = []
  for await (const [, item] of ctx.vault.outboxItems(peer)) {
    if (item.envelope !== null) ops.push(ctx.vault.putOutboxOp({ ...item, envelope: null }))
  }
  if (ops.length > 0) await ctx.vault.store.batch(ops)
}

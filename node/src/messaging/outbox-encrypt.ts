/**
 * Sealing of queued outbox items: each item without an envelope is encrypted with the peer's
 * current session, and the new envelopes, ratchet state and 'sent' statuses go in one write.
 */
import { deviceDhPublicKey } from '../../../core/src/device-certificate.ts'
import { sealEnvelope } from '../../../core/src/envelope.ts'
import { sessionEncrypt } from '../../../core/src/session.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { MessengerContext } from './messenger-context.ts'
import { statusOps, warmMessages } from './outbox-status.ts'
import type { OutboxItem } from './vault.ts'

/** Encrypt items that have no envelope yet with the current session (one batch write). */
export async function encryptPending(
  ctx: MessengerContext,
  peer: string,
  items: OutboxItem[],
): Promise<{ items: OutboxItem[]; emits: Array<() => void> } | null> {
  let sessions = await ctx.sessions.get(peer)
  if (sessions === null) return null
  const ops: BatchOp[] = []
  const out: OutboxItem[] = []
  const emits: Array<() => void> = []
  const recipientKey = deviceDhPublicKey(ctx.suite, sessions.deviceKey)
  await warmMessages(
    ctx,
    items.filter((item) => item.envelope === null && item.attempts === 0),
  )
  for (const item of items) {
    // re-read: the item may have been settled by a concurrent flush
    if (item.envelope !== null) {
      out.push(item)
      continue
    }
    const { record, encrypted } = sessionEncrypt(ctx.suite, sessions.current, item.content)
    sessions = { ...sessions, current: record }
    const envelope = sealEnvelope(ctx.suite, {
      recipientKey,
      content: {
        type: encrypted.type,
        senderIdentityKey: ctx.init.identity.publicKey,
        senderDeviceKey: ctx.init.deviceKey.publicKey,
        body: encrypted.body,
      },
    })
    const next = { ...item, envelope }
    ops.push(ctx.vault.putOutboxOp(next))
    // first transmission: the text is 'sent' in the same write as its ratchet state
    if (item.kind === 'text' && item.attempts === 0) emits.push(...(await statusOps(ctx, item, 'sent', ops)))
    out.push(next)
  }
  if (ops.length > 0) {
    ops.push(...ctx.sessions.putOps(sessions))
    try {
      await ctx.vault.store.batch(ops)
    } catch (error) {
      ctx.sessions.forget(peer)
      throw error
    }
    ctx.sessions.commit(peer, sessions)
  }
  return { items: out, emits }
}

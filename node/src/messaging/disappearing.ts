/**
 * Disappearing messages in direct chats (issue 19). A conversation's timer is set by either side
 * (Messenger.setTimer): our copy changes, a line records it in the chat, and the change travels
 * to the contact as an app payload (APP_CONVERSATION_TIMER, core/src/conversation/disappearing.ts)
 * in the same write, so it goes like a message: encrypted, in order, through mailboxes when
 * needed. The contact applies it the same way; of two changes that cross, the later (by the
 * setter's clock) wins on both sides.
 *
 * New messages take the conversation's timer when they are written: ours expire `timer` after we
 * send them (send-text.ts), the contact's `timer` after we read them (inbound-content.ts keeps the
 * timer, mark-read.ts starts it). The sweeper (sweepExpired, run periodically by the runtime)
 * deletes expired messages the way delete-for-me does — the record is removed, not hidden, and
 * replies lose their quote — and returns them so the files layer erases their attachments.
 * Known limits: the receiver stamps a message with its own timer at receipt, so a message that
 * crosses a timer change in flight takes the receiver's value; group conversations have no timer.
 */
import { toHex } from '../../../core/src/bytes.ts'
import {
  decodeTimerChange,
  describeTimer,
  encodeTimerChange,
  TIMER_OFF,
} from '../../../core/src/conversation/disappearing.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { AppDelivery, AppEffect } from './app-payloads.ts'
import { tombstoneOf } from './apply-action.ts'
import { MESSAGE_ID_BYTES } from './content.ts'
import { directConversationId } from './conversation-id.ts'
import { newConversation } from './direct-conversation.ts'
import type { MessengerContext } from './messenger-context.ts'
import { appItem } from './outbox-items.ts'
import { scrubQuotes } from './quote-scrub.ts'
import type { ConversationRecord, MessageRecord } from './records.ts'

/** App kind of a timer change over the pairwise session (calls use 20, groups 100..103). */
export const APP_CONVERSATION_TIMER = 30
/** Conversations due whose messages one sweep deletes at most; the rest wait for the next sweep. */
export const MAX_EXPIRED_PER_SWEEP = 1000

/** `conversation` with `expiresAt` counted in its earliest expiry. */
export function withExpiry(
  conversation: ConversationRecord,
  expiresAt: number | undefined,
): ConversationRecord {
  if (expiresAt === undefined) return conversation
  return { ...conversation, nextExpiry: Math.min(conversation.nextExpiry ?? expiresAt, expiresAt) }
}

/** A timer change as applied: the line it wrote in the chat, or null when it changed nothing. */
export interface TimerApplied {
  readonly line: MessageRecord
  readonly seconds: number
  readonly by: string
}

/**
 * Set the timer of the direct conversation with `peer` to `seconds` (0: off), as `by` at `setAt`;
 * returns the ops (conversation and its new line) or null when the change is stale or a no-op.
 * Call under the lock.
 */
async function timerOps(
  ctx: MessengerContext,
  peer: string,
  seconds: number,
  by: string,
  setAt: number,
  id: string,
): Promise<{ ops: BatchOp[]; applied: TimerApplied } | null> {
  const conversationId = directConversationId(peer)
  const now = ctx.init.now()
  const conversation =
    (await ctx.vault.getConversation(conversationId)) ?? newConversation(conversationId, peer, now)
  if (conversation.timerSetAt !== undefined && setAt < conversation.timerSetAt) return null
  if ((conversation.timerSeconds ?? TIMER_OFF) === seconds) return null
  const ours = by === ctx.userIdString
  const seq = conversation.lastSeq + 1
  const line: MessageRecord = {
    id,
    conversationId,
    seq,
    direction: ours ? 'out' : 'in',
    sender: by,
    text:
      seconds === TIMER_OFF
        ? 'Disappearing messages turned off'
        : `Disappearing messages set to ${describeTimer(seconds)}`,
    sentAt: setAt,
    receivedAt: ours ? null : now,
    status: ours ? 'sent' : 'read',
    receipts: 0,
    timerChange: { seconds },
  }
  const { timerSeconds: _, ...rest } = conversation
  const next: ConversationRecord = {
    ...rest,
    ...(seconds === TIMER_OFF ? {} : { timerSeconds: seconds }),
    timerSetAt: setAt,
    lastSeq: seq,
    updatedAt: now,
  }
  return {
    ops: [ctx.vault.putMessageOp(line), ctx.vault.putConversationOp(next)],
    applied: { line, seconds, by },
  }
}

/** Our change of the timer with `peer`, queued to the contact in the same write. Call under the lock. */
export async function setOurTimer(
  ctx: MessengerContext,
  peer: string,
  seconds: number,
): Promise<TimerApplied | null> {
  const setAt = ctx.init.now()
  const id = toHex(ctx.suite.randomBytes(MESSAGE_ID_BYTES))
  const change = await timerOps(ctx, peer, seconds, ctx.userIdString, setAt, id)
  if (change === null) return null
  const order = await ctx.vault.nextCounter('outbox')
  const item = appItem(ctx, peer, order, setAt, APP_CONVERSATION_TIMER, encodeTimerChange({ seconds, setAt }))
  await ctx.vault.store.batch([
    ...change.ops,
    ctx.vault.putOutboxOp(item),
    ctx.vault.counterOp('outbox', order),
  ])
  return change.applied
}

/**
 * The handler of a contact's timer change: decoded here (a malformed one is dropped), applied
 * after the payload's write under the lock (`apply`, which takes it), then announced.
 */
export function timerHandler(
  ctx: MessengerContext,
  apply: (run: () => Promise<TimerApplied | null>, via: AppDelivery['via']) => void,
): (delivery: AppDelivery) => Promise<AppEffect> {
  return async (delivery) => {
    let change: ReturnType<typeof decodeTimerChange>
    try {
      change = decodeTimerChange(delivery.payload)
    } catch (error) {
      ctx.init.log.debug('timer change dropped', { error: (error as Error)?.name })
      return {}
    }
    const peer = delivery.senderUserId
    return {
      after: () =>
        apply(async () => {
          const applied = await timerOps(ctx, peer, change.seconds, peer, change.setAt, delivery.messageId)
          if (applied !== null) await ctx.vault.store.batch(applied.ops)
          return applied?.applied ?? null
        }, delivery.via),
    }
  }
}

/**
 * Delete every message whose expiresAt has passed (at most MAX_EXPIRED_PER_SWEEP), in the
 * conversations that are due; returns them (for their attachments). Call under the lock.
 */
export async function sweepExpired(ctx: MessengerContext, now: number): Promise<MessageRecord[]> {
  // nothing due as far as this process knows: no read of the conversation list (the runtime
  // sweeps every second)
  if (!ctx.vault.expiryMayBeDue(now)) return []
  const expired: MessageRecord[] = []
  const ops: BatchOp[] = []
  /** Lowest nextExpiry the conversations keep after this sweep; `now` when some were left due. */
  let earliest = Number.POSITIVE_INFINITY
  ctx.vault.expiryScanStarted()
  for (const conversation of await ctx.vault.listConversations()) {
    if (conversation.nextExpiry === undefined) continue
    if (conversation.nextExpiry > now) {
      earliest = Math.min(earliest, conversation.nextExpiry)
      continue
    }
    if (expired.length >= MAX_EXPIRED_PER_SWEEP) {
      earliest = now
      break
    }
    const deleted = new Set<string>()
    const scrubbed = new Map<string, MessageRecord>()
    let nextExpiry: number | undefined
    for await (const [key, message] of ctx.vault.messages(conversation.id)) {
      if (message.expiresAt === undefined) continue
      if (message.expiresAt > now || expired.length >= MAX_EXPIRED_PER_SWEEP) {
        nextExpiry = Math.min(nextExpiry ?? message.expiresAt, message.expiresAt)
        continue
      }
      deleted.add(key)
      scrubbed.delete(key)
      expired.push(message)
      const replies = await scrubQuotes(
        ctx.vault,
        conversation.id,
        message.seq + 1,
        message.id,
        message.sender,
        scrubbed,
      )
      for (const reply of replies) scrubbed.set(ctx.vault.messageKey(reply.conversationId, reply.seq), reply)
    }
    for (const key of deleted) ops.push({ type: 'del', key })
    for (const [key, reply] of scrubbed) if (!deleted.has(key)) ops.push(ctx.vault.putMessageOp(reply))
    if (nextExpiry !== undefined) earliest = Math.min(earliest, nextExpiry)
    const { nextExpiry: _, ...rest } = conversation
    ops.push(ctx.vault.putConversationOp(nextExpiry === undefined ? rest : { ...rest, nextExpiry }))
  }
  if (ops.length === 0) {
    ctx.vault.expiryScanned(earliest)
    return []
  }
  await ctx.vault.store.batch(ops)
  ctx.vault.expiryScanned(earliest)
  for (const message of expired)
    ctx.init.notify('message.updated', { message: tombstoneOf(message, now), change: 'delete' })
  return expired
}

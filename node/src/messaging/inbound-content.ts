/**
 * Applying one decrypted content to the pending batch: a text message (new conversation record
 * if needed), an app payload handed to its registered handler, or delivery and read receipts
 * that move our sent messages' statuses. Each sender's message id is taken once.
 */
import { toHex } from '../../../core/src/bytes.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import type { AppHandler, AttachmentHandler } from './app-payloads.ts'
import { CONTENT_KIND_READ_RECEIPT, type Content, DELIVERY_DUPLICATE, DELIVERY_OK } from './content.ts'
import { directConversationId } from './conversation-id.ts'
import { applyHeld, findTarget } from './inbound-action.ts'
import type { InboundInit, Pending } from './inbound-batch.ts'
import type { ContactRecord, MessageRecord } from './vault.ts'

/**
 * A reply's quote as stored: kept when it quotes the sender or us (the only authors of a direct
 * conversation), emptied when we have the original and it was deleted, dropped otherwise.
 */
async function quoteOf(
  init: InboundInit,
  userId: string,
  content: Content,
  pending: Pending,
): Promise<MessageRecord['replyTo']> {
  if (content.replyTo === undefined) return undefined
  const author = formatUserId(content.replyTo.author)
  if (author !== userId && author !== init.ourUserId) return undefined
  const id = toHex(content.replyTo.id)
  const original = await findTarget(init, pending, author, id)
  const erased = typeof original === 'string' ? original === 'gone' : original.message.deletedAt !== undefined
  return { messageId: id, sender: author, text: erased ? '' : content.replyTo.text }
}

/** The record key naming this sender's message id, or null when it was already received. */
export async function newRef(
  init: InboundInit,
  userId: string,
  idHex: string,
  pending: Pending,
): Promise<string | null> {
  const refKey = init.vault.messageRefKey(userId, idHex)
  if (pending.refs.has(refKey)) return null
  const stored = pending.checkedRefs.has(refKey)
    ? pending.storedRefs.has(refKey)
    : await init.vault.has(refKey)
  return stored ? null : refKey
}

export async function receiveText(
  init: InboundInit,
  userId: string,
  contact: ContactRecord,
  content: Content,
  pending: Pending,
  attachments: AttachmentHandler | null = null,
): Promise<number> {
  const { vault } = init
  const idHex = toHex(content.messageId)
  const refKey = await newRef(init, userId, idHex, pending)
  if (refKey === null) return DELIVERY_DUPLICATE
  const conversationId = directConversationId(userId)
  const now = init.now()
  const conversation = pending.conversations.get(conversationId) ??
    (await vault.getConversation(conversationId)) ?? {
      id: conversationId,
      kind: 'direct' as const,
      peerUserId: userId,
      lastSeq: 0,
      lastReadSeq: 0,
      unread: 0,
      updatedAt: now,
    }
  const seq = conversation.lastSeq + 1
  const file =
    content.attachment === undefined || attachments === null
      ? null
      : await attachments({ contact, messageId: idHex, conversationId, pointer: content.attachment }).catch(
          (error) => {
            init.log.warn('attachment refused', { error: (error as Error)?.name })
            return null
          },
        )
  const replyTo = await quoteOf(init, userId, content, pending)
  const message: MessageRecord = {
    id: idHex,
    conversationId,
    seq,
    direction: 'in',
    sender: userId,
    text: content.text,
    sentAt: content.sentAt,
    receivedAt: now,
    status: 'delivered',
    receipts: 0,
    ...(file ? { attachment: file.summary } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(content.forwarded ? { forwarded: true } : {}),
    ...(conversation.timerSeconds ? { expiresAfterSeconds: conversation.timerSeconds } : {}),
  }
  if (file?.ops) pending.ops.push(...file.ops)
  if (file?.after) pending.events.push(file.after)
  pending.refs.add(refKey)
  pending.newRefs.set(refKey, { conversationId, seq })
  const key = vault.messageKey(conversationId, seq)
  pending.messages.set(key, message)
  // actions that overtook the message apply before it is written: a held delete means its text
  // is never stored at all
  await applyHeld(init, pending, userId, idHex)
  const latest = pending.messages.get(key) ?? message
  pending.ops.push(vault.putMessageOp(latest))
  pending.ops.push(vault.putMessageRefOp(refKey, { conversationId, seq }))
  pending.conversations.set(conversationId, {
    ...conversation,
    lastSeq: seq,
    unread: conversation.unread + 1,
    updatedAt: now,
  })
  pending.events.push(() =>
    init.notify('message.received', { message: pending.messages.get(key) ?? message, via: pending.via }),
  )
  void contact
  return DELIVERY_OK
}

export async function receiveApp(
  init: InboundInit,
  apps: ReadonlyMap<number, AppHandler>,
  sender: { readonly userId: string; readonly deviceKey: Uint8Array },
  contact: ContactRecord,
  content: Content,
  pending: Pending,
): Promise<number> {
  const { userId } = sender
  const idHex = toHex(content.messageId)
  const refKey = await newRef(init, userId, idHex, pending)
  if (refKey === null) return DELIVERY_DUPLICATE
  pending.refs.add(refKey)
  pending.ops.push(init.vault.putMessageRefOp(refKey, { conversationId: '', seq: 0 }))
  const handler = apps.get(content.appKind ?? 0)
  if (handler === undefined) {
    init.log.debug('app payload for an unknown app kind dropped', { appKind: content.appKind })
    return DELIVERY_OK
  }
  try {
    const effect = await handler({
      senderUserId: userId,
      senderDeviceKey: sender.deviceKey,
      contact,
      payload: content.appPayload ?? new Uint8Array(0),
      messageId: idHex,
      receivedAt: init.now(),
      via: pending.via,
    })
    if (effect.ops) pending.ops.push(...effect.ops)
    if (effect.after) pending.events.push(effect.after)
  } catch (error) {
    // a faulty payload must not block the sender's queue: it is acknowledged and logged
    init.log.warn('app payload handler failed', {
      appKind: content.appKind,
      error: (error as Error)?.name,
    })
  }
  return DELIVERY_OK
}

export async function receiveReceipt(init: InboundInit, content: Content, pending: Pending): Promise<void> {
  const { vault } = init
  const status = content.kind === CONTENT_KIND_READ_RECEIPT ? 'read' : 'delivered'
  for (const id of content.receiptIds) {
    const ref = await vault.getMessageRef(init.ourUserId, toHex(id))
    if (ref === undefined) continue
    const key = vault.messageKey(ref.conversationId, ref.seq)
    const message = pending.messages.get(key) ?? (await vault.getMessage(ref.conversationId, ref.seq))
    if (message === undefined || message.direction !== 'out') continue
    if (message.status === 'read' || (message.status === 'delivered' && status === 'delivered')) continue
    const next: MessageRecord = { ...message, status }
    pending.messages.set(key, next)
    pending.ops.push(vault.putMessageOp(next))
    pending.events.push(() =>
      init.notify('message.status', {
        conversationId: next.conversationId,
        messageId: next.id,
        status: next.status,
        receipts: next.receipts,
      }),
    )
  }
}

/**
 * A sent transcript arriving from one of our own devices (sent-transcripts.ts): stored as an
 * outgoing message of its conversation under the text's own id, once, with status 'sent'.
 */
import { toHex } from '../../../core/src/bytes.ts'
import { decodeSentTranscript, type SentTranscript } from '../../../core/src/conversation/sent-transcript.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { type Content, DELIVERY_DUPLICATE, DELIVERY_OK, DELIVERY_REJECTED } from './content.ts'
import { directConversationId } from './conversation-id.ts'
import { newConversation } from './direct-conversation.ts'
import type { InboundInit, Pending } from './inbound-batch.ts'
import { newRef } from './inbound-content.ts'
import { APP_SENT_TRANSCRIPT } from './own-devices.ts'
import type { MessageRecord } from './records.ts'

/**
 * Apply content from one of our own devices (the caller checked the device is on our list): only
 * a sent transcript is taken; it becomes an outgoing message of its conversation, once.
 */
export async function receiveOwnDevice(
  init: InboundInit,
  content: Content,
  pending: Pending,
): Promise<number> {
  if (content.appKind !== APP_SENT_TRANSCRIPT || content.appPayload === undefined) return DELIVERY_REJECTED
  let transcript: SentTranscript
  try {
    transcript = decodeSentTranscript(content.appPayload)
  } catch (error) {
    init.log.debug('sent transcript refused', { error: (error as Error)?.name })
    return DELIVERY_REJECTED
  }
  const ours = init.ourUserId
  // the envelope itself is taken once (its app message id), like any app payload
  const envelopeRef = await newRef(init, ours, toHex(content.messageId), pending)
  if (envelopeRef === null) return DELIVERY_DUPLICATE
  pending.refs.add(envelopeRef)
  pending.ops.push(init.vault.putMessageRefOp(envelopeRef, { conversationId: '', seq: 0 }))
  const peer = formatUserId(transcript.peerUserId)
  if (peer === ours) return DELIVERY_REJECTED
  const contact = pending.contacts.get(peer) ?? (await init.vault.getContact(peer))
  if (contact === undefined) {
    // a contact added on the other device only: this device has no conversation with it
    init.log.debug('sent transcript for a contact this device does not have')
    return DELIVERY_OK
  }
  const idHex = toHex(transcript.messageId)
  // the text's own id under our user id: the ref every device of ours writes for it
  const refKey = await newRef(init, ours, idHex, pending)
  if (refKey === null) return DELIVERY_OK
  const conversationId = directConversationId(peer)
  const now = init.now()
  const conversation =
    pending.conversations.get(conversationId) ??
    (await init.vault.getConversation(conversationId)) ??
    newConversation(conversationId, peer, now)
  const seq = conversation.lastSeq + 1
  const replyTo = transcript.replyTo
  const author = replyTo === undefined ? null : formatUserId(replyTo.author)
  const message: MessageRecord = {
    id: idHex,
    conversationId,
    seq,
    direction: 'out',
    sender: ours,
    text: transcript.text,
    sentAt: transcript.sentAt,
    receivedAt: null,
    status: 'sent',
    receipts: 0,
    // a quote of anyone but the two of us is dropped, as for incoming replies
    ...(replyTo !== undefined && (author === ours || author === peer)
      ? { replyTo: { messageId: toHex(replyTo.id), sender: author, text: replyTo.text } }
      : {}),
    ...(transcript.forwarded ? { forwarded: true } : {}),
    ...(conversation.timerSeconds ? { expiresAt: transcript.sentAt + conversation.timerSeconds * 1000 } : {}),
  }
  pending.refs.add(refKey)
  pending.newRefs.set(refKey, { conversationId, seq })
  const key = init.vault.messageKey(conversationId, seq)
  pending.messages.set(key, message)
  pending.ops.push(
    init.vault.putMessageOp(message),
    init.vault.putMessageRefOp(refKey, { conversationId, seq }),
  )
  pending.conversations.set(conversationId, {
    ...conversation,
    ...(message.expiresAt === undefined
      ? {}
      : { nextExpiry: Math.min(conversation.nextExpiry ?? message.expiresAt, message.expiresAt) }),
    lastSeq: seq,
    updatedAt: now,
  })
  pending.events.push(() => init.notify('message.received', { message, via: pending.via }))
  return DELIVERY_OK
}

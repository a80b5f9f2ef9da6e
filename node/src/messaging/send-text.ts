/**
 * Composing outgoing texts of direct conversations: each message record, its content and its
 * outbox item, with the conversation's new last sequence number. Calls that arrive while a write
 * is under way wait for the next one and then share it: one atomic store write for every text
 * queued at that moment (a busy client's burst costs one write, not one per message).
 */
import { fromHex, toHex } from '../../../core/src/bytes.ts'
import { quoteOf } from '../../../core/src/conversation/quote.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { OutgoingAttachment } from './app-payloads.ts'
import { requireContact } from './contacts.ts'
import { CONTENT_KIND_TEXT, encodeContent, MESSAGE_ID_BYTES } from './content.ts'
import { newConversation } from './direct-conversation.ts'
import { withExpiry } from './disappearing.ts'
import { ContactKeyChangedError, MessageDeletedError, MessageNotFoundError } from './errors.ts'
import { locateMessage } from './message-actions.ts'
import type { MessengerContext } from './messenger-context.ts'
import { transcriptItems } from './sent-transcripts.ts'
import type { ConversationRecord, MessageRecord, OutboxItem } from './vault.ts'

/**
 * Texts composed into one store write at most: bounds the write (and the time the lock is held)
 * while still taking a burst of a few hundred calls in a handful of writes.
 */
export const MAX_TEXTS_PER_WRITE = 256

/** What a text is besides its words: a reply to a message of its conversation, or a forward. */
export interface TextOptions {
  /** Hex id of the message answered (ours or the contact's, in this conversation). */
  readonly replyTo?: string
  /** Forwarded from another conversation (messages.forward). */
  readonly forwarded?: boolean
}

interface Request {
  readonly conversationId: string
  readonly peer: string
  readonly text: string
  /** A file this text carries (node/src/files): its pointer, summary and records. */
  readonly attachment: OutgoingAttachment | undefined
  readonly options: TextOptions
  readonly resolve: (message: MessageRecord) => void
  readonly reject: (error: unknown) => void
}

/** What the texts of one write have changed so far (the next text builds on it). */
interface Draft {
  readonly ops: BatchOp[]
  readonly conversations: Map<string, ConversationRecord>
  order: number
}

export class TextSender {
  readonly #ctx: MessengerContext
  #waiting: Request[] = []
  #scheduled = false

  constructor(ctx: MessengerContext) {
    this.#ctx = ctx
  }

  /** Queue `text` to `peer` in `conversationId`; resolves once it is written. The caller flushes. */
  send(
    conversationId: string,
    peer: string,
    text: string,
    attachment?: OutgoingAttachment,
    options: TextOptions = {},
  ): Promise<MessageRecord> {
    const { promise, resolve, reject } = Promise.withResolvers<MessageRecord>()
    this.#waiting.push({ conversationId, peer, text, attachment, options, resolve, reject })
    if (!this.#scheduled) {
      this.#scheduled = true
      void this.#ctx.lock.run(() => this.#write())
    }
    return promise
  }

  /** Under the lock: compose every waiting text (up to MAX_TEXTS_PER_WRITE) into one write. */
  async #write(): Promise<void> {
    const requests = this.#waiting.splice(0, MAX_TEXTS_PER_WRITE)
    if (this.#waiting.length > 0) void this.#ctx.lock.run(() => this.#write())
    else this.#scheduled = false
    const draft: Draft = {
      ops: [],
      conversations: new Map(),
      order: await this.#ctx.vault.nextCounter('outbox'),
    }
    const done: Array<[Request, MessageRecord]> = []
    for (const request of requests) {
      try {
        // a text that is refused throws before it changes the draft
        done.push([request, await composeText(this.#ctx, request, draft)])
      } catch (error) {
        request.reject(error)
      }
    }
    if (done.length === 0) return
    draft.ops.push(this.#ctx.vault.counterOp('outbox', draft.order - 1))
    for (const conversation of draft.conversations.values())
      draft.ops.push(this.#ctx.vault.putConversationOp(conversation))
    try {
      await this.#ctx.vault.store.batch(draft.ops)
    } catch (error) {
      for (const [request] of done) request.reject(error)
      return
    }
    for (const [request, message] of done) request.resolve(message)
  }
}

/** The quote of the message `idHex` a text in `conversationId` answers (it must be there, not deleted). */
async function replyQuote(
  ctx: MessengerContext,
  conversationId: string,
  idHex: string,
): Promise<NonNullable<MessageRecord['replyTo']>> {
  const { message } = await locateMessage(ctx, idHex)
  if (message.conversationId !== conversationId) throw new MessageNotFoundError(idHex)
  if (message.deletedAt !== undefined) throw new MessageDeletedError()
  return { messageId: message.id, sender: message.sender, text: quoteOf(message.text) }
}

/** One text into `draft`: its message, ref and outbox item; the conversation is updated in the draft. */
async function composeText(
  ctx: MessengerContext,
  { conversationId, peer, text, attachment, options }: Request,
  draft: Draft,
): Promise<MessageRecord> {
  const contact = await requireContact(ctx, peer)
  if (contact.keyChanged) {
    throw new ContactKeyChangedError(
      `${contact.displayName}'s identity key changed: accept it before sending`,
    )
  }
  const replyTo =
    options.replyTo === undefined ? undefined : await replyQuote(ctx, conversationId, options.replyTo)
  const now = ctx.init.now()
  const conversation =
    draft.conversations.get(conversationId) ??
    (await ctx.vault.getConversation(conversationId)) ??
    newConversation(conversationId, peer, now)
  const messageId = ctx.suite.randomBytes(MESSAGE_ID_BYTES)
  const seq = conversation.lastSeq + 1
  const message: MessageRecord = {
    id: toHex(messageId),
    conversationId,
    seq,
    direction: 'out',
    sender: ctx.userIdString,
    text,
    sentAt: now,
    receivedAt: null,
    status: 'queued',
    receipts: 0,
    ...(attachment ? { attachment: attachment.summary } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(options.forwarded ? { forwarded: true } : {}),
    ...(conversation.timerSeconds ? { expiresAt: now + conversation.timerSeconds * 1000 } : {}),
  }
  const content = encodeContent({
    kind: CONTENT_KIND_TEXT,
    messageId,
    text,
    sentAt: now,
    receiptIds: [],
    senderUserId: ctx.init.userId,
    senderName: ctx.init.displayName(),
    succession: ctx.init.succession,
    ...(attachment ? { attachment: attachment.pointer } : {}),
    ...(replyTo
      ? {
          replyTo: {
            id: fromHex(replyTo.messageId),
            author: parseUserId(replyTo.sender),
            text: replyTo.text,
          },
        }
      : {}),
    ...(options.forwarded ? { forwarded: true } : {}),
  })
  const order = draft.order++
  const item: OutboxItem = {
    order,
    peerUserId: peer,
    kind: 'text',
    messageId: message.id,
    conversationId,
    seq,
    content,
    envelope: null,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  }
  draft.ops.push(
    ctx.vault.putMessageOp(message),
    ctx.vault.putMessageRefOp(ctx.vault.messageRefKey(ctx.userIdString, message.id), {
      conversationId,
      seq,
    }),
    ctx.vault.putOutboxOp(item),
    ...(attachment?.ops(message) ?? []),
    // a copy for each of our other devices, in the same write (sent-transcripts.ts)
    ...transcriptItems(ctx, message, peer, () => draft.order++).map((t) => ctx.vault.putOutboxOp(t)),
  )
  draft.conversations.set(conversationId, {
    ...withExpiry(conversation, message.expiresAt),
    lastSeq: seq,
    updatedAt: now,
  })
  return message
}

/**
 * Receiving group messages: topic payloads (gossip) and their pairwise copies are decrypted with
 * the sender's Sender Key, de-duplicated by message id and by Sender Key position, stored in the
 * group conversation and acknowledged (receipts.ts batches the receipts). A payload whose key has
 * not arrived yet waits (bounded) until the key does. A post of our own from another device of
 * ours (its Sender Key came from that device, issue 18) is stored as an outgoing line.
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import { DuplicateMessageError } from '../../../core/src/errors.ts'
import { memberOf } from '../../../core/src/group/index.ts'
import { formatUserId, parseUserId } from '../../../core/src/identity.ts'
import { unpad } from '../../../core/src/padding.ts'
import { peekSenderKeyMessage, senderKeyDecrypt } from '../../../core/src/sender-key.ts'
import type { AppDelivery, AppEffect } from '../messaging/inbound.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { MAX_PENDING_WIRES, RECEIPT_DELIVERED } from './constants.ts'
import type { GroupContext } from './context.ts'
import { mentionsMe } from './group-compose.ts'
import { takeGroupHeld } from './group-held-actions.ts'
import { indexOp } from './group-message-index.ts'
import { applyHeldGroupActions, receiveGroupAction } from './group-receive-action.ts'
import { groupConversationId } from './group-store.ts'
import { receivedTimerLine } from './group-timer.ts'
import type { Receipts } from './receipts.ts'
import type { GroupAttachmentHandler, MessageVia, StoredMessage } from './types.ts'
import { type Content, decodeContent, decodeMessageCopy, decodeWire } from './wire.ts'

/** The reply, forward and mention parts of a received text, as its record keeps them. */
function lineExtras(content: Content): Partial<StoredMessage> {
  return {
    ...(content.replyTo === undefined
      ? {}
      : {
          replyTo: {
            messageId: toHex(content.replyTo.id),
            sender: formatUserId(content.replyTo.author),
            text: content.replyTo.text,
          },
        }),
    ...(content.forwarded === true ? { forwarded: true as const } : {}),
    ...(content.mentions === undefined ? {} : { mentions: content.mentions.map(formatUserId) }),
  }
}

/**
 * Whether a topic payload parses (group wire, then a Sender Key message header): gossip's
 * validator rejects any that does not, which penalises the peer that forwarded it.
 */
export function isWellFormedWire(bytes: Uint8Array): boolean {
  try {
    peekSenderKeyMessage(decodeWire(bytes).message)
    return true
  } catch {
    return false
  }
}

export class GroupReceive {
  readonly #ctx: GroupContext
  readonly #receipts: Receipts
  /** Topic payloads whose Sender Key has not arrived yet, oldest first. */
  readonly #pending: Array<{ distHex: string; wire: Uint8Array; via: MessageVia }> = []
  #attachments: GroupAttachmentHandler | null = null

  constructor(ctx: GroupContext, receipts: Receipts) {
    this.#ctx = ctx
    this.#receipts = receipts
  }

  /** The files layer: a received file pointer becomes its record, written with the message. */
  registerAttachments(handler: GroupAttachmentHandler): void {
    this.#attachments = handler
  }

  /** The file of a received line, when it carries one the files layer accepts (else none). */
  async #attachment(
    content: Content,
    stored: StoredMessage,
    groupId: string,
  ): Promise<Awaited<ReturnType<GroupAttachmentHandler>>> {
    // a message deleted for everyone before it arrived keeps no file
    if (content.attachment === undefined || this.#attachments === null || stored.deletedAt !== undefined)
      return null
    const delivery = {
      senderUserId: stored.sender,
      groupId,
      conversationId: stored.conversationId,
      messageId: stored.id,
      pointer: content.attachment,
    }
    return this.#attachments(delivery).catch((error) => {
      this.#ctx.log.warn('group attachment refused', { error: (error as Error)?.name })
      return null
    })
  }

  /** A topic payload (gossip). */
  async receiveWire(bytes: Uint8Array, via: MessageVia = 'gossip'): Promise<void> {
    const emit = await this.#receive(bytes, via)
    emit?.()
  }

  /** A pairwise copy: processed inside the messenger's lock (persisted before it acknowledges). */
  async onCopy(d: AppDelivery): Promise<AppEffect> {
    const copy = decodeMessageCopy(d.payload)
    const emit = await this.#receive(copy.wire, d.via)
    return emit === null ? {} : { after: emit }
  }

  /** A Sender Key arrived: the payloads that waited for it are received now. */
  async retryPending(distHex: string): Promise<void> {
    const ready = this.#pending.filter((p) => p.distHex === distHex)
    if (ready.length === 0) return
    for (let i = this.#pending.length - 1; i >= 0; i--)
      if (this.#pending[i]?.distHex === distHex) this.#pending.splice(i, 1)
    for (const p of ready) await this.receiveWire(p.wire, p.via)
  }

  /** Decrypt and store one topic payload; returns what to emit after (null: nothing new). */
  async #receive(bytes: Uint8Array, via: MessageVia): Promise<(() => void) | null> {
    const { suite, now, log, lock, keys, groups, store } = this.#ctx
    let distHex: string
    let chainId: number
    let iteration: number
    let message: Uint8Array
    try {
      message = decodeWire(bytes).message
      const header = peekSenderKeyMessage(message)
      distHex = toHex(header.distributionId)
      chainId = header.chainId
      iteration = header.iteration
    } catch (error) {
      log.debug('group payload refused', { error: (error as Error)?.name })
      return null
    }
    const result = await lock.run(async () => {
      const key = keys.peer(distHex)
      if (key === undefined) {
        this.#hold(distHex, bytes, via)
        return null
      }
      const g = groups.group(key.record.groupId)
      const sender = key.record.sender
      if (g === undefined || g.record.status !== 'member') return null
      if (memberOf(g.log.state, parseUserId(sender)) === undefined) return null
      const positionKey = store.positionKey(distHex, chainId, iteration)
      let decrypted: ReturnType<typeof senderKeyDecrypt>
      try {
        decrypted = senderKeyDecrypt(suite, key.state, message)
      } catch (error) {
        if (!(error instanceof DuplicateMessageError)) {
          log.debug('group message not decrypted', { error: (error as Error)?.name })
          return null
        }
        const seen = await store.get<{ messageId: string }>(positionKey)
        return seen === undefined
          ? null
          : { ack: { sender, groupId: g.record.groupId, id: seen.messageId }, stored: null, events: [] }
      }
      let content: ReturnType<typeof decodeContent>
      try {
        content = decodeContent(unpad(decrypted.plaintext))
      } catch (error) {
        log.debug('group content refused', { error: (error as Error)?.name })
        return null
      }
      if (toHex(content.groupId) !== g.record.groupId) return null
      const id = toHex(content.messageId)
      const receivedKey = store.receivedKey(sender, id)
      const updated = keys.updatedPeer(key.record, decrypted.state)
      const ack = { sender, groupId: g.record.groupId, id }
      if ((await store.get(receivedKey)) !== undefined) {
        await store.batch(updated.ops)
        keys.commitPeer(updated.next)
        return { ack, stored: null, events: [] }
      }
      const at = now()
      const conversationId = groupConversationId(g.record.groupId)
      const seen = store.put(positionKey, { messageId: id })
      if (content.action !== undefined) {
        // an action is no line: its ref only de-duplicates it (seq 0)
        const applied = await receiveGroupAction(this.#ctx, g, sender, content.action, at)
        await store.batch([
          ...updated.ops,
          store.put(receivedKey, { conversationId, seq: 0, sender, messageId: id }),
          seen,
          ...applied.ops,
        ])
        keys.commitPeer(updated.next)
        return { ack, stored: null, events: applied.events }
      }
      if (content.timerChange !== undefined) {
        // a change of the group's timer: a line when an admin made it and it is newer (group-timer.ts)
        const change = receivedTimerLine(g, sender, content.timerChange, id, at)
        const seq = change?.line.seq ?? 0
        await store.batch([
          ...updated.ops,
          store.put(receivedKey, { conversationId, seq, sender, messageId: id }),
          seen,
          ...(change === null
            ? []
            : [
                store.messageOp(change.line),
                indexOp(store, change.line),
                store.put(store.groupKey(g.record.groupId), {
                  ...g.record,
                  conversation: change.conversation,
                }),
              ]),
        ])
        keys.commitPeer(updated.next)
        if (change === null) return { ack, stored: null, events: [] }
        g.record.conversation = change.conversation
        const { line } = change
        const announce = () =>
          this.#ctx.notify('conversation.timerChanged', {
            conversationId,
            seconds: content.timerChange?.seconds ?? 0,
            by: sender,
            message: line,
          })
        return { ack, stored: line, events: [announce] }
      }
      if (content.attachment !== undefined && this.#attachments === null) {
        // the files layer is not wired yet (start-up): unacknowledged, it comes again pairwise
        log.debug('group file pointer before the files layer')
        return null
      }
      const seq = g.record.conversation.lastSeq + 1
      const heldOps: BatchOp[] = []
      const held = await takeGroupHeld(store, sender, id, at, heldOps)
      // our own post from another device of ours (issue 18): an outgoing line, read, no receipt
      const own = sender === this.#ctx.me
      const arrived: StoredMessage = {
        id,
        conversationId,
        seq,
        direction: own ? 'out' : 'in',
        sender,
        text: content.text,
        sentAt: content.sentAt,
        receivedAt: own ? null : at,
        status: own ? 'sent' : 'delivered',
        receipts: 0,
        ...lineExtras(content),
        // a line of a timed group: its timer starts when we read it (receipts.ts markRead)
        ...(g.record.conversation.timerSeconds === undefined
          ? {}
          : { expiresAfterSeconds: g.record.conversation.timerSeconds }),
      }
      const final = await applyHeldGroupActions(this.#ctx, g, arrived, held)
      const file = await this.#attachment(content, final.message, g.record.groupId)
      const stored = file === null ? final.message : { ...final.message, attachment: file.summary }
      const conversation = {
        ...g.record.conversation,
        lastSeq: seq,
        unread: g.record.conversation.unread + (own ? 0 : 1),
        mentionUnread:
          (g.record.conversation.mentionUnread ?? 0) + (!own && mentionsMe(stored, this.#ctx.me) ? 1 : 0),
        updatedAt: at,
      }
      await store.batch([
        ...updated.ops,
        ...heldOps,
        ...final.ops,
        ...(file?.ops ?? []),
        store.messageOp(stored),
        indexOp(store, stored),
        store.put(receivedKey, { conversationId, seq, sender, messageId: id }),
        seen,
        store.put(store.groupKey(g.record.groupId), { ...g.record, conversation }),
      ])
      keys.commitPeer(updated.next)
      g.record.conversation = conversation
      return { ack, stored, events: file?.after === undefined ? [] : [file.after] }
    })
    if (result === null) return null
    return () => {
      if (result.stored !== null) this.#ctx.notify('message.received', { message: result.stored, via })
      for (const event of result.events) event()
      // no receipt to ourselves for our own post from another device of ours
      if (result.ack.sender !== this.#ctx.me)
        this.#receipts.queue(result.ack.sender, result.ack.groupId, RECEIPT_DELIVERED, result.ack.id)
    }
  }

  #hold(distHex: string, wire: Uint8Array, via: MessageVia): void {
    if (this.#pending.some((p) => p.distHex === distHex && bytesEqual(p.wire, wire))) return
    this.#pending.push({ distHex, wire, via })
    while (this.#pending.length > MAX_PENDING_WIRES) this.#pending.shift()
  }
}

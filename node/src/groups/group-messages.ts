/**
 * Group messages: Sender Key ciphertexts (signed, padded like 1:1 envelopes) published on the
 * group's epoch topic with a random nonce; receivers decrypt, de-duplicate by message id and by
 * Sender Key position, store them in the group conversation and acknowledge them (batched
 * receipts over the pairwise sessions). Gossipsub is not storage: a member that is not a topic
 * subscriber when we publish gets the same bytes pairwise at once (the messenger's outbox retries
 * and survives restarts, and uses mailboxes when it has them); a subscriber that has not
 * acknowledged within GOSSIP_ACK_TIMEOUT_MS gets them then. Delivery states are kept per member.
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import { DuplicateMessageError } from '../../../core/src/errors.ts'
import { memberOf } from '../../../core/src/group/index.ts'
import { formatUserId, parseUserId } from '../../../core/src/identity.ts'
import { pad, unpad } from '../../../core/src/padding.ts'
import {
  peekSenderKeyMessage,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../../../core/src/sender-key.ts'
import type { AppDelivery, AppEffect } from '../messaging/inbound.ts'
import type { Message, MessageVia } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  APP_GROUP_MESSAGE,
  APP_GROUP_RECEIPTS,
  GOSSIP_ACK_TIMEOUT_MS,
  GROUP_MESSAGE_ID_BYTES,
  GROUP_WIRE_NONCE_BYTES,
  MAX_GROUP_TEXT_BYTES,
  MAX_PENDING_WIRES,
  MAX_RECEIPT_IDS_PER_PAYLOAD,
  RECEIPT_BATCH_MS,
  RECEIPT_DELIVERED,
  RECEIPT_READ,
} from './constants.ts'
import type { GroupService, Outgoing } from './group-service.ts'
import {
  type DeliveryRecord,
  groupConversationId,
  groupOfConversation,
  type MemberDelivery,
} from './group-store.ts'
import {
  decodeContent,
  decodeMessageCopy,
  decodeReceipts,
  decodeWire,
  encodeContent,
  encodeMessageCopy,
  encodeReceipts,
  encodeWire,
} from './wire.ts'

const DELIVERY_RANK: Record<MemberDelivery, number> = { gossip: 0, queued: 0, delivered: 1, read: 2 }

/** Aggregate status of one of our group messages from its members' states. */
function aggregate(members: Record<string, MemberDelivery>): { status: Message['status']; receipts: number } {
  const states = Object.values(members)
  const receipts = states.filter((s) => DELIVERY_RANK[s] >= 1).length
  if (states.length === 0) return { status: 'sent', receipts }
  if (states.every((s) => s === 'read')) return { status: 'read', receipts }
  if (receipts === states.length) return { status: 'delivered', receipts }
  return { status: 'sent', receipts }
}

interface ReceiptBatch {
  groupId: string
  groupIdBytes: Uint8Array
  peer: string
  kind: typeof RECEIPT_DELIVERED | typeof RECEIPT_READ
  ids: Set<string>
}

export class GroupMessages {
  readonly #svc: GroupService
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  /** Topic payloads whose Sender Key has not arrived yet, oldest first. */
  readonly #pending: Array<{ distHex: string; wire: Uint8Array; via: MessageVia }> = []
  readonly #receipts = new Map<string, ReceiptBatch>()
  #receiptTimer: ReturnType<typeof setTimeout> | null = null
  #running = false

  constructor(svc: GroupService) {
    this.#svc = svc
  }

  get #ackTimeoutMs(): number {
    return this.#svc.init.ackTimeoutMs ?? GOSSIP_ACK_TIMEOUT_MS
  }

  async start(): Promise<void> {
    this.#running = true
    for await (const index of this.#svc.store.all<{ messageId: string }>('gp/'))
      this.#schedule(index.messageId)
  }

  stop(): void {
    this.#running = false
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    if (this.#receiptTimer !== null) clearTimeout(this.#receiptTimer)
    this.#flushReceipts()
  }

  // ---- sending

  async send(conversationId: string, text: string): Promise<Message> {
    const svc = this.#svc
    const { suite, vault, transport, now } = svc.init
    const groupId = groupOfConversation(conversationId)
    if (groupId === null) throw appError('NOT_FOUND', `no conversation ${conversationId}`)
    if (new TextEncoder().encode(text).length > MAX_GROUP_TEXT_BYTES)
      throw appError('INVALID_INPUT', `group messages are at most ${MAX_GROUP_TEXT_BYTES} bytes`)
    const sent = await svc.lock.run(async () => {
      const g = svc.requireGroup(groupId)
      if (g.record.status !== 'member')
        throw appError('INVALID_INPUT', `we are not a member of group ${groupId}`)
      const keyed = svc.reconcileKeyNow(g)
      const own = svc.keys.own(groupId)
      const topic = svc.topicOf(groupId)
      if (own === undefined || topic === undefined) throw new Error('group key or topic missing for a member')
      const at = now()
      const messageId = suite.randomBytes(GROUP_MESSAGE_ID_BYTES)
      const content = encodeContent({
        messageId,
        text,
        sentAt: at,
        groupId: g.log.groupId,
        epoch: g.log.state.epoch,
      })
      // our distribution at this post's chain position, for invitees that join while it is in flight
      const distribution = senderKeyDistribution(own.state)
      const encrypted = senderKeyEncrypt(suite, own.state, pad(content))
      const advanced = svc.keys.advanced(own, encrypted.state)
      const wire = encodeWire({
        nonce: suite.randomBytes(GROUP_WIRE_NONCE_BYTES),
        message: encrypted.message,
      })
      const members: Record<string, MemberDelivery> = {}
      for (const m of g.log.state.members) {
        const userId = formatUserId(m.userId)
        if (userId === svc.me) continue
        const device = (await vault.getContact(userId))?.devicePeerId ?? null
        members[userId] = device !== null && transport.isSubscriber(topic, device) ? 'gossip' : 'queued'
      }
      const gossip = Object.values(members).includes('gossip')
      const seq = g.record.conversation.lastSeq + 1
      const id = toHex(messageId)
      const message: Message = {
        id,
        conversationId,
        seq,
        direction: 'out',
        sender: svc.me,
        text,
        sentAt: at,
        receivedAt: null,
        status: 'sent',
        receipts: 0,
      }
      const record: DeliveryRecord = { groupId, conversationId, seq, members, wire: gossip ? wire : null }
      const conversation = { ...g.record.conversation, lastSeq: seq, updatedAt: at }
      const ops: BatchOp[] = [
        ...keyed.ops,
        ...advanced.ops,
        svc.store.messageOp(message),
        svc.store.put(svc.store.deliveryKey(id), record),
        svc.store.put(svc.store.groupKey(groupId), { ...g.record, conversation }),
      ]
      if (gossip) ops.push(svc.store.put(svc.store.pendingKey(id), { messageId: id }))
      const held = svc.held.hold(g.log.state, svc.me, {
        groupId,
        messageId: id,
        seq,
        sentAt: at,
        epoch: g.log.state.epoch,
        distHex: toHex(own.state.distributionId),
        chainId: own.state.chains[0]?.chainId ?? 0,
        wire,
        distribution,
      })
      ops.push(...held.ops)
      await svc.store.batch(ops)
      svc.keys.commitOwn(advanced.next)
      held.commit()
      g.record.conversation = conversation
      const queued = Object.keys(members).filter((u) => members[u] === 'queued')
      const copy: Outgoing[] =
        queued.length === 0
          ? []
          : [
              {
                groupId,
                peers: queued,
                appKind: APP_GROUP_MESSAGE,
                payload: encodeMessageCopy({ groupId: g.log.groupId, wire }),
              },
            ]
      return { message, topic, wire, gossip, sends: [...keyed.sends, ...copy] }
    })
    // distributions first (same ordered queue), then the topic, then the pairwise copies
    const queued = svc.enqueue(sent.sends)
    await transport.publish(sent.topic, sent.wire)
    if (sent.gossip) this.#schedule(sent.message.id)
    await queued
    return sent.message
  }

  #schedule(messageId: string): void {
    if (!this.#running || this.#timers.has(messageId)) return
    const timer = setTimeout(() => {
      this.#timers.delete(messageId)
      void this.#fallback(messageId)
    }, this.#ackTimeoutMs)
    timer.unref?.()
    this.#timers.set(messageId, timer)
  }

  /** Members that did not acknowledge the gossiped message get it pairwise. */
  async #fallback(messageId: string): Promise<void> {
    const svc = this.#svc
    const sends = await svc.lock.run(async () => {
      const record = await svc.store.get<DeliveryRecord>(svc.store.deliveryKey(messageId))
      const ops: BatchOp[] = [svc.store.del(svc.store.pendingKey(messageId))]
      const out: Outgoing[] = []
      if (record !== undefined && record.wire !== null) {
        const late = Object.keys(record.members).filter((u) => record.members[u] === 'gossip')
        const g = svc.group(record.groupId)
        const stillMembers = late.filter(
          (u) => g !== undefined && memberOf(g.log.state, parseUserId(u)) !== undefined,
        )
        for (const u of late) record.members[u] = 'queued'
        if (g !== undefined && stillMembers.length > 0) {
          out.push({
            groupId: record.groupId,
            peers: stillMembers,
            appKind: APP_GROUP_MESSAGE,
            payload: encodeMessageCopy({ groupId: g.log.groupId, wire: record.wire }),
          })
        }
        ops.push(svc.store.put(svc.store.deliveryKey(messageId), { ...record, wire: null }))
      }
      await svc.store.batch(ops)
      return out
    })
    await svc.enqueue(sends)
  }

  // ---- receiving

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

  async retryPending(distHex: string): Promise<void> {
    const ready = this.#pending.filter((p) => p.distHex === distHex)
    if (ready.length === 0) return
    for (let i = this.#pending.length - 1; i >= 0; i--)
      if (this.#pending[i]?.distHex === distHex) this.#pending.splice(i, 1)
    for (const p of ready) await this.receiveWire(p.wire, p.via)
  }

  /** Decrypt and store one topic payload; returns what to emit after (null: nothing new). */
  async #receive(bytes: Uint8Array, via: MessageVia): Promise<(() => void) | null> {
    const svc = this.#svc
    const { suite, now, log } = svc.init
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
    const result = await svc.lock.run(async () => {
      const key = svc.keys.peer(distHex)
      if (key === undefined) {
        this.#hold(distHex, bytes, via)
        return null
      }
      const g = svc.group(key.record.groupId)
      const sender = key.record.sender
      if (g === undefined || g.record.status !== 'member') return null
      if (memberOf(g.log.state, parseUserId(sender)) === undefined) return null
      const positionKey = svc.store.positionKey(distHex, chainId, iteration)
      let decrypted: ReturnType<typeof senderKeyDecrypt>
      try {
        decrypted = senderKeyDecrypt(suite, key.state, message)
      } catch (error) {
        if (!(error instanceof DuplicateMessageError)) {
          log.debug('group message not decrypted', { error: (error as Error)?.name })
          return null
        }
        const seen = await svc.store.get<{ messageId: string }>(positionKey)
        return seen === undefined
          ? null
          : { ack: { sender, groupId: g.record.groupId, id: seen.messageId }, stored: null }
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
      const receivedKey = svc.store.receivedKey(sender, id)
      const updated = svc.keys.updatedPeer(key.record, decrypted.state)
      const ack = { sender, groupId: g.record.groupId, id }
      if ((await svc.store.get(receivedKey)) !== undefined) {
        await svc.store.batch(updated.ops)
        svc.keys.commitPeer(updated.next)
        return { ack, stored: null }
      }
      const at = now()
      const seq = g.record.conversation.lastSeq + 1
      const conversationId = groupConversationId(g.record.groupId)
      const stored: Message = {
        id,
        conversationId,
        seq,
        direction: 'in',
        sender,
        text: content.text,
        sentAt: content.sentAt,
        receivedAt: at,
        status: 'delivered',
        receipts: 0,
      }
      const conversation = {
        ...g.record.conversation,
        lastSeq: seq,
        unread: g.record.conversation.unread + 1,
        updatedAt: at,
      }
      await svc.store.batch([
        ...updated.ops,
        svc.store.messageOp(stored),
        svc.store.put(receivedKey, { conversationId, seq, sender, messageId: id }),
        svc.store.put(positionKey, { messageId: id }),
        svc.store.put(svc.store.groupKey(g.record.groupId), { ...g.record, conversation }),
      ])
      svc.keys.commitPeer(updated.next)
      g.record.conversation = conversation
      return { ack, stored }
    })
    if (result === null) return null
    return () => {
      if (result.stored !== null) svc.init.notify('message.received', { message: result.stored, via })
      this.#queueReceipt(result.ack.sender, result.ack.groupId, RECEIPT_DELIVERED, result.ack.id)
    }
  }

  #hold(distHex: string, wire: Uint8Array, via: MessageVia): void {
    if (this.#pending.some((p) => p.distHex === distHex && bytesEqual(p.wire, wire))) return
    this.#pending.push({ distHex, wire, via })
    while (this.#pending.length > MAX_PENDING_WIRES) this.#pending.shift()
  }

  // ---- receipts

  #queueReceipt(peer: string, groupId: string, kind: ReceiptBatch['kind'], id: string): void {
    const g = this.#svc.group(groupId)
    if (g === undefined) return
    const key = `${peer}|${groupId}|${kind}`
    const batch = this.#receipts.get(key) ?? {
      groupId,
      groupIdBytes: g.log.groupId,
      peer,
      kind,
      ids: new Set(),
    }
    batch.ids.add(id)
    this.#receipts.set(key, batch)
    if (this.#receiptTimer === null && this.#running) {
      this.#receiptTimer = setTimeout(() => {
        this.#receiptTimer = null
        this.#flushReceipts()
      }, RECEIPT_BATCH_MS)
      this.#receiptTimer.unref?.()
    }
  }

  #flushReceipts(): void {
    const sends: Outgoing[] = []
    for (const batch of this.#receipts.values()) {
      const ids = [...batch.ids].map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')))
      for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS_PER_PAYLOAD) {
        sends.push({
          groupId: batch.groupId,
          peers: [batch.peer],
          appKind: APP_GROUP_RECEIPTS,
          payload: encodeReceipts({
            groupId: batch.groupIdBytes,
            kind: batch.kind,
            messageIds: ids.slice(i, i + MAX_RECEIPT_IDS_PER_PAYLOAD),
          }),
        })
      }
    }
    this.#receipts.clear()
    if (sends.length > 0) void this.#svc.enqueue(sends)
  }

  async onReceipts(d: AppDelivery): Promise<AppEffect> {
    const svc = this.#svc
    const receipts = decodeReceipts(d.payload)
    const groupId = toHex(receipts.groupId)
    const next: MemberDelivery = receipts.kind === RECEIPT_READ ? 'read' : 'delivered'
    const events = await svc.lock.run(async () => {
      const ops: BatchOp[] = []
      const changed: Message[] = []
      for (const raw of receipts.messageIds) {
        const id = toHex(raw)
        const record = await svc.store.get<DeliveryRecord>(svc.store.deliveryKey(id))
        if (record === undefined || record.groupId !== groupId) continue
        const current = record.members[d.senderUserId]
        if (current === undefined || DELIVERY_RANK[current] >= DELIVERY_RANK[next]) continue
        record.members[d.senderUserId] = next
        const gossipLeft = Object.values(record.members).includes('gossip')
        if (!gossipLeft && record.wire !== null) {
          record.wire = null
          ops.push(svc.store.del(svc.store.pendingKey(id)))
          const timer = this.#timers.get(id)
          if (timer !== undefined) clearTimeout(timer)
          this.#timers.delete(id)
        }
        ops.push(svc.store.put(svc.store.deliveryKey(id), record))
        const message = await svc.store.getMessage(record.conversationId, record.seq)
        if (message === undefined) continue
        const { status, receipts: count } = aggregate(record.members)
        if (status === message.status && count === message.receipts) continue
        const updated = { ...message, status, receipts: count }
        ops.push(svc.store.messageOp(updated))
        changed.push(updated)
      }
      await svc.store.batch(ops)
      return changed
    })
    return {
      after: () => {
        for (const m of events)
          svc.init.notify('message.status', {
            conversationId: m.conversationId,
            messageId: m.id,
            status: m.status,
            receipts: m.receipts,
          })
      },
    }
  }

  /** Mark incoming group messages read up to `upToSeq` and queue read receipts to their senders. */
  async markRead(conversationId: string, upToSeq: number | undefined): Promise<number> {
    const svc = this.#svc
    const groupId = groupOfConversation(conversationId)
    if (groupId === null) throw appError('NOT_FOUND', `no conversation ${conversationId}`)
    const marked = await svc.lock.run(async () => {
      const g = svc.requireGroup(groupId)
      const upTo = Math.min(upToSeq ?? g.record.conversation.lastSeq, g.record.conversation.lastSeq)
      const ops: BatchOp[] = []
      const read: Array<[string, string]> = []
      let unread = 0
      const prefix = `m/${svc.init.vault.blind(conversationId)}/`
      for await (const [key, message] of svc.init.vault.store.iterate<Message>({ prefix })) {
        if (message.direction !== 'in' || message.status === 'read') continue
        if (message.seq > upTo) {
          unread++
          continue
        }
        ops.push({ type: 'put', key, value: { ...message, status: 'read' } })
        read.push([message.sender, message.id])
      }
      const conversation = {
        ...g.record.conversation,
        lastReadSeq: Math.max(g.record.conversation.lastReadSeq, upTo),
        unread,
      }
      ops.push(svc.store.put(svc.store.groupKey(groupId), { ...g.record, conversation }))
      await svc.store.batch(ops)
      g.record.conversation = conversation
      return read
    })
    for (const [sender, id] of marked) this.#queueReceipt(sender, groupId, RECEIPT_READ, id)
    return marked.length
  }

  /** Per-member delivery state of one of our group messages. */
  async receipts(
    conversationId: string,
    messageId: string,
  ): Promise<Array<{ userId: string; status: 'sent' | 'delivered' | 'read' }>> {
    const record = /^[0-9a-f]{32}$/.test(messageId)
      ? await this.#svc.store.get<DeliveryRecord>(this.#svc.store.deliveryKey(messageId))
      : undefined
    if (record === undefined || record.conversationId !== conversationId)
      throw appError('NOT_FOUND', `no group message ${messageId} of ours in ${conversationId}`)
    return Object.entries(record.members).map(([userId, s]) => ({
      userId,
      status: s === 'read' ? 'read' : s === 'delivered' ? 'delivered' : 'sent',
    }))
  }
}

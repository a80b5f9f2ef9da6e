/**
 * Receipts of group messages: the delivered and read receipts we owe senders (batched for
 * RECEIPT_BATCH_MS, sent pairwise), the ones members send us (each member's delivery state of our
 * message moves forward, and the message's aggregate status with it), marking a group
 * conversation read, and the per-member states of one of our messages.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { AppDelivery, AppEffect } from '../messaging/inbound.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  APP_GROUP_RECEIPTS,
  MAX_RECEIPT_IDS_PER_PAYLOAD,
  RECEIPT_BATCH_MS,
  type RECEIPT_DELIVERED,
  RECEIPT_READ,
} from './constants.ts'
import type { GroupContext } from './context.ts'
import { GroupConversationNotFoundError, GroupMessageNotFoundError } from './errors.ts'
import { mentionsMe } from './group-compose.ts'
import type { GroupSend } from './group-send.ts'
import {
  type DeliveryRecord,
  type GroupStore,
  groupOfConversation,
  type MemberDelivery,
} from './group-store.ts'
import type { JoinCatchUp } from './join-catch-up.ts'
import type { Outgoing } from './op-sync.ts'
import type { StoredMessage } from './types.ts'
import { decodeReceipts, encodeReceipts } from './wire.ts'

const DELIVERY_RANK: Record<MemberDelivery, number> = { gossip: 0, queued: 0, delivered: 1, read: 2 }

/** Aggregate status of one of our group messages from its members' states. */
function aggregate(members: Record<string, MemberDelivery>): {
  status: StoredMessage['status']
  receipts: number
} {
  const states = Object.values(members)
  const receipts = states.filter((s) => DELIVERY_RANK[s] >= 1).length
  if (states.length === 0) return { status: 'sent', receipts }
  if (states.every((s) => s === 'read')) return { status: 'read', receipts }
  if (receipts === states.length) return { status: 'delivered', receipts }
  return { status: 'sent', receipts }
}

/** Newcomers that get held posts count in those posts' delivery states (lock held). */
export async function countNewcomers(
  store: GroupStore,
  catchUps: readonly JoinCatchUp[],
): Promise<BatchOp[]> {
  const records = new Map<string, DeliveryRecord>()
  for (const { peer, posts } of catchUps) {
    for (const post of posts) {
      const record =
        records.get(post.messageId) ?? (await store.get<DeliveryRecord>(store.deliveryKey(post.messageId)))
      if (record === undefined) continue
      record.members[peer] ??= 'queued'
      records.set(post.messageId, record)
    }
  }
  return [...records].map(([id, record]) => store.put(store.deliveryKey(id), record))
}

interface ReceiptBatch {
  groupId: string
  groupIdBytes: Uint8Array
  peer: string
  kind: typeof RECEIPT_DELIVERED | typeof RECEIPT_READ
  ids: Set<string>
}

export class Receipts {
  readonly #ctx: GroupContext
  readonly #send: GroupSend
  /** Receipts we owe, by peer, group and kind. */
  readonly #batches = new Map<string, ReceiptBatch>()
  #timer: ReturnType<typeof setTimeout> | null = null
  #running = false

  constructor(ctx: GroupContext, send: GroupSend) {
    this.#ctx = ctx
    this.#send = send
  }

  start(): void {
    this.#running = true
  }

  /** Stop batching: what is owed goes out now. */
  stop(): void {
    this.#running = false
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#flush()
  }

  // ---- receipts we owe

  /** Owe a receipt of `kind` for message `id` to `peer`; sent with the next batch. */
  queue(peer: string, groupId: string, kind: ReceiptBatch['kind'], id: string): void {
    const g = this.#ctx.groups.group(groupId)
    if (g === undefined) return
    const key = `${peer}|${groupId}|${kind}`
    const batch = this.#batches.get(key) ?? {
      groupId,
      groupIdBytes: g.log.groupId,
      peer,
      kind,
      ids: new Set(),
    }
    batch.ids.add(id)
    this.#batches.set(key, batch)
    if (this.#timer === null && this.#running) {
      this.#timer = setTimeout(() => {
        this.#timer = null
        this.#flush()
      }, RECEIPT_BATCH_MS)
      this.#timer.unref?.()
    }
  }

  #flush(): void {
    const sends: Outgoing[] = []
    for (const batch of this.#batches.values()) {
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
    this.#batches.clear()
    if (sends.length > 0) void this.#ctx.enqueue(sends)
  }

  /** Mark incoming group messages read up to `upToSeq` and queue read receipts to their senders. */
  async markRead(conversationId: string, upToSeq: number | undefined): Promise<number> {
    const { lock, groups, store } = this.#ctx
    const groupId = groupOfConversation(conversationId)
    if (groupId === null) throw new GroupConversationNotFoundError(conversationId)
    const marked = await lock.run(async () => {
      const g = groups.requireGroup(groupId)
      const upTo = Math.min(upToSeq ?? g.record.conversation.lastSeq, g.record.conversation.lastSeq)
      const ops: BatchOp[] = []
      const read: Array<[string, string]> = []
      let unread = 0
      let mentionUnread = 0
      const readAt = this.#ctx.now()
      let nextExpiry = g.record.conversation.nextExpiry
      for await (const [key, message] of store.messages(conversationId)) {
        if (message.direction !== 'in' || message.status === 'read') continue
        if (message.seq > upTo) {
          unread++
          if (mentionsMe(message, this.#ctx.me)) mentionUnread++
          continue
        }
        // a line of a timed group: its timer starts now that it is read (group-timer.ts)
        const { expiresAfterSeconds, ...rest } = message
        const expiresAt = expiresAfterSeconds === undefined ? undefined : readAt + expiresAfterSeconds * 1000
        if (expiresAt !== undefined) nextExpiry = Math.min(nextExpiry ?? expiresAt, expiresAt)
        ops.push(
          store.put(key, { ...rest, status: 'read', ...(expiresAt === undefined ? {} : { expiresAt }) }),
        )
        read.push([message.sender, message.id])
      }
      const conversation = {
        ...g.record.conversation,
        ...(nextExpiry === undefined ? {} : { nextExpiry }),
        lastReadSeq: Math.max(g.record.conversation.lastReadSeq, upTo),
        unread,
        mentionUnread,
      }
      ops.push(store.put(store.groupKey(groupId), { ...g.record, conversation }))
      await store.batch(ops)
      g.record.conversation = conversation
      return read
    })
    for (const [sender, id] of marked) this.queue(sender, groupId, RECEIPT_READ, id)
    return marked.length
  }

  // ---- receipts members send us (inside the messenger's lock)

  async onReceipts(d: AppDelivery): Promise<AppEffect> {
    const { lock, store, notify } = this.#ctx
    const receipts = decodeReceipts(d.payload)
    const groupId = toHex(receipts.groupId)
    const next: MemberDelivery = receipts.kind === RECEIPT_READ ? 'read' : 'delivered'
    const moved: Array<{ conversationId: string; messageId: string }> = []
    const events = await lock.run(async () => {
      const ops: BatchOp[] = []
      const changed: StoredMessage[] = []
      for (const raw of receipts.messageIds) {
        const id = toHex(raw)
        const record = await store.get<DeliveryRecord>(store.deliveryKey(id))
        if (record === undefined || record.groupId !== groupId) continue
        const current = record.members[d.senderUserId]
        if (current === undefined || DELIVERY_RANK[current] >= DELIVERY_RANK[next]) continue
        record.members[d.senderUserId] = next
        const gossipLeft = Object.values(record.members).includes('gossip')
        if (!gossipLeft && record.wire !== null) {
          record.wire = null
          ops.push(store.del(store.pendingKey(id)))
          this.#send.cancelFallback(id)
        }
        ops.push(store.put(store.deliveryKey(id), record))
        moved.push({ conversationId: record.conversationId, messageId: id })
        const message = await store.getMessage(record.conversationId, record.seq)
        if (message === undefined) continue
        const { status, receipts: count } = aggregate(record.members)
        if (status === message.status && count === message.receipts) continue
        const updated = { ...message, status, receipts: count }
        ops.push(store.messageOp(updated))
        changed.push(updated)
      }
      await store.batch(ops)
      return changed
    })
    return {
      after: () => {
        for (const m of moved) notify('group.receipt', { ...m, userId: d.senderUserId, status: next })
        for (const m of events)
          notify('message.status', {
            conversationId: m.conversationId,
            messageId: m.id,
            status: m.status,
            receipts: m.receipts,
          })
      },
    }
  }

  /** Per-member delivery state of one of our group messages. */
  async states(
    conversationId: string,
    messageId: string,
  ): Promise<Array<{ userId: string; status: 'sent' | 'delivered' | 'read' }>> {
    const { store } = this.#ctx
    const record = /^[0-9a-f]{32}$/.test(messageId)
      ? await store.get<DeliveryRecord>(store.deliveryKey(messageId))
      : undefined
    if (record === undefined || record.conversationId !== conversationId)
      throw new GroupMessageNotFoundError(messageId, conversationId)
    return Object.entries(record.members).map(([userId, s]) => ({
      userId,
      status: s === 'read' ? 'read' : s === 'delivered' ? 'delivered' : 'sent',
    }))
  }
}

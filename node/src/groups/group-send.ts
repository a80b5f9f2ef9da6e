/**
 * Sending a group message: a Sender Key ciphertext (signed, padded like 1:1 envelopes) published
 * on the group's epoch topic with a random nonce. Gossipsub is not storage: a member that is not a
 * topic subscriber when we publish gets the same bytes pairwise at once (the messenger's outbox
 * retries and survives restarts, and uses mailboxes when it has them); a subscriber that has not
 * acknowledged within the gossip acknowledgement timeout gets them then (the fallback). Delivery
 * states are kept per member (receipts.ts moves them on).
 */
import { toHex } from '../../../core/src/bytes.ts'
import { memberOf } from '../../../core/src/group/index.ts'
import { formatUserId, parseUserId } from '../../../core/src/identity.ts'
import { pad } from '../../../core/src/padding.ts'
import { senderKeyDistribution, senderKeyEncrypt } from '../../../core/src/sender-key.ts'
import type { OutgoingAttachment } from '../messaging/app-payloads.ts'
import { GROUP_PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  APP_GROUP_MESSAGE,
  GROUP_MESSAGE_ID_BYTES,
  GROUP_WIRE_NONCE_BYTES,
  MAX_GROUP_TEXT_BYTES,
} from './constants.ts'
import type { GroupContext } from './context.ts'
import { GroupConversationNotFoundError, GroupStandingError, GroupTextTooLongError } from './errors.ts'
import { type ContentExtras, composeLine, type LineOptions } from './group-compose.ts'
import { indexOp } from './group-message-index.ts'
import {
  type DeliveryRecord,
  groupConversationId,
  groupOfConversation,
  type MemberDelivery,
} from './group-store.ts'
import type { KeyDistribution } from './key-distribution.ts'
import type { Outgoing } from './op-sync.ts'
import type { LiveGroup } from './registry.ts'
import type { StoredMessage } from './types.ts'
import { encodeContent, encodeMessageCopy, encodeWire } from './wire.ts'

/** What one post carries: its text ('' for an action), its content extras, and its line. */
export interface PostBody {
  readonly text: string
  readonly extras: ContentExtras
  /** Fields of the line it shows as in our history (replyTo, mentions…); null: an action, no line. */
  readonly line: Partial<StoredMessage> | null
}

/** A post written and waiting for deliver(). */
export interface Posted {
  readonly id: string
  readonly message: StoredMessage | null
  readonly topic: string
  readonly wire: Uint8Array
  readonly gossip: boolean
  readonly sends: readonly Outgoing[]
}

export class GroupSend {
  readonly #ctx: GroupContext
  readonly #distribution: KeyDistribution
  readonly #ackTimeoutMs: number
  /** Gossip acknowledgement deadlines of our messages, by message id. */
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  #running = false

  constructor(ctx: GroupContext, distribution: KeyDistribution, ackTimeoutMs: number) {
    this.#ctx = ctx
    this.#distribution = distribution
    this.#ackTimeoutMs = ackTimeoutMs
  }

  /** Re-arm the fallback of our messages that some member may still need (after a restart). */
  async start(): Promise<void> {
    this.#running = true
    for await (const index of this.#ctx.store.all<{ messageId: string }>(GROUP_PREFIXES.pending))
      this.#schedule(index.messageId)
  }

  stop(): void {
    this.#running = false
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  /**
   * Post a message line: a text, maybe a reply, a forward, with mentions (group-compose.ts), or a
   * file (its pointer in the content, the text its caption, maybe empty; the attachment's records
   * written in the message's batch).
   */
  async send(
    conversationId: string,
    text: string,
    options: LineOptions = {},
    attachment?: OutgoingAttachment,
  ): Promise<StoredMessage> {
    const { lock, groups } = this.#ctx
    const groupId = groupOfConversation(conversationId)
    if (groupId === null) throw new GroupConversationNotFoundError(conversationId)
    const pointerBytes = attachment?.pointer.length ?? 0
    if (new TextEncoder().encode(text).length + pointerBytes > MAX_GROUP_TEXT_BYTES)
      throw new GroupTextTooLongError(MAX_GROUP_TEXT_BYTES - pointerBytes)
    const posted = await lock.run(async () => {
      const g = groups.requireGroup(groupId)
      if (g.record.status !== 'member')
        throw new GroupStandingError(`we are not a member of group ${groupId}`)
      const line = await composeLine(this.#ctx, g, text, options)
      if (attachment === undefined) return this.post(g, { text, extras: line.content, line: line.record }, [])
      const body: PostBody = {
        text,
        extras: { ...line.content, attachment: attachment.pointer },
        line: { ...line.record, attachment: attachment.summary },
      }
      return this.post(g, body, [], attachment.ops)
    })
    await this.deliver(posted)
    return posted.message as StoredMessage
  }

  /**
   * Under the lock: encrypt one post (a line, or an action when `body.line` is null) with our
   * Sender Key and write it, with `ops`, in one batch. deliver() sends it once the lock is free.
   */
  async post(
    g: LiveGroup,
    body: PostBody,
    ops: readonly BatchOp[],
    lineOps?: (message: StoredMessage) => readonly BatchOp[],
  ): Promise<Posted> {
    const { suite, contacts, transport, now, keys, held, store, me } = this.#ctx
    const groupId = g.record.groupId
    const conversationId = groupConversationId(groupId)
    // reconcile our key first: rotation may be due
    const keyed = this.#distribution.reconcile(g)
    const own = keys.own(groupId)
    const topic = this.#ctx.groups.topicOf(groupId)
    if (own === undefined || topic === undefined) throw new Error('group key or topic missing for a member')
    const at = now()
    const messageId = suite.randomBytes(GROUP_MESSAGE_ID_BYTES)
    const content = encodeContent({
      messageId,
      text: body.text,
      sentAt: at,
      groupId: g.log.groupId,
      epoch: g.log.state.epoch,
      ...body.extras,
    })
    // our distribution at this post's chain position, for invitees that join while it is in flight
    const distribution = senderKeyDistribution(own.state)
    const encrypted = senderKeyEncrypt(suite, own.state, pad(content))
    const advanced = keys.advanced(own, encrypted.state)
    const wire = encodeWire({
      nonce: suite.randomBytes(GROUP_WIRE_NONCE_BYTES),
      message: encrypted.message,
    })
    // one subscriber set and the members' contact records read side by side, not one sealed
    // read and one scan of the topic's peers after another per member (100-member groups)
    const subscribers = transport.subscribers(topic)
    const others = g.log.state.members.map((m) => formatUserId(m.userId)).filter((u) => u !== me)
    const contactsOf = await Promise.all(others.map((u) => contacts.getContact(u)))
    const members: Record<string, MemberDelivery> = {}
    for (const [i, userId] of others.entries()) {
      const device = contactsOf[i]?.devicePeerId ?? null
      members[userId] = device !== null && subscribers.has(toHex(device)) ? 'gossip' : 'queued'
    }
    const gossip = Object.values(members).includes('gossip')
    const id = toHex(messageId)
    const lastSeq = g.record.conversation.lastSeq
    const seq = body.line === null ? lastSeq : lastSeq + 1
    const message: StoredMessage | null =
      body.line === null
        ? null
        : {
            id,
            conversationId,
            seq,
            direction: 'out',
            sender: me,
            text: body.text,
            sentAt: at,
            receivedAt: null,
            status: 'sent',
            receipts: 0,
            ...body.line,
          }
    // an action is no line: its delivery record names no message (seq 0)
    const record: DeliveryRecord = {
      groupId,
      conversationId,
      seq: message === null ? 0 : seq,
      members,
      wire: gossip ? wire : null,
    }
    // a line of a timed group disappears `timer` after we post it (group-timer.ts); timer lines stay
    const timer =
      message === null || message.timerChange !== undefined ? undefined : g.record.conversation.timerSeconds
    if (message !== null && timer !== undefined) message.expiresAt = at + timer * 1000
    const posted =
      message === null ? g.record.conversation : { ...g.record.conversation, lastSeq: seq, updatedAt: at }
    const expiresAt = message?.expiresAt
    const conversation =
      expiresAt === undefined
        ? posted
        : { ...posted, nextExpiry: Math.min(posted.nextExpiry ?? expiresAt, expiresAt) }
    const batch: BatchOp[] = [
      ...keyed.ops,
      ...advanced.ops,
      ...ops,
      store.put(store.deliveryKey(id), record),
      store.put(store.groupKey(groupId), { ...g.record, conversation }),
    ]
    if (message !== null)
      batch.push(store.messageOp(message), indexOp(store, message), ...(lineOps?.(message) ?? []))
    if (gossip) batch.push(store.put(store.pendingKey(id), { messageId: id }))
    const holds = held.hold(g.log.state, me, {
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
    batch.push(...holds.ops)
    await store.batch(batch)
    keys.commitOwn(advanced.next)
    holds.commit()
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
    return { id, message, topic, wire, gossip, sends: [...keyed.sends, ...copy] }
  }

  /** After the lock: distributions first (same ordered queue), then the topic, then the pairwise copies. */
  async deliver(posted: Posted): Promise<void> {
    const queued = this.#ctx.enqueue(posted.sends)
    await this.#ctx.transport.publish(posted.topic, posted.wire)
    if (posted.gossip) this.#schedule(posted.id)
    await queued
  }

  /** Every member acknowledged the gossiped message: no fallback for it. */
  cancelFallback(messageId: string): void {
    const timer = this.#timers.get(messageId)
    if (timer !== undefined) clearTimeout(timer)
    this.#timers.delete(messageId)
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
    const { lock, store, groups } = this.#ctx
    const sends = await lock.run(async () => {
      const record = await store.get<DeliveryRecord>(store.deliveryKey(messageId))
      const ops: BatchOp[] = [store.del(store.pendingKey(messageId))]
      const out: Outgoing[] = []
      if (record !== undefined && record.wire !== null) {
        const late = Object.keys(record.members).filter((u) => record.members[u] === 'gossip')
        const g = groups.group(record.groupId)
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
        ops.push(store.put(store.deliveryKey(messageId), { ...record, wire: null }))
      }
      await store.batch(ops)
      return out
    })
    await this.#ctx.enqueue(sends)
  }
}

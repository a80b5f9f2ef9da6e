/**
 * Groups for one unlocked profile (libp2p service shape: components, init, start/stop):
 * membership through signed ops (core/src/group), persisted in the sealed store, carried over the
 * pairwise sessions (Messenger app payloads), and group messages over one gossipsub topic per
 * epoch with Sender Keys.
 *
 * libp2p-free: the topic side is a GroupTransport and the pairwise side a GroupPairwise, so the
 * same service runs in the daemon, in tests and in the benchmark.
 *
 * The service is the composition root of the group layer: it builds one GroupContext and the
 * parts, one concept each (registry.ts, membership.ts, key-distribution.ts, group-send.ts,
 * group-receive.ts, receipts.ts, pairwise-queue.ts), and routes app payloads to them.
 */
import type { Startable } from '@libp2p/interface'
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { formatUserId, type IdentityKeyPair } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import type { OutgoingAttachment } from '../messaging/app-payloads.ts'
import type { ActionRequest } from '../messaging/message-actions.ts'
import { Mutex } from '../messaging/mutex.ts'
import type { Vault } from '../messaging/vault.ts'
import { FIXED_KEYS } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  APP_GROUP_MESSAGE,
  APP_GROUP_OPS,
  APP_GROUP_RECEIPTS,
  APP_GROUP_SENDER_KEY,
  GOSSIP_ACK_TIMEOUT_MS,
} from './constants.ts'
import type { GroupContext } from './context.ts'
import { GroupActions } from './group-actions.ts'
import type { LineOptions } from './group-compose.ts'
import { indexExisting } from './group-message-index.ts'
import { GroupReceive } from './group-receive.ts'
import { GroupSend } from './group-send.ts'
import { GroupStore, groupConversationId } from './group-store.ts'
import { type GroupTimerApplied, GroupTimers } from './group-timer.ts'
import { HeldPosts } from './join-catch-up.ts'
import { KeyDistribution, type MemberDeviceChange } from './key-distribution.ts'
import { Membership } from './membership.ts'
import type { Outgoing } from './op-sync.ts'
import { PairwiseQueue } from './pairwise-queue.ts'
import { Receipts } from './receipts.ts'
import { GroupRegistry, type LiveGroup } from './registry.ts'
import { SenderKeyBook } from './sender-keys.ts'
import type {
  GroupAttachmentHandler,
  GroupInvitation,
  GroupLogger,
  GroupMember,
  GroupNotify,
  GroupPairwise,
  GroupSummary,
  GroupTransport,
  StoredMessage,
} from './types.ts'

export type { Outgoing } from './op-sync.ts'
export type { LiveGroup } from './registry.ts'
export type { GroupPairwise, GroupTransport } from './types.ts'

/** What the group service gets from the rest of the node. */
export interface GroupServiceComponents {
  suite: CryptoSuite
  /** The messenger's vault: contacts, and the conversation layout group messages share. */
  vault: Vault
  identity: IdentityKeyPair
  userId: Uint8Array
  succession: IdentitySuccession | null
  /** Our signed contact card (string form), given to the members we join. */
  card: () => string
  pairwise: GroupPairwise
  transport: GroupTransport
  notify: GroupNotify
  now: () => number
  log: GroupLogger
}

export interface GroupServiceInit {
  /** How long a gossiped message waits for acknowledgements before its pairwise copies go (tests shorten it). */
  ackTimeoutMs?: number
}

/** The conversation side of groups, as the RPC handlers call it. */
export interface GroupMessaging {
  send(
    conversationId: string,
    text: string,
    options?: LineOptions,
    attachment?: OutgoingAttachment,
  ): Promise<StoredMessage>
  /** Whether a message id names a group message here (else: a direct chat's). */
  has(messageId: string): Promise<boolean>
  message(messageId: string): Promise<StoredMessage>
  act(messageId: string, request: ActionRequest): Promise<StoredMessage>
  deleteForMe(messageId: string): Promise<StoredMessage>
  markRead(conversationId: string, upToSeq: number | undefined): Promise<number>
  receipts(
    conversationId: string,
    messageId: string,
  ): Promise<Array<{ userId: string; status: 'sent' | 'delivered' | 'read' }>>
}

export class GroupService implements Startable {
  readonly store: GroupStore
  readonly keys: SenderKeyBook
  /** Our posts held for pending invitees (a post in flight while someone joins). */
  readonly held: HeldPosts
  readonly messages: GroupMessaging
  readonly #components: GroupServiceComponents
  readonly #lock = new Mutex()
  readonly #groups: GroupRegistry
  readonly #queue: PairwiseQueue
  readonly #distribution: KeyDistribution
  readonly #membership: Membership
  readonly #send: GroupSend
  readonly #receipts: Receipts
  readonly #receive: GroupReceive
  readonly #timers: GroupTimers
  #running = false

  constructor(components: GroupServiceComponents, init: GroupServiceInit = {}) {
    const { suite, vault, identity, userId, transport, pairwise, log } = components
    const contacts = vault
    const lock = this.#lock
    const store = new GroupStore(vault)
    const keys = new SenderKeyBook(suite, store)
    const held = new HeldPosts(store)
    const groups = new GroupRegistry({ suite, userId, store, contacts, transport })
    const queue = new PairwiseQueue({
      suite,
      contacts,
      pairwise,
      groups,
      store,
      keys,
      lock,
      log,
      me: formatUserId(userId),
    })
    this.#components = components
    this.store = store
    this.keys = keys
    this.held = held
    this.#groups = groups
    this.#queue = queue
    const ctx: GroupContext = {
      suite,
      identity,
      userId,
      me: formatUserId(userId),
      succession: components.succession,
      card: components.card,
      contacts,
      store,
      keys,
      held,
      lock,
      groups,
      transport,
      enqueue: (sends) => queue.enqueue(sends),
      notify: components.notify,
      now: components.now,
      log,
    }
    this.#distribution = new KeyDistribution(ctx)
    this.#membership = new Membership(ctx, this.#distribution)
    this.#send = new GroupSend(ctx, this.#distribution, init.ackTimeoutMs ?? GOSSIP_ACK_TIMEOUT_MS)
    this.#receipts = new Receipts(ctx, this.#send)
    this.#receive = new GroupReceive(ctx, this.#receipts)
    const actions = new GroupActions(ctx, this.#send)
    this.#timers = new GroupTimers(ctx, this.#send)
    this.messages = {
      send: (conversationId, text, options, attachment) =>
        this.#send.send(conversationId, text, options, attachment),
      has: (messageId) => actions.has(messageId),
      message: (messageId) => actions.message(messageId),
      act: (messageId, request) => actions.act(messageId, request),
      deleteForMe: (messageId) => actions.deleteForMe(messageId),
      markRead: (conversationId, upToSeq) => this.#receipts.markRead(conversationId, upToSeq),
      receipts: (conversationId, messageId) => this.#receipts.states(conversationId, messageId),
    }
  }

  readonly [Symbol.toStringTag] = 'wren:groups'

  async start(): Promise<void> {
    this.#running = true
    await this.#groups.load()
    await this.keys.load()
    await this.held.load()
    await this.#indexOnce()
    const { pairwise, transport } = this.#components
    pairwise.registerApp(APP_GROUP_OPS, (d) => this.#membership.onOps(d))
    // our own other devices send us their Sender Keys too (issue 18): their posts are ours
    pairwise.registerApp(
      APP_GROUP_SENDER_KEY,
      async (d) => {
        const opened = await this.#distribution.onSenderKey(d)
        return { after: () => (opened === null ? undefined : void this.#receive.retryPending(opened)) }
      },
      true,
    )
    pairwise.registerApp(APP_GROUP_MESSAGE, (d) => this.#receive.onCopy(d))
    pairwise.registerApp(APP_GROUP_RECEIPTS, (d) => this.#receipts.onReceipts(d))
    transport.onMessage((_topic, data) => {
      if (this.#running) void this.#receive.receiveWire(data)
    })
    // our key for every group we are a member of: a new epoch or a due rotation while we were off
    const out = await this.#lock.run(async () => {
      const sends: Outgoing[] = []
      const ops: BatchOp[] = []
      for (const g of this.#groups.all()) {
        if (g.record.status !== 'member') continue
        this.#groups.syncTopic(g)
        const r = this.#distribution.reconcile(g)
        ops.push(...r.ops)
        sends.push(...r.sends)
      }
      await this.store.batch(ops)
      return sends
    })
    void this.#queue.enqueue(out)
    this.#receipts.start()
    await this.#send.start()
  }

  /** Index the group messages stored before the message-id index existed (once per profile). */
  async #indexOnce(): Promise<void> {
    if ((await this.store.get(FIXED_KEYS.groupMessageIndex)) !== undefined) return
    const conversations = [...this.#groups.all()].map((g) => groupConversationId(g.record.groupId))
    const added = await indexExisting(this.store, conversations)
    await this.store.batch([this.store.put(FIXED_KEYS.groupMessageIndex, { version: 1 })])
    if (added > 0) this.#components.log.info('group messages indexed by id', { added })
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#send.stop()
    this.#receipts.stop()
    await this.#lock.run(async () => {})
    await this.#queue.drained()
  }

  /**
   * A contact's pinned device list changed (issue 18): in every group we share, our Sender Key
   * is rotated when a device of theirs was revoked (and the keys that device distributed are
   * forgotten), or sent again when one was added (key-distribution.ts). Resolves once the
   * distributions are queued.
   */
  async memberDevicesChanged(userId: string, change: MemberDeviceChange): Promise<void> {
    if (!this.#running) return
    const contact = await this.#components.vault.getContact(userId)
    const revoked = new Set((contact?.deviceList?.revoked ?? []).map((k) => toHex(k)))
    const out = await this.#lock.run(async () => {
      const r = this.#distribution.memberDevicesChanged(userId, change, revoked)
      await this.store.batch(r.ops)
      return r.sends
    })
    if (out.length > 0)
      this.#components.log.info('sender keys redistributed', { sends: out.length, ...change })
    await this.#queue.enqueue(out)
  }

  /**
   * Our own device list changed (a device linked or revoked here): our other devices hold our
   * Sender Keys (issue 18), so a revoked one makes us rotate in every group (and forget the keys
   * it distributed), an added one gets our current keys. `revoked`: hex device keys.
   */
  async ownDevicesChanged(change: MemberDeviceChange, revoked: ReadonlySet<string>): Promise<void> {
    if (!this.#running) return
    const me = formatUserId(this.#components.userId)
    const out = await this.#lock.run(async () => {
      const r = this.#distribution.memberDevicesChanged(me, change, revoked)
      await this.store.batch(r.ops)
      return r.sends
    })
    if (out.length > 0)
      this.#components.log.info('own sender keys redistributed', { sends: out.length, ...change })
    await this.#queue.enqueue(out)
  }

  /** The files layer's handler of received file pointers (register before start). */
  registerAttachments(handler: GroupAttachmentHandler): void {
    this.#receive.registerAttachments(handler)
  }

  // ---- reads

  group(groupId: string): LiveGroup | undefined {
    return this.#groups.group(groupId)
  }

  requireGroup(groupId: string): LiveGroup {
    return this.#groups.requireGroup(groupId)
  }

  list(): GroupSummary[] {
    return this.#groups.list()
  }

  summary(g: LiveGroup, status?: GroupSummary['status']): GroupSummary {
    return this.#groups.summary(g, status)
  }

  /** User ids of the current members of a group we are a member of, but us ([] otherwise). */
  otherMembers(groupId: string): string[] {
    const g = this.#groups.group(groupId)
    if (g === undefined || g.record.status !== 'member') return []
    const me = formatUserId(this.#components.userId)
    return g.log.state.members.map((m) => formatUserId(m.userId)).filter((u) => u !== me)
  }

  members(groupId: string): Promise<{ members: GroupMember[]; invitations: GroupInvitation[] }> {
    return this.#groups.members(groupId)
  }

  // ---- disappearing messages (group-timer.ts)

  /** Set a group's timer as its owner or an admin (0: off); null when it already was that. */
  async setTimer(conversationId: string, seconds: number): Promise<GroupTimerApplied | null> {
    const applied = await this.#timers.set(conversationId, seconds)
    if (applied !== null)
      this.#components.notify('conversation.timerChanged', {
        conversationId,
        seconds,
        by: applied.by,
        message: applied.line,
      })
    return applied
  }

  /** Delete the group lines whose timer ran out (at `now`); returns them (their files go too). */
  sweepExpired(now: number): Promise<StoredMessage[]> {
    return this.#timers.sweep(now)
  }

  // ---- membership commands

  create(name: string, invitees: readonly string[]): Promise<GroupSummary> {
    return this.#membership.create(name, invitees)
  }

  invite(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupSummary> {
    return this.#membership.invite(groupId, userId, role)
  }

  accept(groupId: string): Promise<GroupSummary> {
    return this.#membership.accept(groupId)
  }

  decline(groupId: string): Promise<GroupSummary> {
    return this.#membership.decline(groupId)
  }

  leave(groupId: string): Promise<GroupSummary> {
    return this.#membership.leave(groupId)
  }

  remove(groupId: string, userId: string): Promise<GroupSummary> {
    return this.#membership.remove(groupId, userId)
  }

  rename(groupId: string, name: string): Promise<GroupSummary> {
    return this.#membership.rename(groupId, name)
  }

  setRole(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupSummary> {
    return this.#membership.setRole(groupId, userId, role)
  }
}

/** The libp2p-style factory: `groupService(init)(components)`. */
export function groupService(
  init: GroupServiceInit = {},
): (components: GroupServiceComponents) => GroupService {
  return (components) => new GroupService(components, init)
}

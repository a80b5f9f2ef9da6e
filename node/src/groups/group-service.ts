/**
 * Groups for one unlocked profile: membership through signed ops (core/src/group), persisted in
 * the sealed store, carried over the pairwise sessions (Messenger app payloads), and group
 * messages (group-messages.ts) over one gossipsub topic per epoch with Sender Keys.
 *
 * libp2p-free: the topic side is a GroupTransport and the pairwise side a GroupPairwise, so the
 * same service runs in the daemon, in tests and in the benchmark.
 *
 * Locking: one mutex serialises every read-modify-write of group records and keys. Messenger app
 * handlers run inside the messenger's lock and take ours; so code holding our lock never waits
 * for the messenger: every pairwise send runs afterwards, from an ordered background queue.
 */
import { bytesEqual, fromHex, toHex } from '../../../core/src/bytes.ts'
import { type ContactCard, parseContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { InvalidStateError, WrenCoreError } from '../../../core/src/errors.ts'
import {
  applyOps,
  commitGroupOp,
  createGroup,
  currentGroupTopic,
  decodeGroupLog,
  decodeGroupOp,
  encodeGroupLog,
  encodeGroupOp,
  GROUP_OP_ACCEPT,
  GROUP_OP_CREATE,
  GROUP_OP_DECLINE,
  GROUP_OP_INVITE,
  GROUP_OP_LEAVE,
  GROUP_OP_REMOVE,
  GROUP_OP_RENAME,
  GROUP_OP_SET_ROLE,
  type GroupLog,
  type GroupOp,
  type GroupOpArgs,
  type GroupRole,
  type GroupState,
  groupLogFromOps,
  invitationOf,
  logStateHash,
  memberOf,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
} from '../../../core/src/group/index.ts'
import { formatUserId, type IdentityKeyPair, parseUserId } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import type { Logger } from '../daemon/log.ts'
import type { AppDelivery, AppEffect, AppHandler } from '../messaging/inbound.ts'
import { Mutex } from '../messaging/mutex.ts'
import type { ContactRecord, Vault } from '../messaging/vault.ts'
import type { EventName, EventPayload, GroupInvitation, GroupMember, GroupSummary } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  APP_GROUP_MESSAGE,
  APP_GROUP_OPS,
  APP_GROUP_RECEIPTS,
  APP_GROUP_SENDER_KEY,
  MAX_PENDING_INVITES,
} from './constants.ts'
import { GroupMessages } from './group-messages.ts'
import {
  type DeliveryRecord,
  type GroupRecord,
  type GroupStatus,
  GroupStore,
  groupConversationId,
} from './group-store.ts'
import { catchUpSends, HeldPosts, type JoinCatchUp } from './join-catch-up.ts'
import {
  catchUpInvitees,
  invitePayloads,
  memberIdsIn,
  type Outgoing,
  othersIn,
  relayInviteeAnswers,
  type SyncContext,
} from './op-sync.ts'
import { SenderKeyBook } from './sender-keys.ts'
import { decodeOpsPayload, decodeSenderKeyMsg, encodeOpsPayload, encodeSenderKeyMsg } from './wire.ts'

/** The pairwise side (the Messenger in the daemon). */
export interface GroupPairwise {
  registerApp(appKind: number, handler: AppHandler): void
  sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void>
  addContact(card: ContactCard, name: string | undefined): Promise<unknown>
}

/** The topic side (gossipsub in the daemon). Expected network failures are values. */
export interface GroupTransport {
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: Uint8Array): Promise<{ ok: boolean }>
  /** Whether the device is a direct subscriber of the topic (gossip will likely reach it). */
  isSubscriber(topic: string, devicePeerId: Uint8Array): boolean
  onMessage(handler: (topic: string, data: Uint8Array) => void): void
}

export interface GroupServiceInit {
  suite: CryptoSuite
  vault: Vault
  identity: IdentityKeyPair
  userId: Uint8Array
  succession: IdentitySuccession | null
  /** Our signed contact card (string form), given to the members we join. */
  card: () => string
  pairwise: GroupPairwise
  transport: GroupTransport
  notify: <E extends EventName>(event: E, payload: EventPayload<E>) => void
  now: () => number
  log: Logger
  /** Tests and the benchmark shorten the gossip acknowledgement wait. */
  ackTimeoutMs?: number
}

export interface LiveGroup {
  record: GroupRecord
  log: GroupLog
}

export type { Outgoing } from './op-sync.ts'

const ROLE_NAMES: Record<GroupRole, 'owner' | 'admin' | 'member'> = {
  [ROLE_OWNER]: 'owner',
  [ROLE_ADMIN]: 'admin',
  [ROLE_MEMBER]: 'member',
}

export class GroupService {
  readonly init: GroupServiceInit
  readonly store: GroupStore
  readonly keys: SenderKeyBook
  /** Our posts held for pending invitees (a post in flight while someone joins). */
  readonly held: HeldPosts
  readonly lock = new Mutex()
  readonly me: string
  readonly messages: GroupMessages
  readonly #groups = new Map<string, LiveGroup>()
  readonly #topics = new Map<string, string>()
  #queue: Promise<void> = Promise.resolve()
  #running = false

  constructor(init: GroupServiceInit) {
    this.init = init
    this.store = new GroupStore(init.vault)
    this.keys = new SenderKeyBook(init.suite, this.store)
    this.held = new HeldPosts(this.store)
    this.me = formatUserId(init.userId)
    this.messages = new GroupMessages(this)
  }

  async start(): Promise<void> {
    this.#running = true
    for await (const record of this.store.all<GroupRecord>('g/')) {
      this.#groups.set(record.groupId, { record, log: decodeGroupLog(record.log) })
    }
    await this.keys.load()
    await this.held.load()
    const { pairwise, transport } = this.init
    pairwise.registerApp(APP_GROUP_OPS, (d) => this.#onOps(d))
    pairwise.registerApp(APP_GROUP_SENDER_KEY, (d) => this.#onSenderKey(d))
    pairwise.registerApp(APP_GROUP_MESSAGE, (d) => this.messages.onCopy(d))
    pairwise.registerApp(APP_GROUP_RECEIPTS, (d) => this.messages.onReceipts(d))
    transport.onMessage((_topic, data) => {
      if (this.#running) void this.messages.receiveWire(data)
    })
    const out = await this.lock.run(async () => {
      const sends: Outgoing[] = []
      const ops: BatchOp[] = []
      for (const g of this.#groups.values()) {
        if (g.record.status !== 'member') continue
        this.#syncTopic(g)
        const r = this.#reconcileKey(g)
        ops.push(...r.ops)
        sends.push(...r.sends)
      }
      await this.store.batch(ops)
      return sends
    })
    void this.enqueue(out)
    await this.messages.start()
  }

  async stop(): Promise<void> {
    this.#running = false
    this.messages.stop()
    await this.lock.run(async () => {})
    await this.#queue
  }

  // ---- reads

  group(groupId: string): LiveGroup | undefined {
    return this.#groups.get(groupId)
  }

  requireGroup(groupId: string): LiveGroup {
    const g = this.#groups.get(groupId)
    if (g === undefined) throw appError('NOT_FOUND', `no group ${groupId}`)
    return g
  }

  list(): GroupSummary[] {
    return [...this.#groups.values()].map((g) => this.summary(g)).sort((a, b) => b.updatedAt - a.updatedAt)
  }

  summary(g: LiveGroup, status: GroupSummary['status'] = g.record.status): GroupSummary {
    const state = g.log.state
    const self = memberOf(state, this.init.userId)
    return {
      groupId: g.record.groupId,
      conversationId: groupConversationId(g.record.groupId),
      name: state.name,
      status,
      role: status === 'member' && self !== undefined ? ROLE_NAMES[self.role] : null,
      epoch: state.epoch,
      memberCount: state.members.length,
      invitedBy: g.record.invitedBy,
      stateHash: toHex(logStateHash(this.init.suite, g.log)),
      updatedAt: g.record.conversation.updatedAt,
    }
  }

  async members(groupId: string): Promise<{ members: GroupMember[]; invitations: GroupInvitation[] }> {
    const state = this.requireGroup(groupId).log.state
    const contacts = new Map((await this.init.vault.listContacts()).map((c) => [c.userId, c]))
    const name = (u: string) => (u === this.me ? 'you' : (contacts.get(u)?.displayName ?? u))
    return {
      members: state.members.map((m) => {
        const userId = formatUserId(m.userId)
        return { userId, displayName: name(userId), role: ROLE_NAMES[m.role], joinedAt: m.joinedAt }
      }),
      invitations: state.invitations.map((i) => ({
        userId: formatUserId(i.userId),
        role: ROLE_NAMES[i.role],
        invitedBy: formatUserId(i.inviterUserId),
        invitedAt: i.invitedAt,
      })),
    }
  }

  // ---- membership commands

  async create(name: string, invitees: readonly string[]): Promise<GroupSummary> {
    for (const u of invitees) await this.#requireContact(u)
    const { suite, identity } = this.init
    const now = this.init.now()
    const created = createGroup(suite, identity, {
      name,
      timestamp: now,
      actorSuccession: this.init.succession,
    })
    const groupId = toHex(created.log.groupId)
    await this.lock.run(async () => {
      const record: GroupRecord = {
        groupId,
        status: 'member',
        log: encodeGroupLog(created.log),
        cards: { [this.me]: this.init.card() },
        invitedBy: null,
        conversation: { lastSeq: 0, lastReadSeq: 0, unread: 0, updatedAt: now },
        createdAt: now,
      }
      const g = { record, log: created.log }
      const r = this.#reconcileKey(g)
      await this.store.batch([this.store.put(this.store.groupKey(groupId), record), ...r.ops])
      this.#groups.set(groupId, g)
      this.#syncTopic(g)
    })
    for (const u of invitees) await this.invite(groupId, u, 'member')
    const summary = this.summary(this.requireGroup(groupId))
    this.init.notify('group.updated', { group: summary })
    return summary
  }

  async invite(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupSummary> {
    const contact = await this.#requireContact(userId)
    return this.#commit(groupId, {
      kind: GROUP_OP_INVITE,
      invitee: { userId: parseUserId(userId), identityKey: contact.identityKey, succession: null },
      role: role === 'admin' ? ROLE_ADMIN : ROLE_MEMBER,
    })
  }

  async accept(groupId: string): Promise<GroupSummary> {
    return this.#commit(groupId, { kind: GROUP_OP_ACCEPT }, 'invited')
  }

  async decline(groupId: string): Promise<GroupSummary> {
    return this.#commit(groupId, { kind: GROUP_OP_DECLINE }, 'invited')
  }

  async leave(groupId: string): Promise<GroupSummary> {
    return this.#commit(groupId, { kind: GROUP_OP_LEAVE })
  }

  async remove(groupId: string, userId: string): Promise<GroupSummary> {
    return this.#commit(groupId, { kind: GROUP_OP_REMOVE, userId: parseUserId(userId) })
  }

  async rename(groupId: string, name: string): Promise<GroupSummary> {
    return this.#commit(groupId, { kind: GROUP_OP_RENAME, name })
  }

  async setRole(groupId: string, userId: string, role: 'admin' | 'member'): Promise<GroupSummary> {
    return this.#commit(groupId, {
      kind: GROUP_OP_SET_ROLE,
      userId: parseUserId(userId),
      role: role === 'admin' ? ROLE_ADMIN : ROLE_MEMBER,
    })
  }

  async #requireContact(userId: string): Promise<ContactRecord> {
    const contact = await this.init.vault.getContact(userId)
    if (contact === undefined) throw appError('NOT_FOUND', `no contact ${userId}: add their card first`)
    return contact
  }

  /** Sign an op of ours, apply it, persist, and queue it to everyone concerned. */
  async #commit(groupId: string, args: GroupOpArgs, need: GroupStatus = 'member'): Promise<GroupSummary> {
    const { suite, identity, succession } = this.init
    const { summary, sends } = await this.lock.run(async () => {
      const g = this.requireGroup(groupId)
      if (g.record.status !== need)
        throw appError('INVALID_INPUT', `group ${groupId}: we are ${g.record.status}, not ${need}`)
      let committed: { log: GroupLog; op: GroupOp }
      try {
        committed = commitGroupOp(suite, identity, g.log, args, this.init.now(), succession)
      } catch (error) {
        if (error instanceof InvalidStateError || error instanceof WrenCoreError)
          throw appError('INVALID_INPUT', error.message)
        throw error
      }
      const before = g.log.state
      const after = committed.log.state
      // everyone who was or is concerned: a removed member and a revoked invitee learn it too
      const peers = [...new Set([...othersIn(before, this.me), ...othersIn(after, this.me)])]
      const sends: Outgoing[] = []
      const op = encodeGroupOp(committed.op)
      const cards = args.kind === GROUP_OP_ACCEPT ? [this.init.card()] : []
      if (peers.length > 0)
        sends.push({
          groupId,
          peers,
          appKind: APP_GROUP_OPS,
          payload: encodeOpsPayload({ groupId: g.log.groupId, ops: [op], cards, invite: false }),
        })
      if (args.kind === GROUP_OP_INVITE)
        sends.push(...invitePayloads(this.#syncContext(g), committed.log, formatUserId(args.invitee.userId)))
      const forced: GroupStatus | undefined =
        args.kind === GROUP_OP_LEAVE ? 'left' : args.kind === GROUP_OP_DECLINE ? 'removed' : undefined
      if (args.kind === GROUP_OP_ACCEPT) g.record.cards[this.me] = this.init.card()
      const result = await this.#apply(g, committed.log, forced)
      sends.push(...result.sends)
      const status = args.kind === GROUP_OP_DECLINE ? ('declined' as const) : g.record.status
      return { summary: this.summary(g, status), sends }
    })
    await this.enqueue(sends)
    if (args.kind === GROUP_OP_DECLINE) await this.#forget(groupId)
    return summary
  }

  #syncContext(g: LiveGroup): SyncContext {
    return { groupId: g.record.groupId, userId: this.init.userId, me: this.me, cards: g.record.cards }
  }

  async #forget(groupId: string): Promise<void> {
    await this.lock.run(async () => {
      const g = this.#groups.get(groupId)
      if (g === undefined || g.record.status === 'member') return
      this.#groups.delete(groupId)
      await this.store.batch([
        this.store.del(this.store.groupKey(groupId)),
        ...this.keys.forgetGroup(groupId),
        ...this.held.forgetGroup(groupId),
      ])
    })
  }

  /**
   * Take a new log for a group (caller holds the lock): derive our standing, subscribe to the
   * epoch topic, reconcile our Sender Key, persist, and emit events. Returns what to send.
   */
  async #apply(g: LiveGroup, log: GroupLog, forced?: GroupStatus): Promise<{ sends: Outgoing[] }> {
    const before = g.record.status
    const previous = g.log.state
    const state = log.state
    let status: GroupStatus
    if (forced !== undefined) status = forced
    else if (memberOf(state, this.init.userId) !== undefined) status = 'member'
    else if (invitationOf(state, this.init.userId) !== undefined) status = 'invited'
    else status = before === 'member' || before === 'invited' ? 'removed' : before
    const changed = !bytesEqual(logStateHash(this.init.suite, g.log), logStateHash(this.init.suite, log))
    g.log = log
    g.record.status = status
    g.record.log = encodeGroupLog(log)
    if (changed || before !== status) g.record.conversation.updatedAt = this.init.now()
    // keep only cards of people still concerned
    const concerned = new Set([this.me, ...othersIn(state, this.me)])
    for (const u of Object.keys(g.record.cards)) if (!concerned.has(u)) delete g.record.cards[u]
    const ops: BatchOp[] = []
    const sends: Outgoing[] = []
    let commitHolds = () => {}
    if (status === 'member') {
      this.#syncTopic(g)
      const joins = await this.held.settle(g.record.groupId, previous, state)
      const r = this.#reconcileKey(g, joins.catchUps)
      ops.push(...joins.ops, ...(await this.#countNewcomers(joins.catchUps)), ...r.ops)
      sends.push(...r.sends)
      commitHolds = joins.commit
    } else {
      const topic = this.#topics.get(g.record.groupId)
      if (topic !== undefined) this.init.transport.unsubscribe(topic)
      this.#topics.delete(g.record.groupId)
      ops.push(...this.keys.forgetGroup(g.record.groupId), ...this.held.forgetGroup(g.record.groupId))
    }
    ops.push(this.store.put(this.store.groupKey(g.record.groupId), g.record))
    await this.store.batch(ops)
    commitHolds()
    if (status === 'invited' && before !== 'invited')
      this.init.notify('group.invited', { group: this.summary(g) })
    else if (changed || before !== status) this.init.notify('group.updated', { group: this.summary(g) })
    return { sends }
  }

  #syncTopic(g: LiveGroup): void {
    const topic = currentGroupTopic(this.init.suite, g.log.state)
    const previous = this.#topics.get(g.record.groupId)
    if (previous === topic) return
    if (previous !== undefined) this.init.transport.unsubscribe(previous)
    this.init.transport.subscribe(topic)
    this.#topics.set(g.record.groupId, topic)
  }

  topicOf(groupId: string): string | undefined {
    return this.#topics.get(groupId)
  }

  /**
   * Our Sender Key for the group's epoch, distributed to every current member (lock held).
   * Newcomers with a catch-up get our held posts and the distributions that open them first; one
   * that got a distribution of our current chain that way is not sent the current one as well.
   */
  #reconcileKey(g: LiveGroup, catchUps: readonly JoinCatchUp[] = []): { ops: BatchOp[]; sends: Outgoing[] } {
    const r = this.keys.reconcile(
      g.record.groupId,
      g.log.state.epoch,
      memberIdsIn(g.log.state, this.me),
      this.init.now(),
    )
    this.keys.commitOwn(r.next)
    const chain = r.next.state.chains[0]
    const current =
      chain === undefined ? null : { distHex: toHex(r.next.state.distributionId), chainId: chain.chainId }
    const joined = catchUpSends(g.log.groupId, catchUps, current)
    const sends: Outgoing[] = [...joined.sends]
    const peers = r.send?.peers.filter((p) => !joined.covered.has(p)) ?? []
    if (r.send !== null && peers.length > 0) {
      sends.push({
        groupId: g.record.groupId,
        peers,
        appKind: APP_GROUP_SENDER_KEY,
        payload: encodeSenderKeyMsg({
          groupId: g.log.groupId,
          epoch: r.send.epoch,
          distribution: r.send.distribution,
        }),
        distribution: true,
      })
    }
    return { ops: r.ops, sends }
  }

  /** Newcomers that get held posts count in those posts' delivery states (receipts). */
  async #countNewcomers(catchUps: readonly JoinCatchUp[]): Promise<BatchOp[]> {
    const records = new Map<string, DeliveryRecord>()
    for (const { peer, posts } of catchUps) {
      for (const post of posts) {
        const record =
          records.get(post.messageId) ??
          (await this.store.get<DeliveryRecord>(this.store.deliveryKey(post.messageId)))
        if (record === undefined) continue
        record.members[peer] ??= 'queued'
        records.set(post.messageId, record)
      }
    }
    return [...records].map(([id, record]) => this.store.put(this.store.deliveryKey(id), record))
  }

  /** Reconcile our key now (before a send: rotation may be due). Lock held. */
  reconcileKeyNow(g: LiveGroup): { ops: BatchOp[]; sends: Outgoing[] } {
    return this.#reconcileKey(g)
  }

  // ---- incoming payloads (inside the messenger's lock: never await the messenger here)

  async #onOps(d: AppDelivery): Promise<AppEffect> {
    const payload = decodeOpsPayload(d.payload)
    const ops: GroupOp[] = []
    for (const bytes of payload.ops) {
      try {
        ops.push(decodeGroupOp(bytes))
      } catch (error) {
        this.init.log.debug('group op refused', { error: (error as Error)?.name })
      }
    }
    const groupId = toHex(payload.groupId)
    const sends = await this.lock.run(async () => {
      let g = this.#groups.get(groupId)
      if (g === undefined) {
        if (!payload.invite) return []
        const fresh = this.#newInvitation(groupId, ops, d.senderUserId)
        if (fresh === null) return []
        g = fresh
      }
      const previous = g.log.state
      const result = applyOps(this.init.suite, g.log, ops)
      for (const r of result.rejected) this.init.log.debug('group op rejected', { reason: r.reason })
      this.#mergeCards(g, result.log.state, payload.cards)
      const sends = [
        ...catchUpInvitees(this.#syncContext(g), result.log, result.applied),
        ...relayInviteeAnswers(this.#syncContext(g), previous, result.log, result.applied),
      ]
      if (!this.#groups.has(groupId)) {
        if (invitationOf(result.log.state, this.init.userId) === undefined) return []
        this.#groups.set(groupId, g)
      }
      const applied = await this.#apply(g, result.log)
      return [...sends, ...applied.sends]
    })
    return { after: () => void this.enqueue(sends) }
  }

  /** A group we do not hold, from an invite payload: a log built from its ops, or null. */
  #newInvitation(groupId: string, ops: readonly GroupOp[], inviter: string): LiveGroup | null {
    const pending = [...this.#groups.values()].filter((g) => g.record.status === 'invited').length
    if (pending >= MAX_PENDING_INVITES) return null
    const create = ops.find((op) => op.args.kind === GROUP_OP_CREATE)
    if (create === undefined) return null
    let log: GroupLog
    try {
      log = groupLogFromOps(this.init.suite, [create]).log
    } catch {
      return null
    }
    if (toHex(log.groupId) !== groupId) return null
    const now = this.init.now()
    return {
      log,
      record: {
        groupId,
        status: 'removed',
        log: encodeGroupLog(log),
        cards: {},
        invitedBy: inviter,
        conversation: { lastSeq: 0, lastReadSeq: 0, unread: 0, updatedAt: now },
        createdAt: now,
      },
    }
  }

  /** Keep signed cards of members and invitees whose key matches the group state. */
  #mergeCards(g: LiveGroup, state: GroupState, cards: readonly string[]): void {
    for (const text of cards) {
      let card: ContactCard
      try {
        card = parseContactCard(this.init.suite, text)
      } catch {
        continue
      }
      const person = memberOf(state, card.userId) ?? invitationOf(state, card.userId)
      if (person === undefined || !bytesEqual(person.identityKey, card.identityKey)) continue
      g.record.cards[formatUserId(card.userId)] = text
    }
  }

  async #onSenderKey(d: AppDelivery): Promise<AppEffect> {
    const msg = decodeSenderKeyMsg(d.payload)
    const groupId = toHex(msg.groupId)
    const retry = await this.lock.run(async () => {
      const g = this.#groups.get(groupId)
      if (g === undefined || g.record.status !== 'member') return null
      if (memberOf(g.log.state, parseUserId(d.senderUserId)) === undefined) {
        // the accept may still be on its way from another member: its key waits in pending wires
        this.init.log.debug('sender key from a non-member held back')
      }
      let received: ReturnType<SenderKeyBook['receive']>
      try {
        received = this.keys.receive(groupId, d.senderUserId, msg.epoch, msg.distribution)
      } catch (error) {
        this.init.log.debug('sender key refused', { error: (error as Error)?.name })
        return null
      }
      if (received === null) return null
      await this.store.batch(received.ops)
      this.keys.commitPeer(received.next)
      return toHex(received.next.state.distributionId)
    })
    return { after: () => (retry === null ? undefined : void this.messages.retryPending(retry)) }
  }

  // ---- the ordered background queue of pairwise sends

  /** Queue payloads in order; resolves once they are in the messenger's outbox (or failed). */
  enqueue(sends: readonly Outgoing[]): Promise<void> {
    if (sends.length === 0) return this.#queue
    const run = async () => {
      for (const send of sends) await this.#sendOne(send)
    }
    this.#queue = this.#queue
      .then(run, run)
      .catch((error) => this.init.log.warn('group send failed', { error: (error as Error)?.name }))
    return this.#queue
  }

  async #sendOne(send: Outgoing): Promise<void> {
    const reachable: string[] = []
    const unreachable: string[] = []
    for (const peer of send.peers) {
      if ((await this.init.vault.getContact(peer)) === undefined)
        await this.#addCardContact(send.groupId, peer)
      if ((await this.init.vault.getContact(peer)) === undefined) unreachable.push(peer)
      else reachable.push(peer)
    }
    if (reachable.length > 0) await this.init.pairwise.sendApp(reachable, send.appKind, send.payload)
    if (unreachable.length > 0) {
      this.init.log.info('group payload for members without a card skipped', { count: unreachable.length })
      if (send.distribution)
        await this.lock.run(() => this.store.batch(this.keys.undistribute(send.groupId, unreachable)))
    }
  }

  async #addCardContact(groupId: string, userId: string): Promise<void> {
    const text = this.#groups.get(groupId)?.record.cards[userId]
    if (text === undefined) return
    try {
      await this.init.pairwise.addContact(parseContactCard(this.init.suite, text), undefined)
    } catch (error) {
      this.init.log.debug('member card refused', { error: (error as Error)?.name })
    }
  }

  /** Parse a group id param (hex) into bytes; NOT_FOUND style errors come from requireGroup. */
  static groupIdBytes(groupId: string): Uint8Array {
    return fromHex(groupId)
  }
}

/**
 * Group membership through signed ops (core/src/group): our commands (create, invite, accept,
 * decline, leave, remove, rename, set a role) and the ops members send us, applied to the log,
 * persisted, and carried to everyone concerned over the pairwise sessions (op-sync.ts decides who
 * gets what). Taking a new log also moves us between topics and reconciles our Sender Key.
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import { type ContactCard, parseContactCard } from '../../../core/src/contact-card.ts'
import { InvalidStateError, WrenCoreError } from '../../../core/src/errors.ts'
import {
  applyOps,
  commitGroupOp,
  createGroup,
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
  type GroupState,
  groupLogFromOps,
  invitationOf,
  logStateHash,
  memberOf,
  ROLE_ADMIN,
  ROLE_MEMBER,
} from '../../../core/src/group/index.ts'
import { formatUserId, parseUserId } from '../../../core/src/identity.ts'
import type { AppDelivery, AppEffect } from '../messaging/inbound.ts'
import type { ContactRecord } from '../messaging/vault.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { APP_GROUP_OPS, MAX_PENDING_INVITES } from './constants.ts'
import type { GroupContext } from './context.ts'
import { GroupContactNotFoundError, GroupOpRefusedError, GroupStandingError } from './errors.ts'
import type { GroupRecord, GroupStatus } from './group-store.ts'
import type { KeyDistribution } from './key-distribution.ts'
import {
  catchUpInvitees,
  invitePayloads,
  type Outgoing,
  othersIn,
  relayInviteeAnswers,
  type SyncContext,
} from './op-sync.ts'
import { countNewcomers } from './receipts.ts'
import type { LiveGroup } from './registry.ts'
import type { GroupSummary } from './types.ts'
import { decodeOpsPayload, encodeOpsPayload } from './wire.ts'

export class Membership {
  readonly #ctx: GroupContext
  readonly #distribution: KeyDistribution

  constructor(ctx: GroupContext, distribution: KeyDistribution) {
    this.#ctx = ctx
    this.#distribution = distribution
  }

  // ---- our commands

  /**
   * A new group with its invitations in one step: the create op and one invite op per invitee are
   * signed on top of each other before anything is stored or sent, so each invitee gets the whole
   * log once (one payload per ~80 ops) instead of one invite op per earlier invitee: O(n) pairwise
   * payloads for n invitees, not O(n²), and all invitations leave at once, not one after another.
   */
  async create(name: string, invitees: readonly string[]): Promise<GroupSummary> {
    const { suite, identity, groups, store, lock, me, succession } = this.#ctx
    const contacts: ContactRecord[] = []
    for (const u of invitees) contacts.push(await this.#requireContact(u))
    const now = this.#ctx.now()
    const created = createGroup(suite, identity, { name, timestamp: now, actorSuccession: succession })
    let log = created.log
    for (const contact of contacts) {
      const args: GroupOpArgs = {
        kind: GROUP_OP_INVITE,
        invitee: { userId: parseUserId(contact.userId), identityKey: contact.identityKey, succession: null },
        role: ROLE_MEMBER,
      }
      try {
        log = commitGroupOp(suite, identity, log, args, now, succession).log
      } catch (error) {
        if (error instanceof InvalidStateError || error instanceof WrenCoreError)
          throw new GroupOpRefusedError(error.message, { cause: error })
        throw error
      }
    }
    const groupId = toHex(created.log.groupId)
    const { summary, sends } = await lock.run(async () => {
      const record: GroupRecord = {
        groupId,
        status: 'member',
        log: encodeGroupLog(log),
        cards: { [me]: this.#ctx.card() },
        invitedBy: null,
        conversation: { lastSeq: 0, lastReadSeq: 0, unread: 0, updatedAt: now },
        createdAt: now,
      }
      const g = { record, log }
      const r = this.#distribution.reconcile(g)
      await store.batch([store.put(store.groupKey(groupId), record), ...r.ops])
      groups.add(g)
      groups.syncTopic(g)
      const sync = this.#syncContext(g)
      const sends = contacts.flatMap((c) => invitePayloads(sync, log, c.userId))
      return { summary: groups.summary(g), sends: [...sends, ...r.sends] }
    })
    await this.#ctx.enqueue(sends)
    this.#ctx.notify('group.updated', { group: summary })
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
    const contact = await this.#ctx.contacts.getContact(userId)
    if (contact === undefined) throw new GroupContactNotFoundError(userId)
    return contact
  }

  /** Sign an op of ours, apply it, persist, and queue it to everyone concerned. */
  async #commit(groupId: string, args: GroupOpArgs, need: GroupStatus = 'member'): Promise<GroupSummary> {
    const { suite, identity, succession, groups, lock, me } = this.#ctx
    const { summary, sends } = await lock.run(async () => {
      const g = groups.requireGroup(groupId)
      if (g.record.status !== need)
        throw new GroupStandingError(`group ${groupId}: we are ${g.record.status}, not ${need}`)
      let committed: { log: GroupLog; op: GroupOp }
      try {
        committed = commitGroupOp(suite, identity, g.log, args, this.#ctx.now(), succession)
      } catch (error) {
        if (error instanceof InvalidStateError || error instanceof WrenCoreError)
          throw new GroupOpRefusedError(error.message, { cause: error })
        throw error
      }
      const before = g.log.state
      const after = committed.log.state
      // everyone who was or is concerned: a removed member and a revoked invitee learn it too
      const peers = [...new Set([...othersIn(before, me), ...othersIn(after, me)])]
      const sends: Outgoing[] = []
      const op = encodeGroupOp(committed.op)
      const cards = args.kind === GROUP_OP_ACCEPT ? [this.#ctx.card()] : []
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
      if (args.kind === GROUP_OP_ACCEPT) g.record.cards[me] = this.#ctx.card()
      const result = await this.#apply(g, committed.log, forced)
      sends.push(...result.sends)
      const status = args.kind === GROUP_OP_DECLINE ? ('declined' as const) : g.record.status
      return { summary: groups.summary(g, status), sends }
    })
    await this.#ctx.enqueue(sends)
    if (args.kind === GROUP_OP_DECLINE) await this.#forget(groupId)
    return summary
  }

  #syncContext(g: LiveGroup): SyncContext {
    return { groupId: g.record.groupId, userId: this.#ctx.userId, me: this.#ctx.me, cards: g.record.cards }
  }

  async #forget(groupId: string): Promise<void> {
    const { groups, store, keys, held } = this.#ctx
    await this.#ctx.lock.run(async () => {
      const g = groups.group(groupId)
      if (g === undefined || g.record.status === 'member') return
      groups.delete(groupId)
      await store.batch([
        store.del(store.groupKey(groupId)),
        ...keys.forgetGroup(groupId),
        ...held.forgetGroup(groupId),
      ])
    })
  }

  /**
   * Take a new log for a group (caller holds the lock): derive our standing, subscribe to the
   * epoch topic, reconcile our Sender Key, persist, and emit events. Returns what to send.
   */
  async #apply(g: LiveGroup, log: GroupLog, forced?: GroupStatus): Promise<{ sends: Outgoing[] }> {
    const { suite, userId, me, groups, store, keys, held, notify } = this.#ctx
    const before = g.record.status
    const previous = g.log.state
    const state = log.state
    let status: GroupStatus
    if (forced !== undefined) status = forced
    else if (memberOf(state, userId) !== undefined) status = 'member'
    else if (invitationOf(state, userId) !== undefined) status = 'invited'
    else status = before === 'member' || before === 'invited' ? 'removed' : before
    const changed = !bytesEqual(logStateHash(suite, g.log), logStateHash(suite, log))
    g.log = log
    g.record.status = status
    g.record.log = encodeGroupLog(log)
    if (changed || before !== status) g.record.conversation.updatedAt = this.#ctx.now()
    // keep only cards of people still concerned
    const concerned = new Set([me, ...othersIn(state, me)])
    for (const u of Object.keys(g.record.cards)) if (!concerned.has(u)) delete g.record.cards[u]
    const ops: BatchOp[] = []
    const sends: Outgoing[] = []
    let commitHolds = () => {}
    if (status === 'member') {
      groups.syncTopic(g)
      const joins = await held.settle(g.record.groupId, previous, state)
      const r = this.#distribution.reconcile(g, joins.catchUps)
      ops.push(...joins.ops, ...(await countNewcomers(store, joins.catchUps)), ...r.ops)
      sends.push(...r.sends)
      commitHolds = joins.commit
    } else {
      groups.dropTopic(g.record.groupId)
      ops.push(...keys.forgetGroup(g.record.groupId), ...held.forgetGroup(g.record.groupId))
    }
    ops.push(store.put(store.groupKey(g.record.groupId), g.record))
    await store.batch(ops)
    commitHolds()
    if (status === 'invited' && before !== 'invited') notify('group.invited', { group: groups.summary(g) })
    else if (changed || before !== status) notify('group.updated', { group: groups.summary(g) })
    return { sends }
  }

  // ---- ops from members (inside the messenger's lock: never await the messenger here)

  async onOps(d: AppDelivery): Promise<AppEffect> {
    const { suite, userId, groups, log } = this.#ctx
    const payload = decodeOpsPayload(d.payload)
    const ops: GroupOp[] = []
    for (const bytes of payload.ops) {
      try {
        ops.push(decodeGroupOp(bytes))
      } catch (error) {
        log.debug('group op refused', { error: (error as Error)?.name })
      }
    }
    const groupId = toHex(payload.groupId)
    const sends = await this.#ctx.lock.run(async () => {
      let g = groups.group(groupId)
      if (g === undefined) {
        if (!payload.invite) return []
        const fresh = this.#newInvitation(groupId, ops, d.senderUserId)
        if (fresh === null) return []
        g = fresh
      }
      const previous = g.log.state
      const result = applyOps(suite, g.log, ops)
      for (const r of result.rejected) log.debug('group op rejected', { reason: r.reason })
      this.#mergeCards(g, result.log.state, payload.cards)
      const sends = [
        ...catchUpInvitees(this.#syncContext(g), result.log, result.applied),
        ...relayInviteeAnswers(this.#syncContext(g), previous, result.log, result.applied),
      ]
      if (groups.group(groupId) === undefined) {
        if (invitationOf(result.log.state, userId) === undefined) return []
        groups.add(g)
      }
      const applied = await this.#apply(g, result.log)
      return [...sends, ...applied.sends]
    })
    return { after: () => void this.#ctx.enqueue(sends) }
  }

  /** A group we do not hold, from an invite payload: a log built from its ops, or null. */
  #newInvitation(groupId: string, ops: readonly GroupOp[], inviter: string): LiveGroup | null {
    if (this.#ctx.groups.pendingInvitations() >= MAX_PENDING_INVITES) return null
    const create = ops.find((op) => op.args.kind === GROUP_OP_CREATE)
    if (create === undefined) return null
    let log: GroupLog
    try {
      log = groupLogFromOps(this.#ctx.suite, [create]).log
    } catch {
      return null
    }
    if (toHex(log.groupId) !== groupId) return null
    const now = this.#ctx.now()
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
        card = parseContactCard(this.#ctx.suite, text)
      } catch {
        continue
      }
      const person = memberOf(state, card.userId) ?? invitationOf(state, card.userId)
      if (person === undefined || !bytesEqual(person.identityKey, card.identityKey)) continue
      g.record.cards[formatUserId(card.userId)] = text
    }
  }
}

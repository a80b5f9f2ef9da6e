/**
 * The groups we hold, in memory (record and decoded op log), with the epoch topic each member
 * group is subscribed to, and the read-only views of them (summaries, member lists). Changes to
 * the map are made by the membership side under the service's lock; reads need no lock.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  currentGroupTopic,
  decodeGroupLog,
  type GroupLog,
  type GroupRole,
  logStateHash,
  memberOf,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
} from '../../../core/src/group/index.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { GROUP_PREFIXES } from '../storage/layout.ts'
import { GroupNotFoundError } from './errors.ts'
import { type GroupRecord, type GroupStore, groupConversationId } from './group-store.ts'
import type {
  GroupContacts,
  GroupInvitation,
  GroupMember,
  GroupRoleName,
  GroupSummary,
  GroupTransport,
} from './types.ts'

/** A group as held in memory: its record and its decoded op log. */
export interface LiveGroup {
  record: GroupRecord
  log: GroupLog
}

const ROLE_NAMES: Record<GroupRole, GroupRoleName> = {
  [ROLE_OWNER]: 'owner',
  [ROLE_ADMIN]: 'admin',
  [ROLE_MEMBER]: 'member',
}

export interface GroupRegistryInit {
  readonly suite: CryptoSuite
  readonly userId: Uint8Array
  readonly store: GroupStore
  readonly contacts: GroupContacts
  readonly transport: GroupTransport
}

export class GroupRegistry {
  readonly #init: GroupRegistryInit
  readonly #me: string
  readonly #groups = new Map<string, LiveGroup>()
  /** The epoch topic each member group is subscribed to, by group id. */
  readonly #topics = new Map<string, string>()

  constructor(init: GroupRegistryInit) {
    this.#init = init
    this.#me = formatUserId(init.userId)
  }

  async load(): Promise<void> {
    for await (const record of this.#init.store.all<GroupRecord>(GROUP_PREFIXES.group))
      this.#groups.set(record.groupId, { record, log: decodeGroupLog(record.log) })
  }

  // ---- the map

  group(groupId: string): LiveGroup | undefined {
    return this.#groups.get(groupId)
  }

  requireGroup(groupId: string): LiveGroup {
    const g = this.#groups.get(groupId)
    if (g === undefined) throw new GroupNotFoundError(groupId)
    return g
  }

  all(): IterableIterator<LiveGroup> {
    return this.#groups.values()
  }

  add(g: LiveGroup): void {
    this.#groups.set(g.record.groupId, g)
  }

  delete(groupId: string): void {
    this.#groups.delete(groupId)
  }

  /** Groups we are invited to and have not answered. */
  pendingInvitations(): number {
    return [...this.#groups.values()].filter((g) => g.record.status === 'invited').length
  }

  // ---- epoch topics

  /** Subscribe to the group's current epoch topic (leaving the previous one). */
  syncTopic(g: LiveGroup): void {
    const topic = currentGroupTopic(this.#init.suite, g.log.state)
    const previous = this.#topics.get(g.record.groupId)
    if (previous === topic) return
    if (previous !== undefined) this.#init.transport.unsubscribe(previous)
    this.#init.transport.subscribe(topic)
    this.#topics.set(g.record.groupId, topic)
  }

  /** Leave the group's topic (we are no longer a member). */
  dropTopic(groupId: string): void {
    const topic = this.#topics.get(groupId)
    if (topic !== undefined) this.#init.transport.unsubscribe(topic)
    this.#topics.delete(groupId)
  }

  topicOf(groupId: string): string | undefined {
    return this.#topics.get(groupId)
  }

  // ---- views

  list(): GroupSummary[] {
    return [...this.#groups.values()].map((g) => this.summary(g)).sort((a, b) => b.updatedAt - a.updatedAt)
  }

  summary(g: LiveGroup, status: GroupSummary['status'] = g.record.status): GroupSummary {
    const state = g.log.state
    const self = memberOf(state, this.#init.userId)
    return {
      groupId: g.record.groupId,
      conversationId: groupConversationId(g.record.groupId),
      name: state.name,
      status,
      role: status === 'member' && self !== undefined ? ROLE_NAMES[self.role] : null,
      epoch: state.epoch,
      memberCount: state.members.length,
      invitedBy: g.record.invitedBy,
      stateHash: toHex(logStateHash(this.#init.suite, g.log)),
      updatedAt: g.record.conversation.updatedAt,
    }
  }

  async members(groupId: string): Promise<{ members: GroupMember[]; invitations: GroupInvitation[] }> {
    const state = this.requireGroup(groupId).log.state
    const contacts = new Map((await this.#init.contacts.listContacts()).map((c) => [c.userId, c]))
    const name = (u: string) => (u === this.#me ? 'you' : (contacts.get(u)?.displayName ?? u))
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
}

/**
 * Group view logic: the group list kept current from events, what our role lets us do (the
 * daemon enforces the same rules; the view only hides what would be refused), who can still
 * be invited, and aggregate delivery ticks for group messages.
 */
import type {
  Contact,
  GroupInvitation,
  GroupMember,
  GroupSummary,
  MessageStatus,
} from '../../../node/src/rpc/api.ts'
import { type StatusView, statusView } from './message-status.ts'

export type GroupRole = GroupMember['role']

/** Group names (the daemon's MAX_GROUP_NAME_CHARS). */
export const MAX_GROUP_NAME_CHARS = 128
/** Contacts invited in one groups.create (the daemon's MAX_CREATE_INVITES). */
export const MAX_CREATE_INVITES = 50

/** Role order: a member can act only on members of a lower rank. */
const ROLE_RANK: Readonly<Record<GroupRole, number>> = { owner: 2, admin: 1, member: 0 }

/** Most recently updated first; ties broken by id so the order is stable. */
export function sortGroups(list: readonly GroupSummary[]): GroupSummary[] {
  return [...list].sort((a, b) => b.updatedAt - a.updatedAt || a.groupId.localeCompare(b.groupId))
}

/**
 * The list after an event or an action returned a summary. A declined group is forgotten by
 * the daemon, so it leaves the list here too.
 */
export function upsertGroup(list: readonly GroupSummary[], group: GroupSummary): GroupSummary[] {
  const rest = list.filter((g) => g.groupId !== group.groupId)
  return sortGroups(group.status === 'declined' ? rest : [...rest, group])
}

/** Invitations waiting for an answer, newest first. */
export function pendingInvitations(list: readonly GroupSummary[]): GroupSummary[] {
  return sortGroups(list.filter((g) => g.status === 'invited'))
}

/** Group of a 'grp:<groupId>' conversation, if it is one. */
export function groupIdOfConversation(conversationId: string): string | null {
  return conversationId.startsWith('grp:') ? conversationId.slice(4) : null
}

export interface GroupPermissions {
  readonly canSend: boolean
  readonly canInvite: boolean
  /** Only the owner may invite someone straight in as an admin. */
  readonly canInviteAdmin: boolean
  readonly canRename: boolean
  readonly canLeave: boolean
  /** Whether we may remove this member (or revoke an invitation of this role). */
  canRemove(role: GroupRole, userId: string): boolean
  /** Whether we may make this member admin or member. */
  canSetRole(role: GroupRole, userId: string): boolean
}

/** What we may do in a group, from our standing and role (mirrors the daemon's group rules). */
export function groupPermissions(group: GroupSummary, myUserId: string | null): GroupPermissions {
  const member = group.status === 'member'
  const rank = member && group.role !== null ? ROLE_RANK[group.role] : -1
  const manager = rank >= ROLE_RANK.admin
  const owner = group.role === 'owner' && member
  return {
    canSend: member,
    canInvite: manager,
    canInviteAdmin: owner,
    canRename: manager,
    canLeave: member,
    canRemove: (role, userId) => manager && userId !== myUserId && ROLE_RANK[role] < rank,
    canSetRole: (role, userId) => owner && userId !== myUserId && role !== 'owner',
  }
}

/** Contacts not yet in the group nor invited, sorted by name: who the invite picker offers. */
export function inviteCandidates(
  contacts: readonly Contact[],
  members: readonly GroupMember[],
  invitations: readonly GroupInvitation[],
): Contact[] {
  const taken = new Set([...members.map((m) => m.userId), ...invitations.map((i) => i.userId)])
  return contacts
    .filter((c) => !taken.has(c.userId))
    .sort((a, b) => a.displayName.localeCompare(b.displayName) || a.userId.localeCompare(b.userId))
}

/** Members in the order a details panel lists them: owner, admins, members; by name within. */
export function sortMembers(members: readonly GroupMember[], myUserId: string | null): GroupMember[] {
  return [...members].sort(
    (a, b) =>
      ROLE_RANK[b.role] - ROLE_RANK[a.role] ||
      Number(b.userId === myUserId) - Number(a.userId === myUserId) ||
      a.displayName.localeCompare(b.displayName) ||
      a.userId.localeCompare(b.userId),
  )
}

export function roleLabel(role: GroupRole): string {
  return role === 'owner' ? 'Owner' : role === 'admin' ? 'Admin' : 'Member'
}

/** The line under a group's title: member count, or why we cannot write. */
export function groupSubtitle(group: GroupSummary | undefined): string {
  if (group === undefined) return 'Group'
  switch (group.status) {
    case 'member':
      return `${group.memberCount} ${group.memberCount === 1 ? 'member' : 'members'}`
    case 'invited':
      return 'You are invited to this group'
    case 'left':
      return 'You left this group'
    case 'removed':
      return 'You were removed from this group'
    case 'declined':
      return 'You declined this group'
  }
}

/** A trimmed group name, or the reason it cannot be used. */
export function checkGroupName(name: string): { ok: true; name: string } | { ok: false; reason: string } {
  const trimmed = name.trim()
  if (trimmed === '') return { ok: false, reason: 'Give the group a name.' }
  if ([...trimmed].length > MAX_GROUP_NAME_CHARS)
    return { ok: false, reason: `Group names are at most ${MAX_GROUP_NAME_CHARS} characters.` }
  return { ok: true, name: trimmed }
}

/**
 * Ticks of one of our group messages. The daemon aggregates: `receipts` counts members that
 * got it, 'delivered' means all of them, 'read' all read. `recipients` is the number of other
 * members (null when not known yet): a partial delivery shows as "2/4".
 */
export function groupStatusView(
  status: MessageStatus,
  receipts: number,
  recipients: number | null,
): StatusView {
  const base = statusView(status, receipts)
  if (status === 'delivered' || status === 'read') return { ...base, label: `${base.label} to everyone` }
  if (status !== 'sent' && status !== 'stored') return base
  if (recipients === null || recipients <= 0) return { ...base, detail: receipts > 0 ? String(receipts) : '' }
  const got = Math.min(receipts, recipients)
  return {
    kind: 'single',
    label: `Delivered to ${got} of ${recipients} ${recipients === 1 ? 'member' : 'members'}`,
    detail: got > 0 ? `${got}/${recipients}` : '',
  }
}

/**
 * Display names of group senders: contact names where we have them, else the member list's
 * name (a shortened user id when the daemon knows no name either).
 */
export function senderNames(
  members: readonly GroupMember[],
  contacts: readonly Contact[],
): ReadonlyMap<string, string> {
  const names = new Map<string, string>()
  for (const c of contacts) names.set(c.userId, c.displayName)
  for (const m of members)
    if (!names.has(m.userId))
      names.set(m.userId, m.displayName === m.userId ? shortUserId(m.userId) : m.displayName)
  return names
}

/** A user id shortened for display when no name is known: "wuab3d…x7q2". */
export function shortUserId(userId: string): string {
  return userId.length > 12 ? `${userId.slice(0, 6)}…${userId.slice(-4)}` : userId
}

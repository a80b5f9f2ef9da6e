/**
 * One step of the fold: authorize an op against the state so far and apply it, or reject it
 * with a reason. Pure; signatures were checked before (operations.ts verifyGroupOp).
 *
 * Authorization rules (the actor must be a member whose recorded identity key is the op's
 * actor key, except for accept/decline, where it must be the invitee of a pending invitation):
 * - invite: admins and the owner; the owner alone may offer the admin role; the invitee is
 *   neither a member nor already invited; members + invitations stay within MAX_GROUP_MEMBERS.
 * - accept / decline: only the invitee, with the key it was invited under.
 * - leave: any member. The owner leaving hands ownership to the longest-standing admin, else
 *   the longest-standing member (smallest joinedSeq; ties by user id bytes).
 * - remove: admins and the owner, of a member of strictly lower role (owner > admin > member),
 *   or of a pending invitation (revocation). Removing a member advances the epoch.
 * - rename: admins and the owner. Name is a last-writer-wins register by op id: a rename
 *   replaces the name set by one of its causal ancestors, or a concurrent one with a lower op id.
 * - setRole (admin ⇄ member) and transferOwnership (the old owner becomes admin): owner only,
 *   target a member other than the owner.
 */
import { bytesEqual } from '../bytes.ts'
import {
  GROUP_OP_ACCEPT,
  GROUP_OP_CREATE,
  GROUP_OP_DECLINE,
  GROUP_OP_INVITE,
  GROUP_OP_LEAVE,
  GROUP_OP_REMOVE,
  GROUP_OP_RENAME,
  GROUP_OP_SET_ROLE,
  GROUP_OP_TRANSFER_OWNERSHIP,
  type GroupRole,
  MAX_GROUP_MEMBERS,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
} from './constants.ts'
import { compareBytes, type GroupOp } from './operations.ts'
import { type GroupInvitation, type GroupMember, type GroupState, invitationOf, memberOf } from './state.ts'

export type ApplyResult =
  | { readonly ok: true; readonly state: GroupState }
  | { readonly ok: false; readonly reason: string }

export interface ApplyContext {
  /** Whether `ancestorId` is a causal ancestor of `opId` in the log (for the rename register). */
  isAncestor(ancestorId: Uint8Array, opId: Uint8Array): boolean
}

/** Rank for "strictly lower role" checks: owner 3 > admin 2 > member 1. */
function rank(role: GroupRole): number {
  return role === ROLE_OWNER ? 3 : role === ROLE_ADMIN ? 2 : 1
}

function byUserId<T extends { readonly userId: Uint8Array }>(a: T, b: T): number {
  return compareBytes(a.userId, b.userId)
}

function withoutUser<T extends { readonly userId: Uint8Array }>(list: readonly T[], userId: Uint8Array): T[] {
  return list.filter((entry) => !bytesEqual(entry.userId, userId))
}

function replaceMember(list: readonly GroupMember[], member: GroupMember): GroupMember[] {
  return [...withoutUser(list, member.userId), member].sort(byUserId)
}

/** The state a create op starts (the creator is owner, epoch 0, seq 1 after this op). */
export function initialGroupState(create: GroupOp): GroupState {
  if (create.args.kind !== GROUP_OP_CREATE) throw new TypeError('initialGroupState needs a create op')
  return {
    groupId: create.groupId,
    name: create.args.name,
    nameOpId: create.opId,
    topicSecret: create.args.topicSecret,
    epoch: 0,
    members: [
      {
        userId: create.actorUserId,
        identityKey: create.actorIdentityKey,
        succession: create.actorSuccession,
        role: ROLE_OWNER,
        joinedEpoch: 0,
        joinedSeq: 0,
        joinedAt: create.timestamp,
      },
    ],
    invitations: [],
    seq: 1,
  }
}

/** Longest-standing admin, else longest-standing member; ties (never in practice) by user id. */
export function successorOf(remaining: readonly GroupMember[]): GroupMember | undefined {
  const pick = (role: GroupRole) =>
    remaining
      .filter((m) => m.role === role)
      .sort((a, b) => a.joinedSeq - b.joinedSeq || compareBytes(a.userId, b.userId))[0]
  return pick(ROLE_ADMIN) ?? pick(ROLE_MEMBER)
}

function reject(reason: string): ApplyResult {
  return { ok: false, reason }
}

function next(state: GroupState, changes: Partial<GroupState>): ApplyResult {
  return { ok: true, state: { ...state, ...changes, seq: state.seq + 1 } }
}

/** Authorize `op` against `state` (the fold so far) and apply it, or say why not. */
export function applyGroupOp(state: GroupState, op: GroupOp, context: ApplyContext): ApplyResult {
  if (!bytesEqual(op.groupId, state.groupId)) return reject('op belongs to another group')
  const args = op.args
  if (args.kind === GROUP_OP_CREATE) return reject('a group has exactly one create')

  if (args.kind === GROUP_OP_ACCEPT || args.kind === GROUP_OP_DECLINE) {
    const invitation = invitationOf(state, op.actorUserId)
    if (invitation === undefined) return reject('actor has no pending invitation')
    if (!bytesEqual(invitation.identityKey, op.actorIdentityKey))
      return reject('actor identity key is not the invited key')
    const invitations = withoutUser(state.invitations, op.actorUserId)
    if (args.kind === GROUP_OP_DECLINE) return next(state, { invitations })
    const member: GroupMember = {
      userId: invitation.userId,
      identityKey: invitation.identityKey,
      succession: invitation.succession,
      role: invitation.role,
      joinedEpoch: state.epoch,
      joinedSeq: state.seq,
      joinedAt: op.timestamp,
    }
    return next(state, { invitations, members: replaceMember(state.members, member) })
  }

  const actor = memberOf(state, op.actorUserId)
  if (actor === undefined) return reject('actor is not a member')
  if (!bytesEqual(actor.identityKey, op.actorIdentityKey))
    return reject("actor identity key is not the member's key")
  const isAdmin = actor.role === ROLE_OWNER || actor.role === ROLE_ADMIN
  const isOwner = actor.role === ROLE_OWNER

  switch (args.kind) {
    case GROUP_OP_INVITE: {
      if (!isAdmin) return reject('only admins and the owner invite')
      if (args.role === ROLE_ADMIN && !isOwner) return reject('only the owner offers the admin role')
      const invitee = args.invitee
      if (memberOf(state, invitee.userId) !== undefined) return reject('invitee is already a member')
      if (invitationOf(state, invitee.userId) !== undefined) return reject('invitee is already invited')
      if (state.members.length + state.invitations.length >= MAX_GROUP_MEMBERS) return reject('group is full')
      const invitation: GroupInvitation = {
        userId: invitee.userId,
        identityKey: invitee.identityKey,
        succession: invitee.succession,
        role: args.role,
        inviterUserId: op.actorUserId,
        inviteOpId: op.opId,
        invitedAt: op.timestamp,
      }
      return next(state, { invitations: [...state.invitations, invitation].sort(byUserId) })
    }
    case GROUP_OP_LEAVE: {
      const remaining = withoutUser(state.members, actor.userId)
      if (actor.role === ROLE_OWNER) {
        const heir = successorOf(remaining)
        if (heir !== undefined) remaining.splice(remaining.indexOf(heir), 1, { ...heir, role: ROLE_OWNER })
      }
      return next(state, { members: remaining, epoch: state.epoch + 1 })
    }
    case GROUP_OP_REMOVE: {
      if (!isAdmin) return reject('only admins and the owner remove')
      if (bytesEqual(args.userId, actor.userId)) return reject('use leave to remove yourself')
      const target = memberOf(state, args.userId)
      if (target === undefined) {
        if (invitationOf(state, args.userId) === undefined) return reject('target is not a member or invitee')
        return next(state, { invitations: withoutUser(state.invitations, args.userId) })
      }
      if (rank(target.role) >= rank(actor.role)) return reject('target does not have a lower role')
      return next(state, { members: withoutUser(state.members, args.userId), epoch: state.epoch + 1 })
    }
    case GROUP_OP_RENAME: {
      if (!isAdmin) return reject('only admins and the owner rename')
      const wins = context.isAncestor(state.nameOpId, op.opId) || compareBytes(op.opId, state.nameOpId) > 0
      // A losing concurrent rename is still authorized: applied, with no effect on the name.
      return wins ? next(state, { name: args.name, nameOpId: op.opId }) : next(state, {})
    }
    case GROUP_OP_SET_ROLE: {
      if (!isOwner) return reject('only the owner changes roles')
      const target = memberOf(state, args.userId)
      if (target === undefined) return reject('target is not a member')
      if (target.role === ROLE_OWNER) return reject("the owner's role changes only by transfer")
      return next(state, { members: replaceMember(state.members, { ...target, role: args.role }) })
    }
    case GROUP_OP_TRANSFER_OWNERSHIP: {
      if (!isOwner) return reject('only the owner transfers ownership')
      const target = memberOf(state, args.userId)
      if (target === undefined) return reject('target is not a member')
      if (target.role === ROLE_OWNER) return reject('target is already the owner')
      const members = replaceMember(replaceMember(state.members, { ...actor, role: ROLE_ADMIN }), {
        ...target,
        role: ROLE_OWNER,
      })
      return next(state, { members })
    }
    default:
      return reject('unknown op kind')
  }
}

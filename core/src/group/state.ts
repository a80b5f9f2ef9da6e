/**
 * The group state every member computes from the op log (apply.ts folds ops into it), the
 * membership view helpers the node layer uses, and a deterministic state hash members can
 * compare to confirm they converged. States are immutable values; members and invitations are
 * kept sorted by user id so equal states have equal hashes.
 */
import { bytesEqual, utf8 } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import type { IdentitySuccession } from '../identity-succession.ts'
import { type SigningField, signingInput } from '../signing-input.ts'
import { GROUP_STATE_LABEL, type GroupRole, ROLE_OWNER } from './constants.ts'

export interface GroupMember {
  readonly userId: Uint8Array
  readonly identityKey: Uint8Array
  readonly succession: IdentitySuccession | null
  readonly role: GroupRole
  /** Group epoch when the member joined (they read from here on). */
  readonly joinedEpoch: number
  /**
   * Position of the op that admitted the member in the deterministic fold (0 = the creator):
   * "longest-standing" means the smallest joinedSeq. Never a claimed time.
   */
  readonly joinedSeq: number
  /** Claimed time of the admitting op, ms since epoch (display only). */
  readonly joinedAt: number
}

export interface GroupInvitation {
  readonly userId: Uint8Array
  readonly identityKey: Uint8Array
  readonly succession: IdentitySuccession | null
  /** Role offered: ROLE_ADMIN or ROLE_MEMBER. */
  readonly role: GroupRole
  readonly inviterUserId: Uint8Array
  readonly inviteOpId: Uint8Array
  /** Claimed time of the invite op, ms since epoch (display only). */
  readonly invitedAt: number
}

export interface GroupState {
  readonly groupId: Uint8Array
  readonly name: string
  /** Op id of the create or rename that set `name` (concurrent renames: highest op id wins). */
  readonly nameOpId: Uint8Array
  /** 32-byte secret shared with members only; with the epoch it names the gossipsub topic. */
  readonly topicSecret: Uint8Array
  /** Advances by one on every removal and every leave. */
  readonly epoch: number
  /** Sorted by user id; exactly one owner while the group has members. */
  readonly members: readonly GroupMember[]
  /** Sorted by user id. */
  readonly invitations: readonly GroupInvitation[]
  /** Number of ops applied so far (the next op's position in the fold). */
  readonly seq: number
}

function findByUserId<T extends { readonly userId: Uint8Array }>(
  list: readonly T[],
  userId: Uint8Array,
): T | undefined {
  return list.find((entry) => bytesEqual(entry.userId, userId))
}

// ---- membership view helpers (node layer)

export function members(state: GroupState): readonly GroupMember[] {
  return state.members
}

export function memberOf(state: GroupState, userId: Uint8Array): GroupMember | undefined {
  return findByUserId(state.members, userId)
}

export function isMember(state: GroupState, userId: Uint8Array): boolean {
  return memberOf(state, userId) !== undefined
}

/** The member's role code, or null when the user is not a member. */
export function roleOf(state: GroupState, userId: Uint8Array): GroupRole | null {
  return memberOf(state, userId)?.role ?? null
}

export function epochOf(state: GroupState): number {
  return state.epoch
}

export function invitationOf(state: GroupState, userId: Uint8Array): GroupInvitation | undefined {
  return findByUserId(state.invitations, userId)
}

/** The owner, or undefined once every member has left. */
export function ownerOf(state: GroupState): GroupMember | undefined {
  return state.members.find((m) => m.role === ROLE_OWNER)
}

// ---- deterministic hash

function successionFields(s: IdentitySuccession | null): SigningField[] {
  return [{ bytes: s?.originIdentityKey ?? new Uint8Array(0) }, { bytes: s?.signature ?? new Uint8Array(0) }]
}

/** SHA-256 over a canonical encoding of every field of the state. Equal states, equal hashes. */
export function groupStateHash(suite: CryptoSuite, state: GroupState): Uint8Array {
  return suite.sha256(
    signingInput(GROUP_STATE_LABEL, [
      { bytes: state.groupId },
      { bytes: utf8(state.name) },
      { bytes: state.nameOpId },
      { bytes: state.topicSecret },
      { u32: state.epoch },
      { u32: state.seq },
      {
        list: state.members.map((m) => [
          { bytes: m.userId },
          { bytes: m.identityKey },
          ...successionFields(m.succession),
          { u32: m.role },
          { u32: m.joinedEpoch },
          { u32: m.joinedSeq },
          { u64: m.joinedAt },
        ]),
      },
      {
        list: state.invitations.map((i) => [
          { bytes: i.userId },
          { bytes: i.identityKey },
          ...successionFields(i.succession),
          { u32: i.role },
          { bytes: i.inviterUserId },
          { bytes: i.inviteOpId },
          { u64: i.invitedAt },
        ]),
      },
    ]),
  )
}

/** Shared helpers for the group tests: users, and committing ops as one member would. */

import type { CryptoSuite } from '../../core/src/crypto/suite.ts'
import {
  commitGroupOp,
  createGroup,
  GROUP_OP_ACCEPT,
  GROUP_OP_INVITE,
  type GroupLog,
  type GroupOp,
  type GroupOpArgs,
  type GroupOpTarget,
  type GroupRole,
  ROLE_MEMBER,
} from '../../core/src/group/index.ts'
import {
  generateIdentityKeyPair,
  type IdentityKeyPair,
  userIdFromIdentityKey,
} from '../../core/src/identity.ts'

/** A fixed claimed time; ordering never depends on it. */
export const T0 = 1_790_000_000_000

export interface TestUser {
  readonly name: string
  readonly identity: IdentityKeyPair
  readonly userId: Uint8Array
  readonly target: GroupOpTarget
}

export function makeUser(suite: CryptoSuite, name: string): TestUser {
  const identity = generateIdentityKeyPair(suite)
  const userId = userIdFromIdentityKey(suite, identity.publicKey)
  return { name, identity, userId, target: { userId, identityKey: identity.publicKey, succession: null } }
}

export function newGroup(suite: CryptoSuite, owner: TestUser, name = 'Book club') {
  return createGroup(suite, owner.identity, { name, timestamp: T0 })
}

/** Commit an op as `user` on `log` (throws InvalidStateError when refused); collects ops. */
export function commit(
  suite: CryptoSuite,
  log: GroupLog,
  user: TestUser,
  args: GroupOpArgs,
  sink?: GroupOp[],
): GroupLog {
  const result = commitGroupOp(suite, user.identity, log, args, T0 + (sink?.length ?? 0))
  sink?.push(result.op)
  return result.log
}

export function inviteAndAccept(
  suite: CryptoSuite,
  log: GroupLog,
  inviter: TestUser,
  invitee: TestUser,
  role: GroupRole = ROLE_MEMBER,
  sink?: GroupOp[],
): GroupLog {
  const invited = commit(suite, log, inviter, { kind: GROUP_OP_INVITE, invitee: invitee.target, role }, sink)
  return commit(suite, invited, invitee, { kind: GROUP_OP_ACCEPT }, sink)
}

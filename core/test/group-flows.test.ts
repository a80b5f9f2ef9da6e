import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { concatBytes, toHex, u32be, utf8 } from '../../core/src/bytes.ts'
import { InvalidStateError } from '../../core/src/errors.ts'
import {
  applyOps,
  currentGroupTopic,
  currentState,
  epochOf,
  exportOps,
  GROUP_OP_ACCEPT,
  GROUP_OP_DECLINE,
  GROUP_OP_INVITE,
  GROUP_OP_LEAVE,
  GROUP_OP_REMOVE,
  GROUP_OP_RENAME,
  GROUP_OP_SET_ROLE,
  GROUP_OP_TRANSFER_OWNERSHIP,
  type GroupOp,
  groupLogFromOps,
  groupTopic,
  heads,
  invitationOf,
  isMember,
  logStateHash,
  members,
  ownerOf,
  ROLE_ADMIN,
  ROLE_MEMBER,
  ROLE_OWNER,
  roleOf,
  signGroupOp,
} from '../../core/src/group/index.ts'
import { generateIdentityKeyPair } from '../../core/src/identity.ts'
import { signIdentitySuccession } from '../../core/src/identity-succession.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { commit, inviteAndAccept, makeUser, newGroup, T0 } from './group-fixture.ts'

const suite = seededSuite('group-flows')
const owner = makeUser(suite, 'owner')
const alice = makeUser(suite, 'alice')
const bob = makeUser(suite, 'bob')
const carol = makeUser(suite, 'carol')
const mallory = makeUser(suite, 'mallory')

/** owner + alice (admin) + bob, carol (members). */
function fourMemberGroup() {
  const sink: GroupOp[] = []
  const created = newGroup(suite, owner)
  sink.push(created.op)
  let log = inviteAndAccept(suite, created.log, owner, alice, ROLE_ADMIN, sink)
  log = inviteAndAccept(suite, log, alice, bob, ROLE_MEMBER, sink)
  log = inviteAndAccept(suite, log, owner, carol, ROLE_MEMBER, sink)
  return { log, sink }
}

describe('group flows', () => {
  test('create makes the creator sole owner at epoch 0 with the given name', () => {
    const { log, op } = newGroup(suite, owner, 'Climbing')
    const state = currentState(log)
    assert.equal(state.name, 'Climbing')
    assert.equal(epochOf(state), 0)
    assert.equal(members(state).length, 1)
    assert.equal(roleOf(state, owner.userId), ROLE_OWNER)
    assert.equal(state.groupId.length, 16)
    assert.equal(state.topicSecret.length, 32)
    assert.deepEqual(heads(log), [op.opId])
  })

  test('invite → pending invitation; accept → member with the offered role; decline drops it', () => {
    const { log: created } = newGroup(suite, owner)
    const invited = commit(suite, created, owner, {
      kind: GROUP_OP_INVITE,
      invitee: alice.target,
      role: ROLE_ADMIN,
    })
    assert.equal(invitationOf(currentState(invited), alice.userId)?.role, ROLE_ADMIN)
    assert.equal(isMember(currentState(invited), alice.userId), false)
    const joined = commit(suite, invited, alice, { kind: GROUP_OP_ACCEPT })
    assert.equal(roleOf(currentState(joined), alice.userId), ROLE_ADMIN)
    assert.equal(invitationOf(currentState(joined), alice.userId), undefined)
    const invitedBob = commit(suite, joined, alice, {
      kind: GROUP_OP_INVITE,
      invitee: bob.target,
      role: ROLE_MEMBER,
    })
    const declined = commit(suite, invitedBob, bob, { kind: GROUP_OP_DECLINE })
    assert.equal(invitationOf(currentState(declined), bob.userId), undefined)
    assert.equal(isMember(currentState(declined), bob.userId), false)
    assert.throws(() => commit(suite, declined, bob, { kind: GROUP_OP_ACCEPT }), InvalidStateError)
  })

  test('only the invitee accepts: an uninvited user accepting is rejected', () => {
    const { log } = fourMemberGroup()
    const invited = commit(suite, log, owner, {
      kind: GROUP_OP_INVITE,
      invitee: mallory.target,
      role: ROLE_MEMBER,
    })
    const stranger = makeUser(suite, 'stranger')
    assert.throws(() => commit(suite, invited, stranger, { kind: GROUP_OP_ACCEPT }), /no pending invitation/)
  })

  test('an admin renames and removes a member; removal advances the epoch and changes the topic', () => {
    const { log } = fourMemberGroup()
    const topicBefore = currentGroupTopic(suite, currentState(log))
    const renamed = commit(suite, log, alice, { kind: GROUP_OP_RENAME, name: 'Night owls' })
    assert.equal(currentState(renamed).name, 'Night owls')
    assert.equal(epochOf(currentState(renamed)), 0)
    const removed = commit(suite, renamed, alice, { kind: GROUP_OP_REMOVE, userId: bob.userId })
    const state = currentState(removed)
    assert.equal(isMember(state, bob.userId), false)
    assert.equal(epochOf(state), 1)
    assert.notEqual(currentGroupTopic(suite, state), topicBefore)
  })

  test("a non-admin's remove is rejected and changes nothing", () => {
    const { log } = fourMemberGroup()
    assert.throws(
      () => commit(suite, log, bob, { kind: GROUP_OP_REMOVE, userId: carol.userId }),
      /only admins/,
    )
    // The same op arriving from the network is recorded as rejected, not applied.
    const op = signGroupOp(suite, bob.identity, {
      groupId: log.groupId,
      parents: heads(log),
      timestamp: T0,
      args: { kind: GROUP_OP_REMOVE, userId: carol.userId },
    })
    const result = applyOps(suite, log, [op])
    assert.equal(result.applied.length, 0)
    assert.match(result.rejected[0]?.reason ?? '', /only admins and the owner remove/)
    assert.ok(isMember(currentState(result.log), carol.userId))
    assert.equal(epochOf(currentState(result.log)), 0)
  })

  test('role rules: admins cannot offer admin, change roles, remove admins or remove the owner', () => {
    const { log } = fourMemberGroup()
    const dave = makeUser(suite, 'dave')
    assert.throws(
      () => commit(suite, log, alice, { kind: GROUP_OP_INVITE, invitee: dave.target, role: ROLE_ADMIN }),
      /only the owner offers/,
    )
    assert.throws(
      () => commit(suite, log, alice, { kind: GROUP_OP_SET_ROLE, userId: bob.userId, role: ROLE_ADMIN }),
      /only the owner changes roles/,
    )
    assert.throws(
      () => commit(suite, log, alice, { kind: GROUP_OP_REMOVE, userId: owner.userId }),
      /lower role/,
    )
    const promoted = commit(suite, log, owner, {
      kind: GROUP_OP_SET_ROLE,
      userId: bob.userId,
      role: ROLE_ADMIN,
    })
    assert.equal(roleOf(currentState(promoted), bob.userId), ROLE_ADMIN)
    assert.throws(
      () => commit(suite, promoted, alice, { kind: GROUP_OP_REMOVE, userId: bob.userId }),
      /lower role/,
    )
    assert.throws(
      () => commit(suite, promoted, alice, { kind: GROUP_OP_TRANSFER_OWNERSHIP, userId: alice.userId }),
      /only the owner transfers/,
    )
  })

  test('transferOwnership makes the target owner and the old owner admin', () => {
    const { log } = fourMemberGroup()
    const moved = commit(suite, log, owner, { kind: GROUP_OP_TRANSFER_OWNERSHIP, userId: carol.userId })
    const state = currentState(moved)
    assert.equal(roleOf(state, carol.userId), ROLE_OWNER)
    assert.equal(roleOf(state, owner.userId), ROLE_ADMIN)
    assert.equal(members(state).filter((m) => m.role === ROLE_OWNER).length, 1)
  })

  test('owner leaving hands ownership to the longest-standing admin, else the longest-standing member', () => {
    const { log } = fourMemberGroup()
    const left = commit(suite, log, owner, { kind: GROUP_OP_LEAVE })
    assert.deepEqual(ownerOf(currentState(left))?.userId, alice.userId)
    assert.equal(epochOf(currentState(left)), 1)
    // No admin: bob joined before carol, so bob inherits.
    const noAdmin = commit(suite, log, owner, {
      kind: GROUP_OP_SET_ROLE,
      userId: alice.userId,
      role: ROLE_MEMBER,
    })
    const aliceGone = commit(suite, noAdmin, alice, { kind: GROUP_OP_LEAVE })
    const ownerGone = commit(suite, aliceGone, owner, { kind: GROUP_OP_LEAVE })
    const state = currentState(ownerGone)
    assert.deepEqual(ownerOf(state)?.userId, bob.userId)
    assert.equal(roleOf(state, carol.userId), ROLE_MEMBER)
    assert.equal(epochOf(state), 2)
  })

  test("a removed member's later ops are rejected, even when they cite the current heads", () => {
    const { log } = fourMemberGroup()
    const removed = commit(suite, log, owner, { kind: GROUP_OP_REMOVE, userId: alice.userId })
    const op = signGroupOp(suite, alice.identity, {
      groupId: log.groupId,
      parents: heads(removed),
      timestamp: T0,
      args: { kind: GROUP_OP_RENAME, name: 'Mine now' },
    })
    const result = applyOps(suite, removed, [op])
    assert.match(result.rejected[0]?.reason ?? '', /not a member/)
    assert.equal(currentState(result.log).name, 'Book club')
    assert.throws(() => commit(suite, removed, alice, { kind: GROUP_OP_LEAVE }), InvalidStateError)
  })

  test('forged ops are dropped: bad signature, or signed by a key that is not the actor’s', () => {
    const { log } = fourMemberGroup()
    const honest = signGroupOp(suite, alice.identity, {
      groupId: log.groupId,
      parents: heads(log),
      timestamp: T0,
      args: { kind: GROUP_OP_REMOVE, userId: bob.userId },
    })
    const badSignature = { ...honest, signature: honest.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) }
    // Mallory signs with her own key but claims to be alice (user id + key of alice).
    const claimed = signGroupOp(suite, mallory.identity, {
      groupId: log.groupId,
      parents: heads(log),
      timestamp: T0,
      args: { kind: GROUP_OP_REMOVE, userId: bob.userId },
    })
    const impersonation = { ...claimed, actorUserId: alice.userId }
    const wrongKey = { ...claimed, actorUserId: alice.userId, actorIdentityKey: alice.identity.publicKey }
    const tamperedArgs = { ...honest, args: { kind: GROUP_OP_REMOVE, userId: carol.userId } } as GroupOp
    const result = applyOps(suite, log, [badSignature, impersonation, wrongKey, tamperedArgs])
    assert.equal(result.applied.length, 0)
    assert.equal(result.rejected.length, 4)
    for (const r of result.rejected) assert.match(r.reason, /^forged: /)
    assert.equal(result.log.ops.size, log.ops.size)
    assert.ok(isMember(currentState(result.log), bob.userId))
  })

  test("an actor whose key is not the member's recorded key is rejected (identity succession)", () => {
    const { log } = fourMemberGroup()
    const newKey = generateIdentityKeyPair(suite)
    const succession = signIdentitySuccession(suite, alice.identity, newKey.publicKey)
    const op = signGroupOp(suite, newKey, {
      groupId: log.groupId,
      parents: heads(log),
      timestamp: T0,
      actorSuccession: succession,
      args: { kind: GROUP_OP_RENAME, name: 'New key' },
    })
    assert.deepEqual(op.actorUserId, alice.userId)
    const result = applyOps(suite, log, [op])
    assert.match(result.rejected[0]?.reason ?? '', /identity key is not the member's key/)
  })

  test('ops of another group and second create ops are rejected', () => {
    const { log } = fourMemberGroup()
    const other = newGroup(suite, owner, 'Other')
    const foreign = commit(suite, other.log, owner, { kind: GROUP_OP_RENAME, name: 'x' })
    const result = applyOps(suite, log, [...exportOps(foreign)])
    assert.equal(result.applied.length, 0)
    assert.ok(result.rejected.every((r) => /another group|exactly one create/.test(r.reason)))
  })

  test('duplicates are counted, not re-applied', () => {
    const { log, sink } = fourMemberGroup()
    const result = applyOps(suite, log, sink)
    assert.equal(result.duplicates, sink.length)
    assert.deepEqual(logStateHash(suite, result.log), logStateHash(suite, log))
  })

  test('an invitee rebuilds the same state from the exported ops', () => {
    const { log } = fourMemberGroup()
    const rebuilt = groupLogFromOps(suite, exportOps(log).reverse())
    assert.equal(rebuilt.rejected.length, 0)
    assert.equal(rebuilt.pending.length, 0)
    assert.deepEqual(logStateHash(suite, rebuilt.log), logStateHash(suite, log))
    assert.throws(() => groupLogFromOps(suite, exportOps(log).slice(1)), InvalidStateError)
  })

  test('group topic is SHA-256(label ‖ secret ‖ group id ‖ u32be(epoch)) in hex and hides the name', () => {
    const { log } = fourMemberGroup()
    const state = currentState(log)
    const topic = groupTopic(suite, state.groupId, 7, state.topicSecret)
    const expected = toHex(
      suite.sha256(concatBytes(utf8('wren/group-topic/v1'), state.topicSecret, state.groupId, u32be(7))),
    )
    assert.equal(topic, expected)
    assert.match(topic, /^[0-9a-f]{64}$/)
    assert.notEqual(topic, groupTopic(suite, state.groupId, 8, state.topicSecret))
    assert.ok(!topic.includes(toHex(utf8(state.name))))
    assert.ok(!topic.includes(toHex(state.groupId)))
  })
})

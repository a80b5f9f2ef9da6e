import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { toHex } from '../../core/src/bytes.ts'
import {
  applyOps,
  currentState,
  epochOf,
  GROUP_OP_ACCEPT,
  GROUP_OP_INVITE,
  GROUP_OP_LEAVE,
  GROUP_OP_REMOVE,
  GROUP_OP_RENAME,
  type GroupLog,
  type GroupOp,
  groupLogFromOps,
  isMember,
  logStateHash,
  MAX_PENDING_GROUP_OPS,
  opOutcome,
  ROLE_ADMIN,
  ROLE_MEMBER,
  signGroupOp,
} from '../../core/src/group/index.ts'
import { seededFloat, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { commit, inviteAndAccept, makeUser, newGroup, T0 } from './group-fixture.ts'

const suite = seededSuite('group-convergence')
const owner = makeUser(suite, 'owner')
const adminA = makeUser(suite, 'adminA')
const adminB = makeUser(suite, 'adminB')
const m1 = makeUser(suite, 'm1')
const m2 = makeUser(suite, 'm2')
const m3 = makeUser(suite, 'm3')
const newcomer = makeUser(suite, 'newcomer')

/** owner, two admins, three members, all ops collected in `sink` (create first). */
function baseGroup(sink: GroupOp[]): GroupLog {
  const created = newGroup(suite, owner)
  sink.push(created.op)
  let log = inviteAndAccept(suite, created.log, owner, adminA, ROLE_ADMIN, sink)
  log = inviteAndAccept(suite, log, owner, adminB, ROLE_ADMIN, sink)
  for (const m of [m1, m2, m3]) log = inviteAndAccept(suite, log, adminA, m, ROLE_MEMBER, sink)
  return log
}

function shuffled<T>(items: readonly T[], float: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(float() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** Deliver everything but the create in a seeded random order and random batch sizes. */
function deliverShuffled(ops: readonly GroupOp[], seed: string): GroupLog {
  const float = seededFloat(seed)
  const [create, ...rest] = ops
  let log = groupLogFromOps(suite, [create as GroupOp]).log
  const queue = shuffled(rest, float)
  while (queue.length > 0) {
    const batch = queue.splice(0, 1 + Math.floor(float() * 4))
    const result = applyOps(suite, log, batch)
    assert.ok(result.rejected.every((r) => !r.reason.startsWith('forged')))
    log = result.log
  }
  return log
}

/** Ops from 5 members acting concurrently on the same base (no one sees the others' ops). */
function concurrentScenario() {
  const ops: GroupOp[] = []
  const base = baseGroup(ops)
  const named: Record<string, GroupOp> = {}
  const take = (key: string, log: GroupLog) => {
    named[key] = ops[ops.length - 1] as GroupOp
    return log
  }
  // Admin A removes m1 and m2, then renames.
  let a = take('aRemoveM1', commit(suite, base, adminA, { kind: GROUP_OP_REMOVE, userId: m1.userId }, ops))
  a = take('aRemoveM2', commit(suite, a, adminA, { kind: GROUP_OP_REMOVE, userId: m2.userId }, ops))
  take('aRename', commit(suite, a, adminA, { kind: GROUP_OP_RENAME, name: 'A says' }, ops))
  // Admin B renames, invites a newcomer, who accepts on B's branch.
  let b = take('bRename', commit(suite, base, adminB, { kind: GROUP_OP_RENAME, name: 'B says' }, ops))
  b = take(
    'bInvite',
    commit(suite, b, adminB, { kind: GROUP_OP_INVITE, invitee: newcomer.target, role: ROLE_MEMBER }, ops),
  )
  take('newcomerAccept', commit(suite, b, newcomer, { kind: GROUP_OP_ACCEPT }, ops))
  // The owner removes admin B, then renames.
  const o = take(
    'oRemoveB',
    commit(suite, base, owner, { kind: GROUP_OP_REMOVE, userId: adminB.userId }, ops),
  )
  take('oRename', commit(suite, o, owner, { kind: GROUP_OP_RENAME, name: 'Owner says' }, ops))
  // m2 leaves (concurrently with A removing it); m3 tries to rename (not an admin).
  take('m2Leave', commit(suite, base, m2, { kind: GROUP_OP_LEAVE }, ops))
  const m3Rename = signGroupOp(suite, m3.identity, {
    groupId: base.groupId,
    parents: base.heads,
    timestamp: T0,
    args: { kind: GROUP_OP_RENAME, name: 'm3 says' },
  })
  ops.push(m3Rename)
  named.m3Rename = m3Rename
  return { ops, named }
}

describe('group convergence', () => {
  test('the same ops in 30 seeded random orders (parents often late) give identical state hashes', () => {
    const { ops, named } = concurrentScenario()
    const reference = deliverShuffled(ops, 'reference')
    const referenceHash = toHex(logStateHash(suite, reference))
    assert.equal(reference.pending.size, 0)
    for (let i = 0; i < 30; i++) {
      const log = deliverShuffled(ops, `order-${i}`)
      assert.equal(log.pending.size, 0)
      assert.equal(toHex(logStateHash(suite, log)), referenceHash, `order ${i} diverged`)
      assert.deepEqual(log.order, reference.order)
    }

    const state = currentState(reference)
    const outcome = (key: string) => opOutcome(reference, (named[key] as GroupOp).opId)
    // Removals win over the removed admin's concurrent actions.
    assert.equal(isMember(state, adminB.userId), false)
    assert.equal(outcome('bRename')?.applied, false)
    assert.equal(outcome('bInvite')?.applied, false)
    assert.equal(outcome('newcomerAccept')?.applied, false)
    assert.equal(isMember(state, newcomer.userId), false)
    // A's removals stand; m2 is gone exactly once (leave vs remove: one applies, one is rejected).
    assert.equal(isMember(state, m1.userId), false)
    assert.equal(isMember(state, m2.userId), false)
    assert.notEqual(outcome('m2Leave')?.applied, outcome('aRemoveM2')?.applied)
    assert.equal(outcome('m3Rename')?.applied, false)
    // Epoch: remove m1, remove adminB, m2 out once.
    assert.equal(epochOf(state), 3)
    // Concurrent authorized renames: highest op id wins.
    const renames = [named.aRename, named.oRename] as GroupOp[]
    const winner = renames.reduce((x, y) => (toHex(x.opId) > toHex(y.opId) ? x : y))
    assert.deepEqual(state.nameOpId, winner.opId)
    assert.equal(state.name, winner.args.kind === GROUP_OP_RENAME ? winner.args.name : '')
  })

  test('concurrent renames from two admins: highest op id wins; a later rename overrides both', () => {
    const ops: GroupOp[] = []
    const base = baseGroup(ops)
    commit(suite, base, adminA, { kind: GROUP_OP_RENAME, name: 'Alpha' }, ops)
    const alpha = ops[ops.length - 1] as GroupOp
    commit(suite, base, adminB, { kind: GROUP_OP_RENAME, name: 'Beta' }, ops)
    const beta = ops[ops.length - 1] as GroupOp
    const expected = toHex(alpha.opId) > toHex(beta.opId) ? 'Alpha' : 'Beta'
    const hashes = new Set<string>()
    for (let i = 0; i < 10; i++) {
      const log = deliverShuffled(ops, `renames-${i}`)
      assert.equal(currentState(log).name, expected)
      hashes.add(toHex(logStateHash(suite, log)))
    }
    assert.equal(hashes.size, 1)
    // The owner saw both; its rename is causally after both and wins whatever its op id.
    const merged = deliverShuffled(ops, 'merge')
    const after = commit(suite, merged, owner, { kind: GROUP_OP_RENAME, name: 'Gamma' }, ops)
    assert.equal(currentState(after).name, 'Gamma')
    assert.equal(currentState(deliverShuffled(ops, 'merge-2')).name, 'Gamma')
  })

  test('concurrent removals (owner removes admin A, A removes m3) resolve by op id, the same in every order', () => {
    const ops: GroupOp[] = []
    const base = baseGroup(ops)
    commit(suite, base, owner, { kind: GROUP_OP_REMOVE, userId: adminA.userId }, ops)
    const ownerRemove = ops[ops.length - 1] as GroupOp
    // A renames (ordered after removals), then removes m3 on top of its own rename.
    const a = commit(suite, base, adminA, { kind: GROUP_OP_RENAME, name: 'A was here' }, ops)
    const aRename = ops[ops.length - 1] as GroupOp
    commit(suite, a, adminA, { kind: GROUP_OP_REMOVE, userId: m3.userId }, ops)
    const aRemove = ops[ops.length - 1] as GroupOp
    // Documented rule: equal priority → lower op id first. If the owner's removal goes first, A's
    // branch is rejected; otherwise A's removal (and the rename it pulls ahead) stands, then A goes.
    const ownerFirst = toHex(ownerRemove.opId) < toHex(aRemove.opId)
    const hashes = new Set<string>()
    for (let i = 0; i < 8; i++) {
      const log = deliverShuffled(ops, `admin-removed-${i}`)
      hashes.add(toHex(logStateHash(suite, log)))
      assert.equal(opOutcome(log, ownerRemove.opId)?.applied, true)
      assert.equal(opOutcome(log, aRemove.opId)?.applied, !ownerFirst)
      assert.equal(opOutcome(log, aRename.opId)?.applied, !ownerFirst)
      assert.equal(isMember(currentState(log), m3.userId), ownerFirst)
      assert.equal(isMember(currentState(log), adminA.userId), false)
    }
    assert.equal(hashes.size, 1)
  })

  test('an admin removed concurrently has its concurrent non-removal actions rejected in every order', () => {
    const ops: GroupOp[] = []
    const base = baseGroup(ops)
    commit(suite, base, owner, { kind: GROUP_OP_REMOVE, userId: adminA.userId }, ops)
    const a1 = commit(suite, base, adminA, { kind: GROUP_OP_RENAME, name: 'A was here' }, ops)
    commit(suite, a1, adminA, { kind: GROUP_OP_INVITE, invitee: newcomer.target, role: ROLE_MEMBER }, ops)
    const aOps = ops.slice(-2)
    for (let i = 0; i < 8; i++) {
      const log = deliverShuffled(ops, `admin-actions-${i}`)
      for (const op of aOps) assert.equal(opOutcome(log, op.opId)?.applied, false)
      assert.equal(currentState(log).name, 'Book club')
      assert.equal(currentState(log).invitations.length, 0)
    }
  })

  test(`ops waiting for parents are bounded by MAX_PENDING_GROUP_OPS (${MAX_PENDING_GROUP_OPS})`, () => {
    const created = newGroup(suite, owner)
    const missingParent = suite.randomBytes(32)
    const orphans = Array.from({ length: MAX_PENDING_GROUP_OPS + 2 }, (_, i) =>
      signGroupOp(suite, owner.identity, {
        groupId: created.log.groupId,
        parents: [missingParent],
        timestamp: T0 + i,
        args: { kind: GROUP_OP_RENAME, name: `orphan ${i}` },
      }),
    )
    const result = applyOps(suite, created.log, orphans)
    assert.equal(result.pending.length, MAX_PENDING_GROUP_OPS)
    assert.equal(result.log.pending.size, MAX_PENDING_GROUP_OPS)
    assert.equal(result.rejected.length, 2)
    assert.match(result.rejected[0]?.reason ?? '', /waiting for parents/)
    assert.equal(currentState(result.log).name, 'Book club')
  })
})

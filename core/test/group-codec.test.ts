import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { toHex } from '../../core/src/bytes.ts'
import { DecodeError, InvalidSignatureError, UnsupportedVersionError } from '../../core/src/errors.ts'
import {
  applyOps,
  decodeGroupLog,
  decodeGroupOp,
  encodeGroupLog,
  encodeGroupOp,
  exportOps,
  GROUP_OP_LEAVE,
  GROUP_OP_REMOVE,
  GROUP_OP_RENAME,
  GROUP_OP_SET_ROLE,
  GROUP_OP_TRANSFER_OWNERSHIP,
  type GroupOp,
  heads,
  logStateHash,
  MAX_GROUP_LOG_BYTES,
  MAX_GROUP_OP_BYTES,
  ROLE_ADMIN,
  ROLE_MEMBER,
  signGroupOp,
  verifyGroupOp,
} from '../../core/src/group/index.ts'
import { GroupLogRecord, GroupOp as GroupOpProto } from '../../core/src/proto/group.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { commit, inviteAndAccept, makeUser, newGroup, T0 } from './group-fixture.ts'

const suite = seededSuite('group-codec')
const owner = makeUser(suite, 'owner')
const alice = makeUser(suite, 'alice')
const bob = makeUser(suite, 'bob')

/** A log with every op kind, plus one op waiting for a missing parent. */
function sampleLog() {
  const ops: GroupOp[] = []
  const created = newGroup(suite, owner, 'Ünïcode ✨ group')
  ops.push(created.op)
  let log = inviteAndAccept(suite, created.log, owner, alice, ROLE_ADMIN, ops)
  log = inviteAndAccept(suite, log, alice, bob, ROLE_MEMBER, ops)
  log = commit(suite, log, alice, { kind: GROUP_OP_RENAME, name: 'Renamed' }, ops)
  log = commit(suite, log, owner, { kind: GROUP_OP_SET_ROLE, userId: bob.userId, role: ROLE_ADMIN }, ops)
  log = commit(suite, log, owner, { kind: GROUP_OP_TRANSFER_OWNERSHIP, userId: alice.userId }, ops)
  log = commit(suite, log, alice, { kind: GROUP_OP_REMOVE, userId: bob.userId }, ops)
  log = commit(suite, log, owner, { kind: GROUP_OP_LEAVE }, ops)
  const orphan = signGroupOp(suite, alice.identity, {
    groupId: log.groupId,
    parents: [suite.randomBytes(32)],
    timestamp: T0,
    args: { kind: GROUP_OP_RENAME, name: 'later' },
  })
  log = applyOps(suite, log, [orphan]).log
  return { log, ops }
}

describe('group op codec', () => {
  test('every op kind round-trips and still verifies', () => {
    const { ops } = sampleLog()
    for (const op of ops) {
      const bytes = encodeGroupOp(op)
      assert.ok(bytes.length <= MAX_GROUP_OP_BYTES)
      const decoded = decodeGroupOp(bytes)
      assert.deepEqual(encodeGroupOp(decoded), bytes)
      verifyGroupOp(suite, decoded)
    }
  })

  test('non-canonical forms are refused: unsorted parents, fields the kind does not use, bad role', () => {
    const { log } = sampleLog()
    const op = signGroupOp(suite, alice.identity, {
      groupId: log.groupId,
      parents: [suite.randomBytes(32), suite.randomBytes(32)],
      timestamp: T0,
      args: { kind: GROUP_OP_RENAME, name: 'x' },
    })
    const proto = GroupOpProto.decode(encodeGroupOp(op))
    const reencode = (changes: Partial<typeof proto>) => GroupOpProto.encode({ ...proto, ...changes })
    assert.throws(() => decodeGroupOp(reencode({ parents: [...proto.parents].reverse() })), DecodeError)
    assert.throws(() => decodeGroupOp(reencode({ role: ROLE_MEMBER })), DecodeError)
    assert.throws(
      () => decodeGroupOp(reencode({ targetUserId: bob.userId as Uint8Array<ArrayBuffer> })),
      DecodeError,
    )
    assert.throws(() => decodeGroupOp(reencode({ name: '' })), DecodeError)
    assert.throws(() => decodeGroupOp(reencode({ kind: 42 })), DecodeError)
    assert.throws(() => decodeGroupOp(reencode({ parents: [] })), DecodeError)
    assert.throws(() => decodeGroupOp(reencode({ version: 2 })), UnsupportedVersionError)
    assert.throws(() => decodeGroupOp(new Uint8Array(MAX_GROUP_OP_BYTES + 1)), DecodeError)
  })

  test('a decoded op whose name was changed fails verification', () => {
    const { ops } = sampleLog()
    const rename = ops.find((op) => op.args.kind === GROUP_OP_RENAME) as GroupOp
    const proto = GroupOpProto.decode(encodeGroupOp(rename))
    const tampered = decodeGroupOp(GroupOpProto.encode({ ...proto, name: 'Tampered' }))
    assert.throws(() => verifyGroupOp(suite, tampered), InvalidSignatureError)
  })

  test('fuzz: random, truncated and bit-flipped op bytes raise only typed errors', () => {
    const { ops } = sampleLog()
    fuzzDecoder(decodeGroupOp, {
      seed: 'group-op',
      runs: 400,
      maxLength: 1024,
      samples: ops.map(encodeGroupOp),
    })
  })
})

describe('group log codec', () => {
  test('a log survives encode/decode with the same state, heads, order and pending ops', () => {
    const { log } = sampleLog()
    const bytes = encodeGroupLog(log)
    for (const decoded of [decodeGroupLog(bytes), decodeGroupLog(bytes, suite)]) {
      assert.deepEqual(logStateHash(suite, decoded), logStateHash(suite, log))
      assert.deepEqual(heads(decoded).map(toHex), heads(log).map(toHex))
      assert.deepEqual(decoded.order, log.order)
      assert.equal(decoded.pending.size, 1)
      assert.deepEqual([...decoded.outcomes.entries()], [...log.outcomes.entries()])
    }
  })

  test('refuses other versions, a missing create, children before parents, oversized input', () => {
    const { log } = sampleLog()
    const record = GroupLogRecord.decode(encodeGroupLog(log))
    const reencode = (changes: Partial<typeof record>) => GroupLogRecord.encode({ ...record, ...changes })
    assert.throws(() => decodeGroupLog(reencode({ version: 9 })), UnsupportedVersionError)
    assert.throws(() => decodeGroupLog(reencode({ ops: record.ops.slice(1) })), DecodeError)
    assert.throws(
      () =>
        decodeGroupLog(
          reencode({ ops: [record.ops[0] as Uint8Array<ArrayBuffer>, ...record.ops.slice(1).reverse()] }),
        ),
      DecodeError,
    )
    assert.throws(
      () => decodeGroupLog(reencode({ ops: [...record.ops, record.ops[1] as Uint8Array<ArrayBuffer>] })),
      DecodeError,
    )
    assert.throws(() => decodeGroupLog(new Uint8Array(MAX_GROUP_LOG_BYTES + 1)), DecodeError)
  })

  test('with a suite, a stored op with a broken signature is refused', () => {
    const { log, ops } = sampleLog()
    const record = GroupLogRecord.decode(encodeGroupLog(log))
    const last = ops[ops.length - 1] as GroupOp
    const broken = encodeGroupOp({ ...last, signature: last.signature.map((b, i) => (i === 5 ? b ^ 4 : b)) })
    const bytes = GroupLogRecord.encode({
      ...record,
      ops: record.ops.map((o) =>
        toHex(o) === toHex(encodeGroupOp(last)) ? (broken as Uint8Array<ArrayBuffer>) : o,
      ),
    })
    assert.ok(decodeGroupLog(bytes))
    assert.throws(() => decodeGroupLog(bytes, suite), InvalidSignatureError)
  })

  test('fuzz: random, truncated and bit-flipped log bytes raise only typed errors', () => {
    const { log } = sampleLog()
    const sample = encodeGroupLog(log)
    fuzzDecoder((bytes) => decodeGroupLog(bytes), {
      seed: 'group-log',
      runs: 300,
      maxLength: 4096,
      samples: [sample],
    })
  })

  test('exported ops of a decoded log re-encode to the same bytes', () => {
    const { log } = sampleLog()
    const decoded = decodeGroupLog(encodeGroupLog(log))
    assert.deepEqual(exportOps(decoded).map(encodeGroupOp), exportOps(log).map(encodeGroupOp))
  })
})

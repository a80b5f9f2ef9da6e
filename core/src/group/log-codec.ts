/**
 * Disk format of a group log (versioned apart from the op wire format): the DAG's ops in fold
 * order (parents first) and the ops still waiting for parents, each as an encoded GroupOp.
 * The daemon keeps it in sealed storage, so signatures were verified when the ops arrived;
 * pass a suite to re-verify anyway (e.g. a log received from another member).
 */
import { toHex } from '../bytes.ts'
import { checkDecodedLength, decodeCapped } from '../checks.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { DecodeError, UnsupportedVersionError } from '../errors.ts'
import { GroupLogRecord } from '../proto/group.ts'
import {
  GROUP_ID_BYTES,
  GROUP_LOG_VERSION,
  GROUP_OP_CREATE,
  MAX_GROUP_LOG_BYTES,
  MAX_GROUP_LOG_OPS,
  MAX_PENDING_GROUP_OPS,
} from './constants.ts'
import { type GroupLog, groupLogFromTrustedOps } from './log.ts'
import { decodeGroupOp, encodeGroupOp, type GroupOp, verifyGroupOp } from './operations.ts'

export function encodeGroupLog(log: GroupLog): Uint8Array {
  return GroupLogRecord.encode({
    version: GROUP_LOG_VERSION,
    groupId: log.groupId as Uint8Array<ArrayBuffer>,
    ops: log.order.map((id) => encodeGroupOp(log.ops.get(id) as GroupOp) as Uint8Array<ArrayBuffer>),
    pending: [...log.pending.values()].map((op) => encodeGroupOp(op) as Uint8Array<ArrayBuffer>),
  })
}

/**
 * Parse a stored log: size cap, version, every op decoded and checked, the first op the group's
 * create, parents before children. DecodeError / UnsupportedVersionError (and
 * InvalidSignatureError when `suite` is given and an op does not verify).
 */
export function decodeGroupLog(bytes: Uint8Array, suite?: CryptoSuite): GroupLog {
  const record = decodeCapped('group log', bytes, MAX_GROUP_LOG_BYTES, (b) =>
    GroupLogRecord.decode(b, { limits: { ops: MAX_GROUP_LOG_OPS, pending: MAX_PENDING_GROUP_OPS } }),
  )
  if (record.version !== GROUP_LOG_VERSION)
    throw new UnsupportedVersionError(`group log version ${record.version}`)
  checkDecodedLength('group log group id', record.groupId, GROUP_ID_BYTES)
  if (record.ops.length + record.pending.length > MAX_GROUP_LOG_OPS)
    throw new DecodeError('group log holds too many ops')
  const groupHex = toHex(record.groupId)
  const decodeOne = (entry: Uint8Array): GroupOp => {
    const op = decodeGroupOp(entry)
    if (toHex(op.groupId) !== groupHex) throw new DecodeError('group log holds an op of another group')
    if (suite !== undefined) verifyGroupOp(suite, op)
    return op
  }
  const ops = record.ops.map(decodeOne)
  const pending = record.pending.map(decodeOne)
  const [genesis, ...rest] = ops
  if (genesis === undefined || genesis.args.kind !== GROUP_OP_CREATE)
    throw new DecodeError('group log does not start with its create op')
  if ([...rest, ...pending].some((op) => op.args.kind === GROUP_OP_CREATE))
    throw new DecodeError('group log holds a second create op')
  const log = groupLogFromTrustedOps(genesis, rest, pending)
  if (typeof log === 'string') throw new DecodeError(`group log: ${log}`)
  return log
}

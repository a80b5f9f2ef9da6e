/**
 * A group log: the DAG of signed ops a member holds, ops waiting for missing parents, and the
 * state folded from the DAG in the deterministic order of order.ts. Logs are immutable values:
 * every function returns a new log. Signatures are verified once, on the way in (applyOps);
 * forged ops are dropped and never stored. Ops that verify but are not authorized stay in the
 * DAG (others may cite them as parents, and a late concurrent op can change their outcome) and
 * are recorded as rejected with a reason.
 */
import { toHex } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { InvalidSignatureError, InvalidStateError } from '../errors.ts'
import type { IdentityKeyPair } from '../identity.ts'
import type { IdentitySuccession } from '../identity-succession.ts'
import { applyGroupOp, initialGroupState } from './apply.ts'
import {
  GROUP_ID_BYTES,
  GROUP_OP_CREATE,
  GROUP_TOPIC_SECRET_BYTES,
  MAX_GROUP_LOG_OPS,
  MAX_GROUP_OP_PARENTS,
  MAX_PENDING_GROUP_OPS,
} from './constants.ts'
import { type GroupOp, type GroupOpArgs, signGroupOp, verifyGroupOp } from './operations.ts'
import { groupOpOrder } from './order.ts'
import { type GroupState, groupStateHash } from './state.ts'

export type GroupOpOutcome = { readonly applied: true } | { readonly applied: false; readonly reason: string }

export interface GroupLog {
  readonly groupId: Uint8Array
  /** The create op (root of the DAG). */
  readonly genesis: GroupOp
  /** Every op in the DAG (all its parents present), by op id hex. */
  readonly ops: ReadonlyMap<string, GroupOp>
  /** Verified ops waiting for parents, by op id hex (at most MAX_PENDING_GROUP_OPS). */
  readonly pending: ReadonlyMap<string, GroupOp>
  /** The fold order of the DAG (op id hex), genesis first. */
  readonly order: readonly string[]
  readonly outcomes: ReadonlyMap<string, GroupOpOutcome>
  /** Ops no other DAG op cites, ascending by op id: the parents of the next local op. */
  readonly heads: readonly Uint8Array[]
  readonly state: GroupState
}

export interface RejectedGroupOp {
  readonly op: GroupOp
  readonly reason: string
}

export interface ApplyOpsResult {
  readonly log: GroupLog
  /** Ops that entered the DAG in this call (given now or pending before) and applied. */
  readonly applied: readonly GroupOp[]
  /** Given ops dropped (forged, foreign, over a bound) and ops that entered the DAG but were not authorized. */
  readonly rejected: readonly RejectedGroupOp[]
  /** Given ops now waiting for missing parents. */
  readonly pending: readonly GroupOp[]
  /** Given ops the log already held. */
  readonly duplicates: number
}

/** Whether `ancestor` is a causal ancestor of `descendant`; prunes by fold position. */
function makeIsAncestor(ops: ReadonlyMap<string, GroupOp>, position: ReadonlyMap<string, number>) {
  return (ancestor: Uint8Array, descendant: Uint8Array): boolean => {
    const target = toHex(ancestor)
    const floor = position.get(target)
    if (floor === undefined) return false
    const seen = new Set<string>()
    const todo = [toHex(descendant)]
    while (todo.length > 0) {
      const op = ops.get(todo.pop() as string)
      if (op === undefined) continue
      for (const parent of op.parents) {
        const id = toHex(parent)
        if (id === target) return true
        const at = position.get(id)
        // Ancestors of `ancestor`'s descendants sit later in the order; earlier ones cannot lead to it.
        if (at === undefined || at < floor || seen.has(id)) continue
        seen.add(id)
        todo.push(id)
      }
    }
    return false
  }
}

/** Recompute order, outcomes, heads and state from a closed DAG. */
function fold(genesis: GroupOp, ops: Map<string, GroupOp>, pending: Map<string, GroupOp>): GroupLog {
  const order = groupOpOrder(ops)
  const position = new Map(order.map((id, i) => [id, i]))
  const context = { isAncestor: makeIsAncestor(ops, position) }
  const genesisId = toHex(genesis.opId)
  const outcomes = new Map<string, GroupOpOutcome>([[genesisId, { applied: true }]])
  let state = initialGroupState(genesis)
  for (const id of order) {
    if (id === genesisId) continue
    const result = applyGroupOp(state, ops.get(id) as GroupOp, context)
    if (result.ok) {
      state = result.state
      outcomes.set(id, { applied: true })
    } else outcomes.set(id, { applied: false, reason: result.reason })
  }
  const cited = new Set<string>()
  for (const op of ops.values()) for (const p of op.parents) cited.add(toHex(p))
  const heads = order
    .filter((id) => !cited.has(id))
    .sort()
    .map((id) => (ops.get(id) as GroupOp).opId)
  return { groupId: genesis.groupId, genesis, ops, pending, order, outcomes, heads, state }
}

/** Move pending ops whose parents are all in the DAG into it, until nothing moves. */
function settle(ops: Map<string, GroupOp>, pending: Map<string, GroupOp>): string[] {
  const moved: string[] = []
  let progress = true
  while (progress) {
    progress = false
    for (const [id, op] of pending) {
      if (op.parents.every((p) => ops.has(toHex(p)))) {
        pending.delete(id)
        ops.set(id, op)
        moved.push(id)
        progress = true
      }
    }
  }
  return moved
}

/** A log holding only a verified create op. */
function logFromGenesis(genesis: GroupOp): GroupLog {
  return fold(genesis, new Map([[toHex(genesis.opId), genesis]]), new Map())
}

/**
 * Add ops (from any peer, in any order): verify each, drop forged ones, park ops with missing
 * parents, then refold. Never throws for bad ops: they come back in `rejected`.
 */
export function applyOps(suite: CryptoSuite, log: GroupLog, incoming: readonly GroupOp[]): ApplyOpsResult {
  const ops = new Map(log.ops)
  const pending = new Map(log.pending)
  const rejected: RejectedGroupOp[] = []
  const given = new Map<string, GroupOp>()
  let duplicates = 0
  for (const op of incoming) {
    const id = toHex(op.opId)
    if (ops.has(id) || pending.has(id) || given.has(id)) {
      duplicates++
      continue
    }
    const drop = (reason: string) => rejected.push({ op, reason })
    if (toHex(op.groupId) !== toHex(log.groupId)) {
      drop('op belongs to another group')
      continue
    }
    if (op.args.kind === GROUP_OP_CREATE) {
      drop('a group has exactly one create')
      continue
    }
    try {
      verifyGroupOp(suite, op)
    } catch (err) {
      if (!(err instanceof InvalidSignatureError)) throw err
      drop(`forged: ${err.message}`)
      continue
    }
    if (ops.size + pending.size >= MAX_GROUP_LOG_OPS) {
      drop('group log is full')
      continue
    }
    if (pending.size >= MAX_PENDING_GROUP_OPS) {
      drop('too many ops waiting for parents')
      continue
    }
    pending.set(id, op)
    given.set(id, op)
  }
  const moved = settle(ops, pending)
  const next = moved.length > 0 ? fold(log.genesis, ops, pending) : { ...log, pending }
  const applied: GroupOp[] = []
  for (const id of moved) {
    const op = ops.get(id) as GroupOp
    const outcome = next.outcomes.get(id)
    if (outcome?.applied) applied.push(op)
    else rejected.push({ op, reason: outcome?.applied === false ? outcome.reason : 'not applied' })
  }
  const stillPending = [...given.keys()].filter((id) => pending.has(id)).map((id) => given.get(id) as GroupOp)
  return { log: next, applied, rejected, pending: stillPending, duplicates }
}

/**
 * Build a log from a list of ops (what an invitee receives): exactly one create op with a valid
 * signature, then the rest through applyOps. InvalidStateError without a single valid create.
 */
export function groupLogFromOps(suite: CryptoSuite, ops: readonly GroupOp[]): ApplyOpsResult {
  const creates = ops.filter((op) => op.args.kind === GROUP_OP_CREATE)
  if (creates.length !== 1) throw new InvalidStateError(`expected one create op, got ${creates.length}`)
  const genesis = creates[0] as GroupOp
  try {
    verifyGroupOp(suite, genesis)
  } catch (err) {
    if (err instanceof InvalidSignatureError) throw new InvalidStateError(`create op: ${err.message}`)
    throw err
  }
  const rest = ops.filter((op) => op !== genesis)
  return applyOps(suite, logFromGenesis(genesis), rest)
}

/** Rebuild a log from already-trusted ops (disk), in an order where parents come first. */
export function groupLogFromTrustedOps(
  genesis: GroupOp,
  ops: readonly GroupOp[],
  pending: readonly GroupOp[],
): GroupLog | string {
  const dag = new Map([[toHex(genesis.opId), genesis]])
  for (const op of ops) {
    const id = toHex(op.opId)
    if (dag.has(id)) return 'duplicate op'
    if (!op.parents.every((p) => dag.has(toHex(p)))) return 'op listed before its parents'
    dag.set(id, op)
  }
  const waiting = new Map<string, GroupOp>()
  for (const op of pending) {
    const id = toHex(op.opId)
    if (dag.has(id) || waiting.has(id)) return 'duplicate op'
    waiting.set(id, op)
  }
  settle(dag, waiting)
  return fold(genesis, dag, waiting)
}

export interface CreateGroupInit {
  readonly name: string
  readonly timestamp: number
  /** 16 bytes; random from the suite when absent. */
  readonly groupId?: Uint8Array
  /** 32 bytes; random from the suite when absent. */
  readonly topicSecret?: Uint8Array
  readonly actorSuccession?: IdentitySuccession | null
}

/** Create a group owned by `identity`: the signed create op and a log holding it. */
export function createGroup(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  init: CreateGroupInit,
): { log: GroupLog; op: GroupOp } {
  const op = signGroupOp(suite, identity, {
    groupId: init.groupId ?? suite.randomBytes(GROUP_ID_BYTES),
    parents: [],
    timestamp: init.timestamp,
    actorSuccession: init.actorSuccession ?? null,
    args: {
      kind: GROUP_OP_CREATE,
      name: init.name,
      topicSecret: init.topicSecret ?? suite.randomBytes(GROUP_TOPIC_SECRET_BYTES),
    },
  })
  return { log: logFromGenesis(op), op }
}

/**
 * Sign a local op on top of the current heads and apply it. Throws InvalidStateError (with the
 * rule's reason) when the op would be rejected, and leaves nothing changed.
 */
export function commitGroupOp(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  log: GroupLog,
  args: GroupOpArgs,
  timestamp: number,
  actorSuccession: IdentitySuccession | null = null,
): { log: GroupLog; op: GroupOp } {
  const op = signGroupOp(suite, identity, {
    groupId: log.groupId,
    parents: log.heads.slice(0, MAX_GROUP_OP_PARENTS),
    timestamp,
    args,
    actorSuccession,
  })
  const result = applyOps(suite, log, [op])
  const refused = result.rejected[0]
  if (refused !== undefined) throw new InvalidStateError(`group op refused: ${refused.reason}`)
  return { log: result.log, op }
}

export function currentState(log: GroupLog): GroupState {
  return log.state
}

export function heads(log: GroupLog): readonly Uint8Array[] {
  return log.heads
}

/** Every op of the DAG in fold order (genesis first): what to send a new member. */
export function exportOps(log: GroupLog): GroupOp[] {
  return log.order.map((id) => log.ops.get(id) as GroupOp)
}

export function opOutcome(log: GroupLog, opId: Uint8Array): GroupOpOutcome | undefined {
  return log.outcomes.get(toHex(opId))
}

export function logStateHash(suite: CryptoSuite, log: GroupLog): Uint8Array {
  return groupStateHash(suite, log.state)
}

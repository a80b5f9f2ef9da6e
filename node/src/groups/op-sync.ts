/**
 * Which group ops go to whom, beyond the op a member just committed: the whole log for an
 * invitee, the ops concurrent with an invite for its invitee, and an inviter relaying its
 * invitee's answer (with the invitee's card) to everyone else. Pure functions over the log; the
 * GroupService queues what they return once its lock is released.
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import {
  encodeGroupOp,
  exportOps,
  GROUP_OP_ACCEPT,
  GROUP_OP_DECLINE,
  GROUP_OP_INVITE,
  type GroupLog,
  type GroupOp,
  type GroupState,
  invitationOf,
} from '../../../core/src/group/index.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { APP_GROUP_OPS, MAX_CARDS_BYTES, MAX_OPS_PER_PAYLOAD } from './constants.ts'
import { decodeOpsPayload, encodeOpsPayload } from './wire.ts'

/** A pairwise payload to queue once the lock is released. */
export interface Outgoing {
  readonly groupId: string
  readonly peers: readonly string[]
  readonly appKind: number
  readonly payload: Uint8Array
  /** Our Sender Key distribution: peers it could not be queued to are retried later. */
  readonly distribution?: boolean
}

/** Where we stand when deciding what to send: who we are and the member cards we hold. */
export interface SyncContext {
  readonly groupId: string
  /** Our user id, binary and formatted. */
  readonly userId: Uint8Array
  readonly me: string
  /** Signed contact cards by formatted user id. */
  readonly cards: Readonly<Record<string, string>>
}

/** Everyone but us who is a member or invited, once each. */
export function othersIn(state: GroupState, me: string): string[] {
  const all = [...state.members, ...state.invitations].map((m) => formatUserId(m.userId))
  return [...new Set(all)].filter((u) => u !== me)
}

/** Every member but us. */
export function memberIdsIn(state: GroupState, me: string): string[] {
  return state.members.map((m) => formatUserId(m.userId)).filter((u) => u !== me)
}

/** Ops ids the op was made on top of (transitively). */
function ancestorsOf(log: GroupLog, op: GroupOp): Set<string> {
  const ancestors = new Set<string>()
  const todo = [op]
  while (todo.length > 0) {
    const next = todo.pop() as GroupOp
    for (const p of next.parents) {
      const id = toHex(p)
      if (ancestors.has(id)) continue
      ancestors.add(id)
      const parent = log.ops.get(id)
      if (parent !== undefined) todo.push(parent)
    }
  }
  return ancestors
}

/** The log's ops that the author of `op` did not know when making it (concurrent or later). */
function unknownTo(log: GroupLog, op: GroupOp): GroupOp[] {
  const known = ancestorsOf(log, op)
  const opId = toHex(op.opId)
  return log.order.filter((id) => id !== opId && !known.has(id)).map((id) => log.ops.get(id) as GroupOp)
}

/** Ops (and cards, in the first chunk) for one peer, in chunks under the payload cap. */
export function opsPayloads(
  ctx: SyncContext,
  log: GroupLog,
  peer: string,
  ops: readonly GroupOp[],
  cards: readonly string[],
): Outgoing[] {
  const chosen: string[] = []
  let cardBytes = 0
  for (const card of cards) {
    cardBytes += card.length
    if (cardBytes > MAX_CARDS_BYTES) break
    chosen.push(card)
  }
  const out: Outgoing[] = []
  for (let i = 0; i === 0 || i < ops.length; i += MAX_OPS_PER_PAYLOAD) {
    const chunk = ops.slice(i, i + MAX_OPS_PER_PAYLOAD).map(encodeGroupOp)
    if (chunk.length === 0 && chosen.length === 0) break
    out.push({
      groupId: ctx.groupId,
      peers: [peer],
      appKind: APP_GROUP_OPS,
      payload: encodeOpsPayload({
        groupId: log.groupId,
        ops: chunk,
        cards: i === 0 ? chosen : [],
        invite: false,
      }),
    })
  }
  return out
}

/** The whole log and the member cards for an invitee, in chunks under the payload cap. */
export function invitePayloads(ctx: SyncContext, log: GroupLog, invitee: string): Outgoing[] {
  return opsPayloads(ctx, log, invitee, exportOps(log), Object.values(ctx.cards)).map((o) => ({
    ...o,
    payload: encodeOpsPayload({ ...decodeOpsPayload(o.payload), invite: true }),
  }))
}

/**
 * For each invite by someone else that just applied: the invitee got the log as its inviter
 * knew it; send it the ops that were concurrent with the invite (not among its ancestors).
 */
export function catchUpInvitees(ctx: SyncContext, log: GroupLog, applied: readonly GroupOp[]): Outgoing[] {
  const out: Outgoing[] = []
  for (const op of applied) {
    if (op.args.kind !== GROUP_OP_INVITE || bytesEqual(op.actorUserId, ctx.userId)) continue
    const missing = unknownTo(log, op)
    if (missing.length === 0) continue
    out.push(...opsPayloads(ctx, log, formatUserId(op.args.invitee.userId), missing, []))
  }
  return out
}

/**
 * Invitees know only their inviter's card until they join, and the others know nothing of
 * theirs: the inviter relays an invitee's accept or decline (with its card) to everyone else,
 * and gives a newcomer every card it holds and the ops it may have missed.
 */
export function relayInviteeAnswers(
  ctx: SyncContext,
  previous: GroupState,
  log: GroupLog,
  applied: readonly GroupOp[],
): Outgoing[] {
  const out: Outgoing[] = []
  for (const op of applied) {
    if (op.args.kind !== GROUP_OP_ACCEPT && op.args.kind !== GROUP_OP_DECLINE) continue
    const invitation = invitationOf(previous, op.actorUserId)
    if (invitation === undefined || !bytesEqual(invitation.inviterUserId, ctx.userId)) continue
    const invitee = formatUserId(op.actorUserId)
    const card = ctx.cards[invitee]
    const rest = othersIn(log.state, ctx.me).filter((u) => u !== invitee)
    if (rest.length > 0) {
      out.push({
        groupId: ctx.groupId,
        peers: rest,
        appKind: APP_GROUP_OPS,
        payload: encodeOpsPayload({
          groupId: log.groupId,
          ops: [encodeGroupOp(op)],
          cards: card === undefined ? [] : [card],
          invite: false,
        }),
      })
    }
    if (op.args.kind === GROUP_OP_ACCEPT)
      out.push(...opsPayloads(ctx, log, invitee, unknownTo(log, op), Object.values(ctx.cards)))
  }
  return out
}

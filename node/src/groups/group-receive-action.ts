/**
 * Receiving actions on group messages (reaction, edit, delete for everyone, pin) from a member,
 * and applying the held ones when their message arrives. The rules are the ones the sender ran,
 * messaging/apply-action.ts: only the author edits or deletes (admins included: see
 * docs/groups.md), anyone in the group reacts and pins. An action must target a message of the
 * same group; a refused one is dropped (logged without content) and still acknowledged. An action
 * on a message that has not arrived is held (group-held-actions.ts); one on a message deleted
 * here is dropped. Called under the group lock.
 */
import { toHex } from '../../../core/src/bytes.ts'
import {
  decodeMessageAction,
  encodeMessageAction,
  type MessageAction,
} from '../../../core/src/conversation/action.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { applyAction } from '../messaging/apply-action.ts'
import { scrubQuotes } from '../messaging/quote-scrub.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { GroupContext } from './context.ts'
import { type HeldGroupAction, holdGroupAction } from './group-held-actions.ts'
import { findGroupMessage } from './group-message-index.ts'
import { groupConversationId } from './group-store.ts'
import type { LiveGroup } from './registry.ts'
import type { StoredMessage } from './types.ts'

/** What receiving one action does: ops for the post's batch and events to emit after it. */
export interface ReceivedAction {
  readonly ops: BatchOp[]
  readonly events: Array<() => void>
}

/** The replies of `message`'s conversation that quote it, with the quote emptied (its text is gone). */
export async function scrubbedReplies(
  ctx: GroupContext,
  message: StoredMessage,
  overlay: ReadonlyMap<string, StoredMessage> = new Map(),
): Promise<BatchOp[]> {
  const { store } = ctx
  const replies = await scrubQuotes(
    store.vault,
    message.conversationId,
    message.seq + 1,
    message.id,
    message.sender,
    overlay,
  )
  return replies.map((reply) => store.messageOp(reply))
}

/** Apply `action` from member `sender` of `g`, received at `at`. */
export async function receiveGroupAction(
  ctx: GroupContext,
  g: LiveGroup,
  sender: string,
  action: MessageAction,
  at: number,
): Promise<ReceivedAction> {
  const { store, log, notify } = ctx
  const none: ReceivedAction = { ops: [], events: [] }
  const author = formatUserId(action.targetAuthor)
  const idHex = toHex(action.targetId)
  const target = await findGroupMessage(store, author, idHex)
  if (target === 'unknown' && author !== ctx.me) {
    const held: HeldGroupAction = {
      sender,
      groupId: g.record.groupId,
      action: encodeMessageAction(action),
      heldAt: at,
    }
    const ops = await holdGroupAction(store, author, idHex, held)
    if (ops === null) log.warn('group action dropped: too many held', { kind: action.kind })
    return { ops: ops ?? [], events: [] }
  }
  if (typeof target === 'string') {
    log.debug('group action on a message we do not have dropped', { kind: action.kind })
    return none
  }
  if (target.message.conversationId !== groupConversationId(g.record.groupId)) {
    log.debug('group action on another conversation dropped', { kind: action.kind })
    return none
  }
  const outcome = applyAction(target.message, sender, action)
  if (outcome.kind === 'refused') {
    log.info('group action refused', { kind: action.kind, reason: outcome.reason })
    return none
  }
  if (outcome.kind === 'unchanged') return none
  const ops = [store.messageOp(outcome.message)]
  if (outcome.change === 'delete') ops.push(...(await scrubbedReplies(ctx, target.message)))
  const { message, change } = outcome
  const event = () =>
    notify('message.updated', {
      conversationId: message.conversationId,
      messageId: message.id,
      change,
      message,
    })
  return { ops, events: [event] }
}

/**
 * `message` (arriving now, not written yet) after the actions held for it, in their order; and
 * the ops for replies that quoted it when a held delete erased it. Nothing in between is written:
 * a message deleted before it arrived is stored as its tombstone only.
 */
export async function applyHeldGroupActions(
  ctx: GroupContext,
  g: LiveGroup,
  message: StoredMessage,
  held: readonly HeldGroupAction[],
): Promise<{ message: StoredMessage; ops: BatchOp[] }> {
  let current = message
  for (const h of held) {
    if (h.groupId !== g.record.groupId) continue
    let action: MessageAction
    try {
      action = decodeMessageAction(h.action)
    } catch {
      continue // encoded by us after the same check: only a corrupted store gets here
    }
    const outcome = applyAction(current, h.sender, action)
    if (outcome.kind === 'applied') current = outcome.message
    else if (outcome.kind === 'refused')
      ctx.log.info('held group action refused', { kind: action.kind, reason: outcome.reason })
  }
  const ops = current.deletedAt !== undefined ? await scrubbedReplies(ctx, message) : []
  return { message: current, ops }
}

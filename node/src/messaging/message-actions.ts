/**
 * Our own actions on messages of direct conversations: react, edit, delete (for me or for
 * everyone) and pin. Each is checked by the same rules the receiver runs (apply-action.ts; a
 * refusal is a typed error), applied to our copy, and — except delete for me — queued to the
 * contact as an ACTION content in the same write, so it travels like a message: encrypted in the
 * pairwise session, in order after the message it targets, through mailboxes when needed.
 *
 * Deleting for everyone erases the text from our store too: the message becomes a tombstone and
 * replies lose their quote of it. One copy is left alone: when the message itself has not left
 * the outbox yet, its queued item (sealed or not) goes first and the delete right after it — the
 * outbox owns its items while it delivers them, and the item is gone once the contact or its
 * mailboxes took it.
 */
import { fromHex } from '../../../core/src/bytes.ts'
import { encodeMessageAction, type MessageAction } from '../../../core/src/conversation/action.ts'
import {
  ACTION_DELETE,
  ACTION_REACT,
  DELETE_WINDOW_MS,
  EDIT_WINDOW_MS,
  MAX_REACTION_BYTES,
} from '../../../core/src/conversation/constants.ts'
import { isReaction } from '../../../core/src/conversation/reaction.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { type ActionRefusal, applyAction, type MessageChange, tombstoneOf } from './apply-action.ts'
import { CONTENT_KIND_ACTION, encodeContent, MESSAGE_ID_BYTES } from './content.ts'
import { peerOfDirectConversation } from './conversation-id.ts'
import {
  ActionWindowClosedError,
  InvalidReactionError,
  MessageActionRefusedError,
  MessageDeletedError,
  MessageNotFoundError,
  NotMessageAuthorError,
} from './errors.ts'
import type { MessengerContext } from './messenger-context.ts'
import { scrubQuotes } from './quote-scrub.ts'
import type { MessageRecord, OutboxItem } from './vault.ts'

/** A message of a direct conversation found by id: its record key, record and the contact. */
export interface LocatedMessage {
  readonly key: string
  readonly message: MessageRecord
  readonly peer: string
}

/** An action as the caller asks for it; target and time are filled in here. */
export type ActionRequest = MessageAction extends infer A
  ? A extends MessageAction
    ? Omit<A, 'targetId' | 'targetAuthor' | 'sentAt'>
    : never
  : never

/** What an action did: the message after it, and whether anything changed. */
export interface ActionResult {
  readonly message: MessageRecord
  readonly change: MessageChange | null
  /** The contact to flush the outbox of (null: nothing queued). */
  readonly queuedTo: string | null
}

/**
 * The message `idHex` of a direct conversation, written by us or by a contact (message ids are
 * per sender: every candidate author's ref is looked up in one round trip).
 */
export async function locateMessage(ctx: MessengerContext, idHex: string): Promise<LocatedMessage> {
  const { vault } = ctx
  if (!/^[0-9a-f]{32}$/.test(idHex)) throw new MessageNotFoundError(idHex)
  const authors = [ctx.userIdString, ...(await vault.listContacts()).map((c) => c.userId)]
  const keys = authors.map((author) => vault.messageRefKey(author, idHex))
  const present = await vault.store.existing(keys)
  for (const refKey of keys) {
    if (!present.has(refKey)) continue
    const ref = await vault.getMessageRefAt(refKey)
    if (ref === undefined || ref.conversationId === '') continue
    const peer = peerOfDirectConversation(ref.conversationId)
    const message = await vault.getMessage(ref.conversationId, ref.seq)
    if (peer === null || message === undefined || message.id !== idHex) continue
    return { key: vault.messageKey(ref.conversationId, ref.seq), message, peer }
  }
  throw new MessageNotFoundError(idHex)
}

/** The typed error of a refused action (the RPC maps it), for direct chats and groups alike. */
export function refusalError(reason: ActionRefusal): Error {
  switch (reason) {
    case 'not-author':
      return new NotMessageAuthorError()
    case 'edit-window-closed':
      return new ActionWindowClosedError('edited', EDIT_WINDOW_MS)
    case 'delete-window-closed':
      return new ActionWindowClosedError('deleted for everyone', DELETE_WINDOW_MS)
    case 'deleted':
      return new MessageDeletedError()
    case 'too-many-edits':
      return new MessageActionRefusedError(reason, 'this message was edited as often as it can be')
    case 'stale':
      return new MessageActionRefusedError(reason, 'a newer edit was applied')
  }
}

/** An outbox item carrying `action` to `peer`. */
function actionItem(ctx: MessengerContext, peer: string, order: number, action: MessageAction): OutboxItem {
  const now = ctx.init.now()
  return {
    order,
    peerUserId: peer,
    kind: 'action',
    messageId: '',
    conversationId: '',
    content: encodeContent({
      kind: CONTENT_KIND_ACTION,
      messageId: ctx.suite.randomBytes(MESSAGE_ID_BYTES),
      text: '',
      sentAt: now,
      receiptIds: [],
      senderUserId: ctx.init.userId,
      senderName: ctx.init.displayName(),
      succession: ctx.init.succession,
      action: encodeMessageAction(action),
    }),
    envelope: null,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  }
}

/** Scrub the replies quoting `message` (its text is gone); their ops go in `ops`. */
async function scrubReplies(ctx: MessengerContext, message: MessageRecord, ops: BatchOp[]): Promise<void> {
  const replies = await scrubQuotes(
    ctx.vault,
    message.conversationId,
    message.seq + 1,
    message.id,
    message.sender,
    new Map(),
  )
  for (const reply of replies) ops.push(ctx.vault.putMessageOp(reply))
}

/** Apply and queue our `request` on the message `idHex`; call outside the lock (it takes it). */
export function actOnMessage(
  ctx: MessengerContext,
  idHex: string,
  request: ActionRequest,
): Promise<ActionResult> {
  if (request.kind === ACTION_REACT && request.emoji !== null && !isReaction(request.emoji))
    return Promise.reject(new InvalidReactionError(MAX_REACTION_BYTES))
  return ctx.lock.run(async () => {
    const { message, peer } = await locateMessage(ctx, idHex)
    const action = {
      ...request,
      targetId: fromHex(idHex),
      targetAuthor: parseUserId(message.sender),
      sentAt: ctx.init.now(),
    } as MessageAction
    const outcome = applyAction(message, ctx.userIdString, action)
    if (outcome.kind === 'refused') throw refusalError(outcome.reason)
    if (outcome.kind === 'unchanged') return { message, change: null, queuedTo: null }
    const ops: BatchOp[] = [ctx.vault.putMessageOp(outcome.message)]
    const order = await ctx.vault.nextCounter('outbox')
    const item = actionItem(ctx, peer, order, action)
    if (action.kind === ACTION_DELETE) await scrubReplies(ctx, message, ops)
    ops.push(ctx.vault.putOutboxOp(item), ctx.vault.counterOp('outbox', order))
    await ctx.vault.store.batch(ops)
    ctx.init.notify('message.updated', { message: outcome.message, change: outcome.change })
    return { message: outcome.message, change: outcome.change, queuedTo: peer }
  })
}

/**
 * Delete a message for us only: its record is removed (its id stays known, so a copy that comes
 * again is not taken, and later actions on it are dropped) and replies lose their quote of it.
 * Nothing is sent. Returns the tombstone clients are told about.
 */
export function deleteForMe(ctx: MessengerContext, idHex: string): Promise<MessageRecord> {
  return ctx.lock.run(async () => {
    const { key, message } = await locateMessage(ctx, idHex)
    const ops: BatchOp[] = [{ type: 'del', key }]
    await scrubReplies(ctx, message, ops)
    await ctx.vault.store.batch(ops)
    const tombstone = tombstoneOf(message, ctx.init.now())
    ctx.init.notify('message.updated', { message: tombstone, change: 'delete' })
    return tombstone
  })
}

/**
 * Our own actions on group messages: react, edit, delete (for me or for everyone) and pin. Each
 * is checked by the rules every member runs again on receipt (messaging/apply-action.ts; a
 * refusal is a typed error), applied to our copy, and — except delete for me — posted to the
 * group in the same write, as group content: Sender Key encrypted on the epoch topic, with the
 * pairwise copy for members gossip misses (group-send.ts), like any group message. Deleting for
 * everyone erases the text from our store too (the record becomes a tombstone, replies lose
 * their quote), and every member that receives the delete does the same.
 *
 * Only the author edits or deletes for everyone, admins included (docs/groups.md says why).
 */
import { fromHex } from '../../../core/src/bytes.ts'
import type { MessageAction } from '../../../core/src/conversation/action.ts'
import { ACTION_EDIT, ACTION_REACT, MAX_REACTION_BYTES } from '../../../core/src/conversation/constants.ts'
import { isReaction } from '../../../core/src/conversation/reaction.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import { applyAction, tombstoneOf } from '../messaging/apply-action.ts'
import { InvalidReactionError } from '../messaging/errors.ts'
import { type ActionRequest, refusalError } from '../messaging/message-actions.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { MAX_GROUP_TEXT_BYTES } from './constants.ts'
import type { GroupContext } from './context.ts'
import { GroupConversationNotFoundError, GroupStandingError, GroupTextTooLongError } from './errors.ts'
import { isGroupMessage, type LocatedGroupMessage, locateGroupMessage } from './group-message-index.ts'
import { scrubbedReplies } from './group-receive-action.ts'
import type { GroupSend, Posted } from './group-send.ts'
import { groupOfConversation } from './group-store.ts'
import type { LiveGroup } from './registry.ts'
import type { StoredMessage } from './types.ts'

export class GroupActions {
  readonly #ctx: GroupContext
  readonly #send: GroupSend

  constructor(ctx: GroupContext, send: GroupSend) {
    this.#ctx = ctx
    this.#send = send
  }

  /** Whether `idHex` names a group message held here. */
  has(idHex: string): Promise<boolean> {
    return isGroupMessage(this.#ctx.store, idHex)
  }

  /** The group message `idHex` (MessageNotFoundError otherwise). */
  async message(idHex: string): Promise<StoredMessage> {
    return (await this.#ctx.lock.run(() => this.#locate(idHex))).message
  }

  /** React, edit, delete for everyone or pin: applied here and posted to the group. */
  async act(idHex: string, request: ActionRequest): Promise<StoredMessage> {
    if (request.kind === ACTION_REACT && request.emoji !== null && !isReaction(request.emoji))
      throw new InvalidReactionError(MAX_REACTION_BYTES)
    if (request.kind === ACTION_EDIT && new TextEncoder().encode(request.text).length > MAX_GROUP_TEXT_BYTES)
      throw new GroupTextTooLongError(MAX_GROUP_TEXT_BYTES)
    const { lock, me, now, store, notify } = this.#ctx
    const done = await lock.run(async () => {
      const { message } = await this.#locate(idHex)
      const g = this.#memberGroup(message)
      const action = {
        ...request,
        targetId: fromHex(idHex),
        targetAuthor: parseUserId(message.sender),
        sentAt: now(),
      } as MessageAction
      const outcome = applyAction(message, me, action)
      if (outcome.kind === 'refused') throw refusalError(outcome.reason)
      if (outcome.kind === 'unchanged') return { message, posted: null }
      const ops: BatchOp[] = [store.messageOp(outcome.message)]
      if (outcome.change === 'delete') ops.push(...(await scrubbedReplies(this.#ctx, message)))
      const posted = await this.#send.post(g, { text: '', extras: { action }, line: null }, ops)
      notify('message.updated', {
        conversationId: message.conversationId,
        messageId: message.id,
        change: outcome.change,
        message: outcome.message,
      })
      return { message: outcome.message, posted }
    })
    if (done.posted !== null) await this.#send.deliver(done.posted as Posted)
    return done.message
  }

  /**
   * Delete a group message for us only: its record goes (its id stays indexed, so a copy that
   * comes again is not taken and later actions on it are dropped), replies lose their quote of
   * it. Nothing is sent. Returns the tombstone clients are told about.
   */
  deleteForMe(idHex: string): Promise<StoredMessage> {
    const { lock, now, store, notify } = this.#ctx
    return lock.run(async () => {
      const { key, message } = await this.#locate(idHex)
      await store.batch([store.del(key), ...(await scrubbedReplies(this.#ctx, message))])
      const tombstone = tombstoneOf(message, now())
      notify('message.updated', {
        conversationId: message.conversationId,
        messageId: message.id,
        change: 'delete',
        message: tombstone,
      })
      return tombstone
    })
  }

  #locate(idHex: string): Promise<LocatedGroupMessage> {
    return locateGroupMessage(this.#ctx.store, idHex, this.#ctx.me)
  }

  /** The group of `message`, which we must still be a member of to post to it. */
  #memberGroup(message: StoredMessage): LiveGroup {
    const groupId = groupOfConversation(message.conversationId)
    if (groupId === null) throw new GroupConversationNotFoundError(message.conversationId)
    const g = this.#ctx.groups.requireGroup(groupId)
    if (g.record.status !== 'member') throw new GroupStandingError(`we are not a member of group ${groupId}`)
    return g
  }
}

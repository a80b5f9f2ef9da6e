/**
 * Disappearing messages in groups (issue 19). The owner or an admin sets the group's timer
 * (GroupTimers.set): the change is a group post of its own (GroupContent.timer_change, Sender Key
 * encrypted like any post), so it reaches every member by gossip or pairwise copy, and each member
 * writes it as a line in the chat. A member applies a received change only when its author is the
 * owner or an admin at that point of its log; of two changes that cross, the later by the setter's
 * clock wins everywhere (as in direct chats, messaging/disappearing.ts).
 *
 * Lines take the group's timer when they are written: ours expire `timer` after we post them, the
 * members' `timer` after we read them (markRead starts it). The sweep deletes expired lines the
 * way delete-for-me does (the record goes, replies lose their quote) and returns them so the files
 * layer erases their attachments. Timer lines themselves stay. Known limit, as in direct chats: a
 * line that crosses a timer change in flight takes the receiver's timer.
 */
import { describeTimer, TIMER_OFF, type TimerChange } from '../../../core/src/conversation/disappearing.ts'
import { ROLE_MEMBER } from '../../../core/src/group/constants.ts'
import { roleOf } from '../../../core/src/group/index.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import { tombstoneOf } from '../messaging/apply-action.ts'
import { scrubQuotes } from '../messaging/quote-scrub.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { GroupContext } from './context.ts'
import { GroupConversationNotFoundError, GroupStandingError } from './errors.ts'
import type { GroupSend } from './group-send.ts'
import { type GroupConversation, groupConversationId, groupOfConversation } from './group-store.ts'
import type { LiveGroup } from './registry.ts'
import type { StoredMessage } from './types.ts'

/** Expired lines one sweep deletes at most; the rest wait for the next sweep (1 s later). */
export const MAX_EXPIRED_GROUP_LINES_PER_SWEEP = 1000

/** A timer change as applied: its line in the chat, the new timer and who set it. */
export interface GroupTimerApplied {
  readonly line: StoredMessage
  readonly seconds: number
  readonly by: string
}

/** The text of a timer line (the same words as in direct chats). */
export function timerText(seconds: number): string {
  return seconds === TIMER_OFF
    ? 'Disappearing messages turned off'
    : `Disappearing messages set to ${describeTimer(seconds)}`
}

/** `conversation` with `change` applied by its timestamp, or null when it is stale or a no-op. */
export function changedConversation(
  conversation: GroupConversation,
  change: TimerChange,
): GroupConversation | null {
  if (conversation.timerSetAt !== undefined && change.setAt < conversation.timerSetAt) return null
  if ((conversation.timerSeconds ?? TIMER_OFF) === change.seconds) return null
  const { timerSeconds: _, ...rest } = conversation
  return {
    ...rest,
    ...(change.seconds === TIMER_OFF ? {} : { timerSeconds: change.seconds }),
    timerSetAt: change.setAt,
  }
}

/** Whether `sender` may change the timer of `g`: its owner or an admin. */
export function maySetTimer(g: LiveGroup, sender: string): boolean {
  const role = roleOf(g.log.state, parseUserId(sender))
  return role !== null && role !== ROLE_MEMBER
}

/**
 * A member's timer change received in `g` (under the lock): the line to write and the group's new
 * conversation, or null when it is refused (not an admin), stale or a no-op.
 */
export function receivedTimerLine(
  g: LiveGroup,
  sender: string,
  change: TimerChange,
  messageId: string,
  at: number,
): { line: StoredMessage; conversation: GroupConversation } | null {
  if (!maySetTimer(g, sender)) return null
  const changed = changedConversation(g.record.conversation, change)
  if (changed === null) return null
  const seq = changed.lastSeq + 1
  const line: StoredMessage = {
    id: messageId,
    conversationId: groupConversationId(g.record.groupId),
    seq,
    direction: 'in',
    sender,
    text: timerText(change.seconds),
    sentAt: change.setAt,
    receivedAt: at,
    status: 'read',
    receipts: 0,
    timerChange: { seconds: change.seconds },
  }
  return { line, conversation: { ...changed, lastSeq: seq, updatedAt: at } }
}

export class GroupTimers {
  readonly #ctx: GroupContext
  readonly #send: GroupSend

  constructor(ctx: GroupContext, send: GroupSend) {
    this.#ctx = ctx
    this.#send = send
  }

  /**
   * Set the timer of a group conversation to `seconds` (0: off) as an owner or admin; returns
   * the change (its line) or null when the timer already was that.
   */
  async set(conversationId: string, seconds: number): Promise<GroupTimerApplied | null> {
    const { lock, groups, now, me } = this.#ctx
    const groupId = groupOfConversation(conversationId)
    if (groupId === null) throw new GroupConversationNotFoundError(conversationId)
    const posted = await lock.run(async () => {
      const g = groups.requireGroup(groupId)
      if (g.record.status !== 'member')
        throw new GroupStandingError(`we are not a member of group ${groupId}`)
      if (!maySetTimer(g, me))
        throw new GroupStandingError('only the owner and admins set the timer of a group')
      const change: TimerChange = { seconds, setAt: now() }
      const changed = changedConversation(g.record.conversation, change)
      if (changed === null) return null
      const before = g.record.conversation
      // post() writes the group record from g.record.conversation: the new timer goes with it
      g.record.conversation = changed
      try {
        return await this.#send.post(
          g,
          {
            text: '',
            extras: { timerChange: change },
            line: { text: timerText(seconds), status: 'sent', timerChange: { seconds } },
          },
          [],
        )
      } catch (error) {
        g.record.conversation = before
        throw error
      }
    })
    if (posted === null) return null
    await this.#send.deliver(posted)
    return { line: posted.message as StoredMessage, seconds, by: me }
  }

  /**
   * Delete every group line whose expiresAt has passed (at most MAX_EXPIRED_GROUP_LINES_PER_SWEEP)
   * in the groups that are due; returns them (for their attachments).
   */
  async sweep(at: number): Promise<StoredMessage[]> {
    const { lock, groups, store, notify } = this.#ctx
    const expired = await lock.run(async () => {
      const out: StoredMessage[] = []
      for (const g of groups.all()) {
        const due = g.record.conversation.nextExpiry
        if (due === undefined || due > at) continue
        if (out.length >= MAX_EXPIRED_GROUP_LINES_PER_SWEEP) break
        const conversationId = groupConversationId(g.record.groupId)
        const deleted = new Set<string>()
        const scrubbed = new Map<string, StoredMessage>()
        let nextExpiry: number | undefined
        for await (const [key, message] of store.messages(conversationId)) {
          if (message.expiresAt === undefined) continue
          if (message.expiresAt > at || out.length >= MAX_EXPIRED_GROUP_LINES_PER_SWEEP) {
            nextExpiry = Math.min(nextExpiry ?? message.expiresAt, message.expiresAt)
            continue
          }
          deleted.add(key)
          scrubbed.delete(key)
          out.push(message)
          const replies = await scrubQuotes(
            store.vault,
            conversationId,
            message.seq + 1,
            message.id,
            message.sender,
            scrubbed,
          )
          for (const reply of replies) scrubbed.set(store.vault.messageKey(conversationId, reply.seq), reply)
        }
        const ops: BatchOp[] = [...deleted].map((key) => store.del(key))
        for (const [key, reply] of scrubbed) if (!deleted.has(key)) ops.push(store.messageOp(reply))
        const { nextExpiry: _, ...rest } = g.record.conversation
        const conversation = nextExpiry === undefined ? rest : { ...rest, nextExpiry }
        ops.push(store.put(store.groupKey(g.record.groupId), { ...g.record, conversation }))
        await store.batch(ops)
        g.record.conversation = conversation
      }
      return out
    })
    for (const message of expired)
      notify('message.updated', {
        conversationId: message.conversationId,
        messageId: message.id,
        change: 'delete',
        message: tombstoneOf(message, at),
      })
    return expired
  }
}

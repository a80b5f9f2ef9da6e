/**
 * What a group text is besides its words: a reply to a message of the group (with the quote of
 * its first line), a forward, and the members it mentions. Mentions come from the caller
 * (messages.send `mentions`: user ids, each a current member) or, when it gives none, from the
 * text: `@name` resolved against the members' names as this device shows them
 * (core/src/conversation/mentions.ts). Called under the group lock.
 */
import { fromHex } from '../../../core/src/bytes.ts'
import { decodeContactCard } from '../../../core/src/contact-card.ts'
import { type MentionCandidate, resolveMentions } from '../../../core/src/conversation/mentions.ts'
import { quoteOf } from '../../../core/src/conversation/quote.ts'
import { formatUserId, parseUserId } from '../../../core/src/identity.ts'
import { MessageDeletedError } from '../messaging/errors.ts'
import { MAX_GROUP_MENTIONS } from './constants.ts'
import type { GroupContext } from './context.ts'
import { GroupMentionError } from './errors.ts'
import { locateGroupMessage } from './group-message-index.ts'
import { groupConversationId } from './group-store.ts'
import type { LiveGroup } from './registry.ts'
import type { StoredMessage } from './types.ts'
import type { Content } from './wire.ts'

/** A group text's options, as messages.send and messages.forward give them. */
export interface LineOptions {
  /** Hex id of the message of this group answered. */
  readonly replyTo?: string
  readonly forwarded?: boolean
  /** User ids of members mentioned; absent: resolved from `@name` in the text. */
  readonly mentions?: readonly string[]
}

/** What a post's content carries besides its text. */
export type ContentExtras = Pick<
  Content,
  'action' | 'replyTo' | 'forwarded' | 'mentions' | 'attachment' | 'timerChange'
>

export interface ComposedLine {
  readonly content: ContentExtras
  readonly record: Partial<StoredMessage>
}

/** Whether `message` (not deleted) mentions user `me`: it then counts in mentionUnread. */
export function mentionsMe(message: StoredMessage, me: string): boolean {
  return message.deletedAt === undefined && (message.mentions ?? []).includes(me)
}

/** The members we can mention, under the names we show them (contacts, else their card's name). */
async function candidates(ctx: GroupContext, g: LiveGroup): Promise<MentionCandidate[]> {
  const contacts = new Map((await ctx.contacts.listContacts()).map((c) => [c.userId, c.displayName]))
  const out: MentionCandidate[] = []
  for (const m of g.log.state.members) {
    const userId = formatUserId(m.userId)
    if (userId === ctx.me) continue
    let name = contacts.get(userId)
    if (name === undefined) {
      const card = g.record.cards[userId]
      try {
        name = card === undefined ? undefined : decodeContactCard(card).displayName
      } catch {
        name = undefined // a card we stored after checking it; only a corrupted store gets here
      }
    }
    out.push({ userId, name: name ?? '' })
  }
  return out
}

async function mentionsOf(
  ctx: GroupContext,
  g: LiveGroup,
  text: string,
  given: readonly string[] | undefined,
): Promise<string[]> {
  if (given === undefined) return resolveMentions(text, await candidates(ctx, g), MAX_GROUP_MENTIONS)
  const members = new Set(g.log.state.members.map((m) => formatUserId(m.userId)))
  const out = [...new Set(given)]
  if (out.length > MAX_GROUP_MENTIONS) throw new GroupMentionError(`at most ${MAX_GROUP_MENTIONS} mentions`)
  for (const u of out) if (!members.has(u)) throw new GroupMentionError(`${u} is not a member of this group`)
  return out
}

/** The reply, forward and mention parts of a text posted to `g`. */
export async function composeLine(
  ctx: GroupContext,
  g: LiveGroup,
  text: string,
  options: LineOptions,
): Promise<ComposedLine> {
  const mentions = await mentionsOf(ctx, g, text, options.mentions)
  let replyTo: NonNullable<StoredMessage['replyTo']> | undefined
  if (options.replyTo !== undefined) {
    const conversationId = groupConversationId(g.record.groupId)
    const { message } = await locateGroupMessage(ctx.store, options.replyTo, ctx.me, conversationId)
    if (message.deletedAt !== undefined) throw new MessageDeletedError()
    replyTo = { messageId: message.id, sender: message.sender, text: quoteOf(message.text) }
  }
  return {
    content: {
      ...(replyTo === undefined
        ? {}
        : {
            replyTo: {
              id: fromHex(replyTo.messageId),
              author: parseUserId(replyTo.sender),
              text: replyTo.text,
            },
          }),
      ...(options.forwarded === true ? { forwarded: true } : {}),
      ...(mentions.length > 0 ? { mentions: mentions.map(parseUserId) } : {}),
    },
    record: {
      ...(replyTo === undefined ? {} : { replyTo }),
      ...(options.forwarded === true ? { forwarded: true as const } : {}),
      ...(mentions.length > 0 ? { mentions } : {}),
    },
  }
}

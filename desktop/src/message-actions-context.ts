/**
 * What the chat view does for the actions of its messages, handed to rows through a context so
 * that the virtualised rows stay cheap to re-render (the value is stable for the chat's life).
 */
import { createContext } from 'preact'
import type { Message } from '../../node/src/rpc/api.ts'
import type { AttachmentFeed } from './logic/attachment-feed.ts'

/** What the chat does for a message's actions (stable for the life of the chat view). */
export interface MessageActionsApi {
  /** Our user id (own reactions, "You" in quotes). */
  readonly me: string
  /** Actions can be sent here: a direct chat, or a group we are a member of (else copy only). */
  readonly canAct: boolean
  readonly nameOf: (userId: string) => string
  /** The names a mentioned member may be written as after `@` (highlighted in bubbles). */
  readonly mentionNames: (userId: string) => readonly string[]
  reply(m: Message): void
  edit(m: Message): void
  react(m: Message, emoji: string | null): void
  /** Ask how to delete (for me, or for everyone). */
  remove(m: Message): void
  forward(m: Message): void
  pin(m: Message, pinned: boolean): void
  copy(m: Message): void
  /** Show the per-member receipts of one of our messages (groups only; null in a direct chat). */
  readonly info: ((m: Message) => void) | null
  /** Scroll to a loaded message and focus it. */
  jump(messageId: string): void
  /** File transfers of the messages' file cards. */
  readonly files: AttachmentFeed
  /** Ask where to save a message's file. */
  saveFile(m: Message): void
}

export const MessageActionsContext = createContext<MessageActionsApi | null>(null)

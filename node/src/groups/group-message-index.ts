/**
 * Group messages by id (gm/ in storage/layout.ts): actions, replies and forwards name a message
 * by its id only, and a group message's author may be a member who is no contact of ours, so the
 * 1:1 way (look the id up under every contact) cannot find it. Every group message line, ours
 * and received, gets one GroupMessageRef under its id and author, written in the same batch as
 * the message. Ids are random per sender; a member who reuses another's id only adds a second
 * entry under the same id (the author is part of the key), never replaces one.
 *
 * Messages stored before this index existed are indexed once, at start (indexExisting).
 */

import { MessageNotFoundError } from '../messaging/errors.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { GroupStore } from './group-store.ts'
import type { StoredMessage } from './types.ts'

/** Where one group message is. */
export interface GroupMessageRef {
  readonly conversationId: string
  readonly seq: number
  readonly sender: string
}

/** A group message found by id: its record key and its record. */
export interface LocatedGroupMessage {
  readonly key: string
  readonly message: StoredMessage
}

const MESSAGE_ID = /^[0-9a-f]{32}$/

/** The index entry of `message` (put it in the batch that writes the message). */
export function indexOp(store: GroupStore, message: StoredMessage): BatchOp {
  const ref: GroupMessageRef = {
    conversationId: message.conversationId,
    seq: message.seq,
    sender: message.sender,
  }
  return store.put(store.messageIndexKey(message.id, message.sender), ref)
}

/**
 * The message `idHex` of `author`: 'unknown' when it never arrived, 'gone' when it did and its
 * record is not there any more (deleted for me, or the conversation was deleted).
 */
export async function findGroupMessage(
  store: GroupStore,
  author: string,
  idHex: string,
): Promise<LocatedGroupMessage | 'unknown' | 'gone'> {
  const ref = await store.get<GroupMessageRef>(store.messageIndexKey(idHex, author))
  if (ref === undefined) return 'unknown'
  const message = await store.getMessage(ref.conversationId, ref.seq)
  if (message === undefined || message.id !== idHex || message.sender !== author) return 'gone'
  return { key: store.vault.messageKey(ref.conversationId, ref.seq), message }
}

/**
 * The group message `idHex` (any author; `me` first, then the lowest key, when members reused an
 * id), optionally only in `conversationId`. MessageNotFoundError when there is none.
 */
export async function locateGroupMessage(
  store: GroupStore,
  idHex: string,
  me: string,
  conversationId?: string,
): Promise<LocatedGroupMessage> {
  if (!MESSAGE_ID.test(idHex)) throw new MessageNotFoundError(idHex)
  const found: LocatedGroupMessage[] = []
  for await (const ref of store.all<GroupMessageRef>(store.messageIndexPrefix(idHex))) {
    if (conversationId !== undefined && ref.conversationId !== conversationId) continue
    const message = await store.getMessage(ref.conversationId, ref.seq)
    if (message === undefined || message.id !== idHex || message.sender !== ref.sender) continue
    found.push({ key: store.vault.messageKey(ref.conversationId, ref.seq), message })
  }
  const chosen = found.find((f) => f.message.sender === me) ?? found[0]
  if (chosen === undefined) throw new MessageNotFoundError(idHex)
  return chosen
}

/** Whether `idHex` names a group message (so the caller tries groups rather than direct chats). */
export async function isGroupMessage(store: GroupStore, idHex: string): Promise<boolean> {
  if (!MESSAGE_ID.test(idHex)) return false
  for await (const _ of store.all<GroupMessageRef>(store.messageIndexPrefix(idHex))) return true
  return false
}

/**
 * Index the group messages stored before the index existed: one pass over each group
 * conversation, writing only the missing entries. Cheap when nothing is missing (one existence
 * check per message, batched); called once per start.
 */
export async function indexExisting(store: GroupStore, conversationIds: readonly string[]): Promise<number> {
  let added = 0
  for (const conversationId of conversationIds) {
    const messages: StoredMessage[] = []
    for await (const [, message] of store.messages(conversationId)) messages.push(message)
    const keys = messages.map((m) => store.messageIndexKey(m.id, m.sender))
    const present = await store.vault.store.existing(keys)
    const ops = messages.filter((_, i) => !present.has(keys[i] as string)).map((m) => indexOp(store, m))
    await store.batch(ops)
    added += ops.length
  }
  return added
}

/**
 * Receiving actions on messages (reaction, edit, delete for everyone, pin) from a contact, and
 * the held ones when their message arrives. The rules are apply-action.ts, the same the sender
 * ran: a contact cannot edit or delete what we wrote, nor act on a message of another
 * conversation; a refused action is dropped (logged without content) and acknowledged, so it
 * does not block the contact's queue. An action on a message of the contact that has not
 * arrived is held (held-actions.ts); one on a message we never had and never will is dropped.
 */
import { toHex } from '../../../core/src/bytes.ts'
import { decodeMessageAction, type MessageAction } from '../../../core/src/conversation/action.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { applyAction } from './apply-action.ts'
import { type Content, DELIVERY_DUPLICATE, DELIVERY_OK } from './content.ts'
import { directConversationId } from './conversation-id.ts'
import { holdAction, takeHeld } from './held-actions.ts'
import type { InboundInit, Pending } from './inbound-batch.ts'
import { scrubQuotes } from './quote-scrub.ts'
import type { MessageRecord } from './vault.ts'

/** A message this batch or the store holds: its record key and its latest version. */
interface Target {
  readonly key: string
  readonly message: MessageRecord
}

/**
 * The message `idHex` of `author`, as this batch left it: 'unknown' when it never arrived,
 * 'gone' when its id is known but no message is there (deleted for me, or an app payload's id).
 */
export async function findTarget(
  init: InboundInit,
  pending: Pending,
  author: string,
  idHex: string,
): Promise<Target | 'unknown' | 'gone'> {
  const { vault } = init
  const refKey = vault.messageRefKey(author, idHex)
  const ref = pending.newRefs.get(refKey) ?? (await vault.getMessageRefAt(refKey))
  if (ref === undefined) return pending.refs.has(refKey) ? 'gone' : 'unknown'
  if (ref.conversationId === '') return 'gone'
  const key = vault.messageKey(ref.conversationId, ref.seq)
  const message = pending.messages.get(key) ?? (await vault.getMessage(ref.conversationId, ref.seq))
  return message === undefined ? 'gone' : { key, message }
}

/** Put `message` (at `key`) in the batch as its latest version (`write`: also as a write op). */
function putInBatch(
  init: InboundInit,
  pending: Pending,
  key: string,
  message: MessageRecord,
  write = true,
): void {
  pending.messages.set(key, message)
  if (write) pending.ops.push(init.vault.putMessageOp(message))
}

/** An action content from `sender`: de-duplicated by its message id, then applied or held. */
export async function receiveAction(
  init: InboundInit,
  sender: string,
  content: Content,
  pending: Pending,
  newRef: (idHex: string) => Promise<string | null>,
): Promise<number> {
  const refKey = await newRef(toHex(content.messageId))
  if (refKey === null) return DELIVERY_DUPLICATE
  pending.refs.add(refKey)
  pending.ops.push(init.vault.putMessageRefOp(refKey, { conversationId: '', seq: 0 }))
  const bytes = content.action ?? new Uint8Array(0)
  let action: MessageAction
  try {
    action = decodeMessageAction(bytes)
  } catch (error) {
    init.log.debug('message action refused', { error: (error as Error)?.name })
    return DELIVERY_OK
  }
  await applyIncoming(init, pending, sender, bytes, action, true)
  return DELIVERY_OK
}

async function applyIncoming(
  init: InboundInit,
  pending: Pending,
  sender: string,
  bytes: Uint8Array,
  action: MessageAction,
  mayHold: boolean,
): Promise<void> {
  const author = formatUserId(action.targetAuthor)
  // in a direct conversation a message is the sender's or ours: nobody else's
  if (author !== sender && author !== init.ourUserId) {
    init.log.debug('message action on a third party’s message dropped', { kind: action.kind })
    return
  }
  const idHex = toHex(action.targetId)
  const target = await findTarget(init, pending, author, idHex)
  if (target === 'unknown' && author === sender && mayHold) {
    if (!(await holdAction(init, pending, author, idHex, { sender, action: bytes })))
      init.log.warn('message action dropped: too many held', { kind: action.kind })
    return
  }
  if (typeof target === 'string') {
    init.log.debug('message action on a message we do not have dropped', { kind: action.kind })
    return
  }
  if (target.message.conversationId !== directConversationId(sender)) {
    init.log.debug('message action on another conversation dropped', { kind: action.kind })
    return
  }
  const outcome = applyAction(target.message, sender, action)
  if (outcome.kind === 'refused') {
    init.log.info('message action refused', { kind: action.kind, reason: outcome.reason })
    return
  }
  if (outcome.kind === 'unchanged') return
  // a held action changes a message its arrival writes (receiveText): no intermediate version
  // (an edited text before a delete) goes into the batch
  putInBatch(init, pending, target.key, outcome.message, mayHold)
  if (outcome.change === 'delete') {
    const { conversationId, seq, id, sender: writer } = target.message
    const overlay = pending.messages
    for (const reply of await scrubQuotes(init.vault, conversationId, seq + 1, id, writer, overlay))
      putInBatch(init, pending, init.vault.messageKey(reply.conversationId, reply.seq), reply)
  }
  const { message, change } = outcome
  pending.events.push(() => init.notify('message.updated', { message, change }))
}

/** Apply what was held for the message `idHex` of `author`, which this batch just stored. */
export async function applyHeld(
  init: InboundInit,
  pending: Pending,
  author: string,
  idHex: string,
): Promise<void> {
  for (const held of await takeHeld(init, pending, author, idHex)) {
    let action: MessageAction
    try {
      action = decodeMessageAction(held.action)
    } catch {
      continue // written by us after the same check: cannot happen short of a corrupted store
    }
    await applyIncoming(init, pending, held.sender, held.action, action, false)
  }
}

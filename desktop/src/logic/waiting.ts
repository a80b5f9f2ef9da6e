/**
 * Why an outgoing message waits, in words for the tick's tooltip and the conversation header
 * (the daemon's Message.waiting and conversation.waiting event; reasons in docs/rpc.md).
 */
import type { Message, Waiting } from '../../../node/src/rpc/api.ts'

/** "no route to Bob yet, next try in 12 s". */
export function waitingWords(waiting: Waiting, name: string, now: number): string {
  const words: Record<Waiting['reason'], string> = {
    sending: `sending to ${name}`,
    'no-bundle': `no keys for ${name} found yet`,
    'no-route': `no route to ${name} yet`,
    'peer-offline': `${name} is offline`,
    'peer-unavailable': `${name}'s device could not take it`,
    'key-changed': `held until you accept ${name}'s new safety number`,
    stored: `in ${name}'s relay mailboxes until ${name} fetches it`,
  }
  const next =
    waiting.nextAttemptAt === undefined
      ? ''
      : `, next try in ${Math.max(0, Math.ceil((waiting.nextAttemptAt - now) / 1000))} s`
  return `${words[waiting.reason]}${next}`
}

/** Outgoing messages the outbox still holds (not stored, delivered, read or failed). */
function inOutbox(m: Message): boolean {
  return m.direction === 'out' && (m.status === 'queued' || m.status === 'sent')
}

/** A conversation.waiting event applied to the loaded messages (null: the outbox has nothing waiting). */
export function applyWaiting(messages: readonly Message[], waiting: Waiting | null): readonly Message[] {
  let changed = false
  const out = messages.map((m) => {
    if (!inOutbox(m)) return m
    changed = true
    if (waiting === null) {
      const { waiting: _gone, ...rest } = m
      return rest
    }
    return { ...m, waiting }
  })
  return changed ? out : messages
}

/** What the conversation header shows: why the newest message still in the outbox waits. */
export function conversationWaiting(messages: readonly Message[]): Waiting | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message
    if (inOutbox(m) && m.waiting !== undefined) return m.waiting
  }
  return null
}

/**
 * Turns the events a user's node emits (message.received, message.status) into metrics: the
 * path is the node's own `via`; only an event without one gets a path inferred from the
 * recipient's connections to the sender at receive time.
 */
import { isDirectConversationId } from '../../../node/src/messaging/conversation-id.ts'
import type { EventPayload } from '../../../node/src/rpc/api.ts'
import type { EventSink, SimUser } from '../harness.ts'
import type { MessagePath } from '../metrics.ts'
import type { RunState } from './run-state.ts'

/** direct / relayed from the receiver's open connections to the sender, else unknown. */
function pathOf(users: readonly SimUser[], receiver: number, sender: number): MessagePath {
  const host = users[receiver]?.runtime?.libp2p
  const senderPeer = users[sender]?.peerId
  if (host === undefined || senderPeer === undefined) return 'unknown'
  const conns = host.getConnections().filter((c) => c.remotePeer.toString() === senderPeer)
  if (conns.some((c) => c.limits === undefined)) return 'direct'
  if (conns.length > 0) return 'relayed'
  return 'unknown'
}

/**
 * The sink every user reports to. `userIndexById` maps a Wren user id to its user index (filled
 * once the users exist; it is only read for events without `via`).
 */
export function userEventSink(state: RunState, userIndexById: ReadonlyMap<string, number>): EventSink {
  return (user, event, payload) => {
    const metrics = state.metrics
    if (event === 'message.received') {
      const p = payload as EventPayload<'message.received'>
      if (!isDirectConversationId(p.message.conversationId)) {
        metrics.groupReceived(user, p.message.id, p.via ?? 'unknown')
        return
      }
      // the node says how it arrived; inference only for an event without `via`
      if (p.via !== undefined) {
        metrics.received(user, p, p.via, true)
        return
      }
      const sender = userIndexById.get(p.message.sender)
      metrics.received(user, p, sender === undefined ? 'unknown' : pathOf(state.users, user, sender), false)
    } else if (event === 'message.status') {
      const p = payload as EventPayload<'message.status'>
      if (isDirectConversationId(p.conversationId)) metrics.status(p.messageId, p.status)
    }
  }
}

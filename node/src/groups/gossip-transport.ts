/**
 * The topic side of groups on libp2p gossipsub (`@libp2p/gossipsub` 17, StrictNoSign: no PeerId
 * authorship on the wire; every payload carries its own nonce and Sender Key signature).
 *
 * Publishing right after subscribe races mesh formation (DESIGN.md pitfalls): the first publish
 * on a fresh topic waits, at most SUBSCRIBER_WAIT_MS, for a subscriber to show up. A publish that
 * reaches nobody is not an error: members that gossip misses get the pairwise copy.
 *
 * Every subscribed topic has a validator: a message from a peer over its limit
 * (GOSSIP_PEER_LIMIT, the host's peer guard) is ignored and costs the peer a strike; one that
 * does not parse is rejected (gossipsub scores the peer down) and costs more.
 */
import { type GossipSub, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { toHex } from '../../../core/src/bytes.ts'
import { GOSSIP_LIMIT_LABEL, GOSSIP_PEER_LIMIT } from '../p2p/constants.ts'
import type { PeerGuard } from '../p2p/peer-guard.ts'
import { SUBSCRIBER_POLL_MS, SUBSCRIBER_WAIT_MS } from './constants.ts'
import type { GroupLogger, GroupTransport } from './types.ts'

export interface GossipGuard {
  /** The host's peer guard (limits per forwarding peer). */
  guard?: PeerGuard
  /** Whether a payload parses; one that does not is rejected. */
  wellFormed: (data: Uint8Array) => boolean
}

export function gossipTransport(
  pubsub: GossipSub,
  log: GroupLogger,
  check?: GossipGuard,
): GroupTransport & { close(): void } {
  const subscribedAt = new Map<string, number>()
  const guard = check?.guard
  guard?.limit(GOSSIP_LIMIT_LABEL, GOSSIP_PEER_LIMIT)
  const validate = (peer: PeerId, message: { data: Uint8Array }): TopicValidatorResult => {
    if (guard !== undefined && !guard.admit(GOSSIP_LIMIT_LABEL, peer)) return TopicValidatorResult.Ignore
    if (check !== undefined && !check.wellFormed(message.data)) {
      guard?.malformed(GOSSIP_LIMIT_LABEL, peer)
      return TopicValidatorResult.Reject
    }
    return TopicValidatorResult.Accept
  }
  const handlers: Array<(topic: string, data: Uint8Array) => void> = []
  const onMessage = (event: CustomEvent<{ topic: string; data: Uint8Array }>) => {
    const { topic, data } = event.detail
    if (!subscribedAt.has(topic)) return
    for (const handler of handlers) handler(topic, data)
  }
  pubsub.addEventListener('message', onMessage as never)

  return {
    subscribe(topic) {
      if (subscribedAt.has(topic)) return
      subscribedAt.set(topic, Date.now())
      pubsub.topicValidators.set(topic, validate)
      pubsub.subscribe(topic)
    },
    unsubscribe(topic) {
      if (!subscribedAt.delete(topic)) return
      pubsub.topicValidators.delete(topic)
      pubsub.unsubscribe(topic)
    },
    async publish(topic, data) {
      const since = subscribedAt.get(topic) ?? 0
      const deadline = since + SUBSCRIBER_WAIT_MS
      while (pubsub.getSubscribers(topic).length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, SUBSCRIBER_POLL_MS))
      }
      try {
        const result = await pubsub.publish(topic, data)
        return { ok: result.recipients.length > 0 }
      } catch (error) {
        log.debug('group publish failed', { error: (error as Error)?.name })
        return { ok: false }
      }
    },
    subscribers(topic) {
      return new Set(pubsub.getSubscribers(topic).map((peer) => toHex(peer.toMultihash().bytes)))
    },
    onMessage(handler) {
      handlers.push(handler)
    },
    close() {
      pubsub.removeEventListener('message', onMessage as never)
      for (const topic of subscribedAt.keys()) {
        pubsub.topicValidators.delete(topic)
        pubsub.unsubscribe(topic)
      }
      subscribedAt.clear()
    },
  }
}

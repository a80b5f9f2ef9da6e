/**
 * The path a message took to this device, reported as `via` on message.received: a /wren/msg
 * exchange over a direct or a relayed connection, or a fetch from our relay mailboxes (group
 * topic deliveries are 'gossip', set in node/src/groups).
 */
import type { Connection, PeerId } from '@libp2p/interface'

/**
 * How a received message reached this device: over a direct or a relayed connection, from our
 * relay mailboxes, or (groups) from the group's gossip topic.
 */
export type MessageVia = 'direct' | 'relayed' | 'mailbox' | 'gossip'

/** Where the envelopes of one batch came from (the path is reported on message.received). */
export type InboundSource =
  | { readonly peer: PeerId; readonly via: 'direct' | 'relayed' }
  | { readonly peer: null; readonly via: 'mailbox' }

/**
 * A /wren/msg exchange over a circuit-relay connection is 'relayed': libp2p marks those limited
 * (data and time caps), and a relayed address names /p2p-circuit; a WebRTC connection set up
 * through a relay (…/p2p-circuit/webrtc) carries its bytes directly.
 */
export function connectionPath(connection: Pick<Connection, 'limits' | 'remoteAddr'>): 'direct' | 'relayed' {
  if (connection.limits != null) return 'relayed'
  const names = connection.remoteAddr.getComponents().map((c) => c.name)
  return names.includes('p2p-circuit') && !names.includes('webrtc') ? 'relayed' : 'direct'
}

/**
 * A libp2p connection gater that refuses the peers `refuse` names, in front of `inner` (which
 * may refuse more): every dial and every connection, inbound, outbound or relayed. Shared by the
 * node's and the relay's peer guards (node/src/p2p/peer-guard.ts, relay-node/src/peer-guard.ts),
 * whose `refuse` also counts what it refused.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

export function refusingGater(
  refuse: (peer: PeerId) => boolean,
  inner: ConnectionGater = {},
): ConnectionGater {
  return {
    ...inner,
    denyDialPeer: async (peer) => refuse(peer) || ((await inner.denyDialPeer?.(peer)) ?? false),
    denyInboundEncryptedConnection: async (peer, conn) =>
      refuse(peer) || ((await inner.denyInboundEncryptedConnection?.(peer, conn)) ?? false),
    denyOutboundEncryptedConnection: async (peer, conn) =>
      refuse(peer) || ((await inner.denyOutboundEncryptedConnection?.(peer, conn)) ?? false),
    denyInboundRelayedConnection: async (relay, peer) =>
      refuse(peer) || ((await inner.denyInboundRelayedConnection?.(relay, peer)) ?? false),
  }
}

/**
 * Which of a peer's addresses a Wren DHT keeps (kad-dht's `peerInfoMapper`). The LAN DHT keeps
 * private and loopback addresses, the WAN DHT public ones (IPFS's split), and neither keeps
 * relayed (`/p2p-circuit`) addresses: kad-dht does not run over limited relayed connections, so
 * a peer reachable only through a relay cannot serve a DHT. Keeping such a peer made every query
 * that picked it open a fresh circuit through the relay, only to find it unusable and close it.
 * A peer left with no address is not added to the routing table (kad-dht skips it).
 */
import type { PeerInfo } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

export type DhtScope = 'lan' | 'wan'

function isRelayed(addr: Multiaddr): boolean {
  return addr.getComponents().some((c) => c.name === 'p2p-circuit')
}

/** The peerInfoMapper of the LAN or the WAN DHT. */
export function dhtPeerMapper(scope: DhtScope): (peer: PeerInfo) => PeerInfo {
  return (peer) => ({
    ...peer,
    multiaddrs: peer.multiaddrs.filter(
      (a) => !isRelayed(a) && (scope === 'lan' ? isPrivate(a) : !isPrivate(a)),
    ),
  })
}

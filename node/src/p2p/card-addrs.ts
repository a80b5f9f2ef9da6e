/**
 * Which of the node's own addresses go on its contact card. A card holds only a few
 * (core's MAX_CARD_ADDRS), and libp2p lists direct listen addresses first: on a host with several
 * interfaces they would fill the card and push out the relayed ones, which are the only way to
 * reach a device behind NAT. So the card takes the kinds in turn (relayed /webrtc, relayed
 * circuit, direct) and drops our own /p2p/<id> suffix (the card carries the peer id already).
 */
import type { Multiaddr } from '@multiformats/multiaddr'

/** Multiaddr protocol code of /p2p (the peer id suffix). */
const P2P_CODE = 421

type AddrKind = 'webrtc' | 'circuit' | 'direct'

function addrKind(addr: Multiaddr): AddrKind {
  const names = addr.getComponents().map((c) => c.name)
  if (names.includes('webrtc')) return 'webrtc'
  if (names.includes('p2p-circuit')) return 'circuit'
  return 'direct'
}

/** Drops a trailing /p2p/<id> only: a relayed address without one keeps its relay's id. */
function withoutPeerIdSuffix(addr: Multiaddr): Multiaddr {
  const components = addr.getComponents()
  return components.at(-1)?.code === P2P_CODE ? addr.decapsulateCode(P2P_CODE) : addr
}

/** Up to `max` of `addrs` for a card, each kind represented, in libp2p's order within a kind. */
export function cardAddrs(addrs: readonly Multiaddr[], max: number): Multiaddr[] {
  const groups: Record<AddrKind, Multiaddr[]> = { webrtc: [], circuit: [], direct: [] }
  const seen = new Set<string>()
  for (const addr of addrs) {
    const bare = withoutPeerIdSuffix(addr)
    const key = bare.toString()
    if (seen.has(key)) continue
    seen.add(key)
    groups[addrKind(addr)].push(bare)
  }
  const order: AddrKind[] = ['circuit', 'webrtc', 'direct']
  const picked: Multiaddr[] = []
  for (let round = 0; picked.length < max; round++) {
    let took = false
    for (const kind of order) {
      const next = groups[kind][round]
      if (next !== undefined && picked.length < max) {
        picked.push(next)
        took = true
      }
    }
    if (!took) break
  }
  return picked
}

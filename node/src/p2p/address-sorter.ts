/**
 * The order in which libp2p tries a peer's addresses (one at a time, each bounded): libp2p's own
 * order (loopback last, public first, relayed after direct, reliable transports first), except
 * that a WebRTC address signalled through a relay comes after the plain relayed one. Between two
 * home NATs without a reachable STUN server, WebRTC's ICE never connects and took the whole
 * per-address budget before the circuit that works; now the circuit carries the first message and
 * the WebRTC upgrade is tried in the background (request-response.ts, `upgradeInBackground`).
 */
import type { Address } from '@libp2p/interface'
import {
  circuitRelayAddressesLast,
  loopbackAddressLast,
  publicAddressesFirst,
  reliableTransportsFirst,
} from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

function isRelayedWebRTC(addr: Multiaddr): boolean {
  const names = addr.getComponents().map((c) => c.name)
  return names.includes('p2p-circuit') && names.includes('webrtc')
}

function relayedWebRTCLast(a: Multiaddr, b: Multiaddr): -1 | 0 | 1 {
  const wa = isRelayedWebRTC(a)
  const wb = isRelayedWebRTC(b)
  if (wa === wb) return 0
  return wa ? 1 : -1
}

function certifiedFirst(a: Address, b: Address): -1 | 0 | 1 {
  if (a.isCertified === b.isCertified) return 0
  return a.isCertified ? -1 : 1
}

export function wrenAddressSorter(a: Address, b: Address): -1 | 0 | 1 {
  return (
    loopbackAddressLast(a.multiaddr, b.multiaddr) ||
    relayedWebRTCLast(a.multiaddr, b.multiaddr) ||
    publicAddressesFirst(a.multiaddr, b.multiaddr) ||
    circuitRelayAddressesLast(a.multiaddr, b.multiaddr) ||
    certifiedFirst(a, b) ||
    reliableTransportsFirst(a.multiaddr, b.multiaddr)
  )
}

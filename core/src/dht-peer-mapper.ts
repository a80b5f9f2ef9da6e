/**
 * Which of a peer's addresses a Wren DHT keeps (kad-dht's `peerInfoMapper`). The LAN DHT keeps
 * private and loopback addresses, the WAN DHT public ones (IPFS's split), and neither keeps
 * relayed (`/p2p-circuit`) addresses: kad-dht does not run over limited relayed connections, so
 * a peer reachable only through a relay cannot serve a DHT. Keeping such a peer made every query
 * that picked it open a fresh circuit through the relay, only to find it unusable and close it.
 * A peer left with no address is not added to the routing table (kad-dht skips it).
 *
 * "LAN" is taken literally when the node says which networks it is attached to
 * (`localNetworks`): a private address is kept only inside one of them (loopback always). Without
 * that, a peer's home address (192.168.2.2 behind one NAT) travelled through a public relay's
 * DHT to a user behind another NAT, whose DHT and contact dials then waited on an address that
 * routes nowhere — and a home network's layout leaked to strangers.
 */
import { cidrContains } from '@chainsafe/netmask'
import type { PeerInfo } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

export type DhtScope = 'lan' | 'wan'

export interface DhtMapperOptions {
  /**
   * The networks this node is attached to, as CIDRs ('192.168.1.0/24', 'fd00::/64'), read when a
   * peer is mapped (interfaces come and go). Absent: every private address counts as local.
   */
  localNetworks?: () => readonly string[]
}

function isRelayed(addr: Multiaddr): boolean {
  return addr.getComponents().some((c) => c.name === 'p2p-circuit')
}

function ipOf(addr: Multiaddr): string | undefined {
  return addr.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.')
}

/** True when `ip` lies in one of `networks` (a malformed CIDR matches nothing). */
export function insideNetworks(ip: string, networks: readonly string[]): boolean {
  return networks.some((cidr) => {
    try {
      return cidrContains(cidr, ip)
    } catch {
      return false
    }
  })
}

function keepsLan(addr: Multiaddr, localNetworks: readonly string[] | undefined): boolean {
  if (!isPrivate(addr)) return false
  if (localNetworks === undefined) return true
  const ip = ipOf(addr)
  if (ip === undefined) return true
  return isLoopback(ip) || insideNetworks(ip, localNetworks)
}

/** The peerInfoMapper of the LAN or the WAN DHT. */
export function dhtPeerMapper(scope: DhtScope, options: DhtMapperOptions = {}): (peer: PeerInfo) => PeerInfo {
  return (peer) => {
    const local = scope === 'lan' ? options.localNetworks?.() : undefined
    return {
      ...peer,
      multiaddrs: peer.multiaddrs.filter(
        (a) => !isRelayed(a) && (scope === 'lan' ? keepsLan(a, local) : !isPrivate(a)),
      ),
    }
  }
}

/** The CIDRs of a node's interfaces, from what `os.networkInterfaces()` returns (pure: passed in). */
export function networksOf(
  interfaces: Readonly<Record<string, ReadonlyArray<{ readonly cidr: string | null }> | undefined>>,
): string[] {
  return Object.values(interfaces).flatMap((entries) =>
    (entries ?? []).flatMap((e) => (e.cidr === null ? [] : [e.cidr])),
  )
}

/**
 * How long a read of the local networks is reused, in ms: interfaces change rarely (a network
 * switch is noticed within this), while a read costs ~40 µs and one DHT response maps up to 20 peers.
 */
export const LOCAL_NETWORKS_TTL_MS = 10_000

/** `read` (e.g. networksOf(os.networkInterfaces())) reused for `ttlMs` by the injected clock. */
export function cachedNetworks(
  read: () => readonly string[],
  now: () => number,
  ttlMs: number = LOCAL_NETWORKS_TTL_MS,
): () => readonly string[] {
  let value: readonly string[] = []
  let readAt = Number.NEGATIVE_INFINITY
  return () => {
    const t = now()
    if (t - readAt >= ttlMs) {
      value = read()
      readAt = t
    }
    return value
  }
}

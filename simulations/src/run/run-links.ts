/**
 * The network one run joins, by transport: on `memory`, one SimNetwork of shaped in-process links
 * whose partitions cut at the link level and which counts bytes per node; on `tcp`, loopback TCP,
 * each node on a loopback address of its own (see NodeLinks), with one connection gater per host
 * for partitions (bytes not measured).
 */
import type { Libp2p } from '@libp2p/interface'
import type { NodeLinks, SimRelay, SimUser } from '../harness.ts'
import { linkModelOf } from '../link-model.ts'
import { SimNetwork } from '../link-transport.ts'
import type { NodeTraffic } from '../metrics.ts'
import { type Faults, GaterFaults, LinkFaults } from '../network.ts'
import type { Scenario } from '../scenario.ts'

export interface RunLinks {
  /** The simulated network (memory transport), or null on TCP. */
  readonly network: SimNetwork | null
  /** Partition and heal, whichever the transport. */
  readonly faults: Faults
  /** How each node joins (given to every SimUser and SimRelay). */
  readonly nodeLinks: NodeLinks
  /** Called with every fresh libp2p host (TCP: tracked by its gater for partitions). */
  readonly onHost: (libp2p: Libp2p) => void
}

export function createRunLinks(scenario: Scenario, transport: Scenario['transport'], seed: number): RunLinks {
  if (transport === 'memory') {
    const network = new SimNetwork({ seed: `${seed}`, link: linkModelOf(scenario.network, `${seed}`) })
    return {
      network,
      faults: new LinkFaults(network),
      nodeLinks: { kind: 'memory', network },
      onHost: () => {},
    }
  }
  const gaterFaults = new GaterFaults()
  return {
    network: null,
    faults: gaterFaults,
    nodeLinks: { kind: 'loopback', gater: (self) => gaterFaults.gater(self) },
    onHost: (libp2p) => gaterFaults.attach(libp2p),
  }
}

/** Bytes per node so far from the memory network (null on TCP: not measured). */
export function trafficOf(
  links: RunLinks,
  users: readonly SimUser[],
  relays: readonly SimRelay[],
): NodeTraffic | null {
  if (links.network === null) return null
  const t = links.network.traffic()
  const of = (peerId: string) => t.get(peerId) ?? { sent: 0, received: 0 }
  return {
    users: users.map((u) => ({ node: u.index, ...of(u.peerId) })),
    relays: relays.map((r) => ({ node: r.index, ...of(r.peerId) })),
  }
}

/** What happened on the links between two readings of trafficOf, per node. */
export function trafficSince(now: NodeTraffic['users'], before: NodeTraffic['users']): NodeTraffic['users'] {
  return now.map((n, i) => ({
    node: n.node,
    sent: n.sent - (before[i]?.sent ?? 0),
    received: n.received - (before[i]?.received ?? 0),
  }))
}

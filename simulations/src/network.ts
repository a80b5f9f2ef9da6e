/**
 * Network faults for the in-process mode: partitions that split and heal, on either transport.
 *
 * - memory (default): the run's SimNetwork cuts the links itself (link-transport.ts): dials
 *   across the split fail, connections across it are aborted on both ends.
 * - tcp: every host gets a connection gater (NetworkOptions.connectionGater /
 *   StartRelayOptions.connectionGater) that refuses dials and connections across the split, and
 *   the connections that already cross it are closed when it starts.
 *
 * Either way the nodes see what a real split looks like (dials fail, open streams die) and run
 * their real retry logic. Link latency and loss are shaped by the memory transport's link model;
 * the tcp mode runs unshaped (the netns mode shapes real links with tc netem).
 */
import type { ConnectionGater, Libp2p, PeerId } from '@libp2p/interface'
import type { SimNetwork } from './link-transport.ts'

export interface Faults {
  readonly partitioned: boolean
  /** True when traffic between these two peers (peer id strings) is cut right now. */
  blocked(a: string, b: string): boolean
  /** Put these peers on the minority side and cut every connection that crosses the split. */
  split(minority: readonly string[]): Promise<void>
  heal(): void
}

/** Partitions at the link level of the memory transport. */
export class LinkFaults implements Faults {
  readonly #network: SimNetwork

  constructor(network: SimNetwork) {
    this.#network = network
  }

  get partitioned(): boolean {
    return this.#network.partitioned
  }

  blocked(a: string, b: string): boolean {
    return this.#network.blocked(a, b)
  }

  async split(minority: readonly string[]): Promise<void> {
    this.#network.split(minority)
  }

  heal(): void {
    this.#network.heal()
  }
}

/** Partitions on TCP loopback through each host's connection gater. */
export class GaterFaults implements Faults {
  /** peer ids on the minority side while a partition is active. */
  #minority: Set<string> | null = null
  readonly #hosts = new Set<Libp2p>()

  get partitioned(): boolean {
    return this.#minority !== null
  }

  blocked(a: string, b: string): boolean {
    if (this.#minority === null) return false
    return this.#minority.has(a) !== this.#minority.has(b)
  }

  /** The gater for the host with this peer id (pass it at every start). */
  gater(self: string): ConnectionGater {
    const deny = async (peer: PeerId) => this.blocked(self, peer.toString())
    return {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny,
      denyInboundUpgradedConnection: deny,
      denyOutboundUpgradedConnection: deny,
    }
  }

  /** Track a running host so a split can close its connections across the cut. */
  attach(libp2p: Libp2p): void {
    this.#hosts.add(libp2p)
    libp2p.addEventListener('stop', () => this.#hosts.delete(libp2p), { once: true })
  }

  async split(minority: readonly string[]): Promise<void> {
    this.#minority = new Set(minority)
    const closing: Promise<void>[] = []
    for (const host of this.#hosts) {
      const self = host.peerId.toString()
      for (const connection of host.getConnections()) {
        if (this.blocked(self, connection.remotePeer.toString()))
          closing.push(connection.close().catch(() => {}))
      }
    }
    await Promise.all(closing)
  }

  heal(): void {
    this.#minority = null
  }
}

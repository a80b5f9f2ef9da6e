/**
 * Network faults for the in-process mode: partitions that split and heal. Each host (user or
 * relay) gets a connection gater that refuses dials and connections across the split, and the
 * connections that already cross it are closed when it starts — the nodes see the same thing as
 * a real network split (dials fail, open streams die), with their real retry logic.
 *
 * The gater is installed on a running host by replacing the functions of the gater object the
 * libp2p components hold (libp2p reads them at every dial and upgrade). That reaches into
 * libp2p's components because the runtime offers no gater option yet (see simulations/NEEDS.md).
 * Link latency and loss are not shaped here: that is the netns mode's job (tc netem).
 */
import type { ConnectionGater, Libp2p, PeerId } from '@libp2p/interface'

interface WithComponents {
  components?: { connectionGater?: ConnectionGater }
}

export class FaultPlane {
  /** peerId → side while a partition is active (absent: majority side 0). */
  #side = new Map<string, number>()
  #active = false
  readonly #hosts = new Set<Libp2p>()

  get partitioned(): boolean {
    return this.#active
  }

  /** True when traffic between these two peers is cut right now. */
  blocked(a: string, b: string): boolean {
    if (!this.#active) return false
    return (this.#side.get(a) ?? 0) !== (this.#side.get(b) ?? 0)
  }

  /** Hook a (new) host into the plane; call at every start. Returns false if libp2p has no gater to hook. */
  install(libp2p: Libp2p): boolean {
    const gater = (libp2p as unknown as WithComponents).components?.connectionGater
    if (gater === undefined) return false
    const self = libp2p.peerId.toString()
    const deny = async (peer: PeerId) => this.blocked(self, peer.toString())
    gater.denyDialPeer = deny
    gater.denyInboundEncryptedConnection = deny
    gater.denyOutboundEncryptedConnection = deny
    gater.denyInboundUpgradedConnection = deny
    gater.denyOutboundUpgradedConnection = deny
    this.#hosts.add(libp2p)
    libp2p.addEventListener('stop', () => this.#hosts.delete(libp2p), { once: true })
    return true
  }

  /** Put these peers on the minority side and cut every connection that crosses the split. */
  async split(minority: readonly string[]): Promise<void> {
    this.#side = new Map(minority.map((p) => [p, 1]))
    this.#active = true
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
    this.#active = false
    this.#side = new Map()
  }
}

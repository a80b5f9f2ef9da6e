/**
 * Wren's in-process network for simulations: a libp2p 3 transport on `/memory/<name>` addresses
 * whose links have latency, jitter and loss (link-schedule.ts), count the bytes every host sends
 * and receives, and can be split and healed like a real network.
 *
 * One `SimNetwork` per run. `network.transport()` is the transport factory for one host (pass it
 * in libp2p's `transports`); the host is named by the listen address it asks for
 * (`/memory/u3`), and other hosts of the same network dial it there. Every connection is a pair
 * of in-process ends; a chunk written on one end reaches the other at the time the link's
 * schedule gives it, in order. Bytes are counted on the wire (noise and yamux framing included)
 * per local peer id: sent when written, received when delivered.
 *
 * Partitions: `split(minority)` puts those peers on the other side. Dials across the split fail
 * with ConnectionFailedError and every connection that crosses it is aborted on both ends with
 * data in flight dropped — what a node sees from a cut link, with its real retry logic.
 * `heal()` lets dials through again.
 */
import {
  type ComponentLogger,
  type Connection,
  ConnectionFailedError,
  type CreateListenerOptions,
  type DialTransportOptions,
  ListenError,
  type Listener,
  type ListenerEvents,
  type PeerId,
  serviceCapabilities,
  setMaxListeners,
  type Transport,
  TypedEventEmitter,
  transportSymbol,
  type Upgrader,
} from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { seededFloat } from '../../test/fixtures/seeded-random.ts'
import { Link, type LinkHost, SimEnd, type Traffic } from './link-connection.ts'
import { type LinkConditions, type LinkModel, PERFECT_LINK } from './link-schedule.ts'

export { SIM_CHUNK_BYTES, type Traffic } from './link-connection.ts'

const MEMORY_PROTOCOL = 'memory'

export interface SimNetworkInit {
  /** Seeds every per-direction random stream (jitter and loss samples). */
  seed: number | string
  /** Conditions per direction; a perfect link (no delay, no loss) by default. */
  link?: LinkModel
}

export interface SimTransportComponents {
  peerId: PeerId
  logger: ComponentLogger
}

interface Registration {
  readonly peerId: string
  readonly name: string
  readonly accept: (end: SimEnd) => void
}

function memoryName(ma: Multiaddr): string | undefined {
  const first = ma.getComponents()[0]
  return first?.name === MEMORY_PROTOCOL ? first.value : undefined
}

/** Resolves after `at` (the performance.now() clock the pipes use), or rejects when the signal aborts. */
function until(at: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted()
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, at - performance.now()),
    )
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

class SimListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  readonly #network: SimNetwork
  readonly #transport: SimTransport
  readonly #upgrader: Upgrader
  readonly #shutdown = new AbortController()
  #registration: Registration | null = null

  constructor(network: SimNetwork, transport: SimTransport, options: CreateListenerOptions) {
    super()
    this.#network = network
    this.#transport = transport
    this.#upgrader = options.upgrader
    setMaxListeners(Number.POSITIVE_INFINITY, this.#shutdown.signal)
  }

  async listen(ma: Multiaddr): Promise<void> {
    const name = memoryName(ma)
    if (name === undefined || name === '') throw new ListenError(`not a /memory/<name> address: ${ma}`)
    const registration: Registration = {
      peerId: this.#transport.peerId,
      name,
      accept: (end) => {
        this.#upgrader.upgradeInbound(end, { signal: this.#shutdown.signal }).catch((error: unknown) => {
          end.abort(error as Error)
        })
      },
    }
    this.#network.register(registration)
    this.#registration = registration
    queueMicrotask(() => this.safeDispatchEvent('listening'))
  }

  getAddrs(): Multiaddr[] {
    return this.#registration === null ? [] : [multiaddr(`/memory/${this.#registration.name}`)]
  }

  get name(): string | undefined {
    return this.#registration?.name
  }

  updateAnnounceAddrs(): void {}

  async close(): Promise<void> {
    if (this.#registration !== null) this.#network.unregister(this.#registration)
    this.#registration = null
    this.#shutdown.abort()
    queueMicrotask(() => this.safeDispatchEvent('close'))
  }
}

class SimTransport implements Transport {
  readonly [transportSymbol] = true as const
  readonly [Symbol.toStringTag] = '@wren/sim-link'
  readonly [serviceCapabilities] = ['@libp2p/transport']
  readonly #network: SimNetwork
  readonly #components: SimTransportComponents
  readonly #listeners = new Set<SimListener>()

  constructor(network: SimNetwork, components: SimTransportComponents) {
    this.#network = network
    this.#components = components
  }

  get peerId(): string {
    return this.#components.peerId.toString()
  }

  async dial(ma: Multiaddr, options: DialTransportOptions): Promise<Connection> {
    options.signal.throwIfAborted()
    const name = memoryName(ma)
    const target = name === undefined ? undefined : this.#network.lookup(name)
    if (target === undefined) throw new ConnectionFailedError(`no simulated host listens at ${ma}`)
    const self = this.peerId
    if (this.#network.blocked(self, target.peerId))
      throw new ConnectionFailedError(`simulated partition: ${ma} is unreachable`)
    let ownName: string | undefined
    for (const listener of this.#listeners) ownName ??= listener.name
    const logger = this.#components.logger
    const link = this.#network.connect([self, target.peerId], (l) => [
      new SimEnd({
        network: this.#network,
        link: l,
        side: 0,
        remoteAddr: multiaddr(`/memory/${target.name}`),
        direction: 'outbound',
        logger,
      }),
      new SimEnd({
        network: this.#network,
        link: l,
        side: 1,
        remoteAddr: multiaddr(`/memory/${ownName ?? `${self}-dialer`}`),
        direction: 'inbound',
        logger,
      }),
    ])
    const [outbound, inbound] = link.ends
    try {
      // the handshake costs a round trip on the link (SYN there, SYN-ACK back), losses included
      const syn = link.send(this.#network, 0, () => {})
      await until(syn, options.signal)
      if (link.cut || this.#network.lookup(target.name) !== target)
        throw new ConnectionFailedError(`simulated link to ${ma} went down while connecting`)
      target.accept(inbound)
      const synAck = link.send(this.#network, 1, () => {})
      await until(synAck, options.signal)
      if (link.cut) throw new ConnectionFailedError(`simulated link to ${ma} went down while connecting`)
      return await options.upgrader.upgradeOutbound(outbound, { ...options })
    } catch (error) {
      outbound.abort(error as Error)
      inbound.abort(error as Error)
      throw error
    }
  }

  createListener(options: CreateListenerOptions): Listener {
    const listener = new SimListener(this.#network, this, options)
    this.#listeners.add(listener)
    listener.addEventListener('close', () => this.#listeners.delete(listener), { once: true })
    return listener
  }

  listenFilter = (addrs: Multiaddr[]): Multiaddr[] => addrs.filter((a) => memoryName(a) !== undefined)

  dialFilter = (addrs: Multiaddr[]): Multiaddr[] => addrs.filter((a) => memoryName(a) !== undefined)
}

export class SimNetwork implements LinkHost {
  readonly #seed: number | string
  readonly #link: LinkModel
  readonly #names = new Map<string, Registration>()
  readonly #links = new Set<Link>()
  readonly #traffic = new Map<string, Traffic>()
  /** Connections made so far per ordered peer pair: each gets its own random streams. */
  readonly #pairCount = new Map<string, number>()
  #minority: Set<string> | null = null

  constructor(init: SimNetworkInit) {
    this.#seed = init.seed
    this.#link = init.link ?? (() => PERFECT_LINK)
  }

  /** The transport factory for one host: `createLibp2p({ transports: [network.transport()] })`. */
  transport(): (components: SimTransportComponents) => Transport {
    return (components) => new SimTransport(this, components)
  }

  // ---- traffic

  bytesSent(peerId: string): number {
    return this.#traffic.get(peerId)?.sent ?? 0
  }

  bytesReceived(peerId: string): number {
    return this.#traffic.get(peerId)?.received ?? 0
  }

  /** A copy of the counters: peer id → bytes sent and received since the network was made. */
  traffic(): Map<string, Traffic> {
    return new Map([...this.#traffic].map(([peer, t]) => [peer, { ...t }]))
  }

  /** Connections open now (both ends still in the network). */
  get openLinks(): number {
    return this.#links.size
  }

  // ---- partitions

  get partitioned(): boolean {
    return this.#minority !== null
  }

  /** True when traffic between these two peers is cut right now. */
  blocked(a: string, b: string): boolean {
    if (this.#minority === null) return false
    return this.#minority.has(a) !== this.#minority.has(b)
  }

  /** Put these peers on the minority side: refuse dials across, abort every connection across. */
  split(minority: Iterable<string>): void {
    this.#minority = new Set(minority)
    for (const link of [...this.#links]) {
      if (this.blocked(link.peers[0], link.peers[1])) {
        link.sever(new ConnectionFailedError('simulated partition cut the link'))
        this.#links.delete(link)
      }
    }
  }

  heal(): void {
    this.#minority = null
  }

  // ---- used by the transport

  /** @internal */
  conditions(from: string, to: string): LinkConditions {
    return this.#link(from, to)
  }

  /** @internal a seeded stream per ordered pair and connection ordinal */
  random(from: string, to: string): () => number {
    const key = `${from}>${to}`
    const n = this.#pairCount.get(key) ?? 0
    this.#pairCount.set(key, n + 1)
    return seededFloat(`sim-link:${this.#seed}:${key}:${n}`)
  }

  /** @internal */
  count(peerId: string, what: keyof Traffic, bytes: number): void {
    let t = this.#traffic.get(peerId)
    if (t === undefined) {
      t = { sent: 0, received: 0 }
      this.#traffic.set(peerId, t)
    }
    t[what] += bytes
  }

  /** @internal */
  register(registration: Registration): void {
    const existing = this.#names.get(registration.name)
    if (existing !== undefined)
      throw new ListenError(`/memory/${registration.name} is already in use by ${existing.peerId}`)
    this.#names.set(registration.name, registration)
  }

  /** @internal */
  unregister(registration: Registration): void {
    if (this.#names.get(registration.name) === registration) this.#names.delete(registration.name)
  }

  /** @internal */
  lookup(name: string): Registration | undefined {
    return this.#names.get(name)
  }

  /** @internal */
  connect(peers: [string, string], ends: (link: Link) => [SimEnd, SimEnd]): Link {
    const link = new Link(this, peers, ends)
    this.#links.add(link)
    let open = 2
    for (const end of link.ends) {
      end.addEventListener(
        'close',
        () => {
          if (--open === 0) this.#links.delete(link)
        },
        { once: true },
      )
    }
    return link
  }
}

/**
 * One simulated connection between two hosts (link-transport.ts): its two ends as libp2p
 * MultiaddrConnections, one delivery pipe per direction timed by link-schedule.ts, and the cut
 * that a partition applies (everything in flight dropped, both ends aborted).
 */
import type { ComponentLogger } from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Uint8ArrayList } from 'uint8arraylist'
import { DirectionSchedule, type LinkConditions } from './link-schedule.ts'

/** Largest chunk handed to the link at once: a big write is split so loss hits part of it, as with segments. */
export const SIM_CHUNK_BYTES = 64 * 1024
/** A timer may fire up to this much early (ms granularity); chunks due within it are delivered. */
const TIMER_SLACK_MS = 1

export interface Traffic {
  sent: number
  received: number
}

/** What a connection needs from its network: link conditions, random streams, byte counters. */
export interface LinkHost {
  conditions(from: string, to: string): LinkConditions
  /** A fresh seeded stream of floats in [0, 1) for the direction from → to of a new connection. */
  random(from: string, to: string): () => number
  count(peerId: string, what: keyof Traffic, bytes: number): void
}

const now = () => performance.now()

/** One direction of one connection: chunks queued in arrival order, delivered by one timer. */
export class Pipe {
  readonly schedule: DirectionSchedule
  readonly #queue: Array<{ at: number; deliver: () => void }> = []
  #armed = false
  #cut = false

  constructor(random: () => number) {
    this.schedule = new DirectionSchedule(random)
  }

  push(link: LinkConditions, deliver: () => void): number {
    if (this.#cut) return now()
    const { at } = this.schedule.arrival(now(), link)
    this.#queue.push({ at, deliver })
    this.#arm()
    return at
  }

  /** Drop everything in flight and deliver nothing more. */
  cut(): void {
    this.#cut = true
    this.#queue.length = 0
  }

  #arm(): void {
    const head = this.#queue[0]
    if (this.#armed || head === undefined) return
    this.#armed = true
    const fire = () => {
      this.#armed = false
      this.#flush()
    }
    const wait = head.at - now()
    if (wait <= 0) setImmediate(fire)
    else setTimeout(fire, wait)
  }

  #flush(): void {
    const t = now() + TIMER_SLACK_MS
    while (!this.#cut) {
      const head = this.#queue[0]
      if (head === undefined || head.at > t) break
      this.#queue.shift()
      head.deliver()
    }
    this.#arm()
  }
}

/** A connection between two hosts: both ends, both directions, and whether it was cut. */
export class Link {
  readonly ends: [SimEnd, SimEnd]
  readonly pipes: [Pipe, Pipe]
  readonly peers: [string, string]
  cut = false

  constructor(network: LinkHost, peers: [string, string], ends: (link: Link) => [SimEnd, SimEnd]) {
    this.peers = peers
    this.pipes = [new Pipe(network.random(peers[0], peers[1])), new Pipe(network.random(peers[1], peers[0]))]
    this.ends = ends(this)
  }

  /** Schedule `deliver` at the far end of `side`'s direction; returns the arrival time. */
  send(network: LinkHost, side: 0 | 1, deliver: (far: SimEnd) => void): number {
    const far = this.ends[side === 0 ? 1 : 0]
    const conditions = network.conditions(this.peers[side], this.peers[side === 0 ? 1 : 0])
    return (this.pipes[side] as Pipe).push(conditions, () => deliver(far))
  }

  sever(error: Error): void {
    if (this.cut) return
    this.cut = true
    for (const pipe of this.pipes) pipe.cut()
    for (const end of this.ends) end.abort(error)
  }
}

export interface SimEndInit {
  network: LinkHost
  link: Link
  side: 0 | 1
  remoteAddr: Multiaddr
  direction: 'inbound' | 'outbound'
  logger: ComponentLogger
}

/** One end of a simulated connection, as libp2p's upgrader sees it. */
export class SimEnd extends AbstractMultiaddrConnection {
  readonly #network: LinkHost
  readonly #link: Link
  readonly #side: 0 | 1

  constructor(init: SimEndInit) {
    super({
      remoteAddr: init.remoteAddr,
      direction: init.direction,
      log: init.logger.forComponent(`wren:sim:link:${init.direction}`),
      maxMessageSize: SIM_CHUNK_BYTES,
    })
    this.#network = init.network
    this.#link = init.link
    this.#side = init.side
  }

  get #self(): string {
    return this.#link.peers[this.#side]
  }

  sendData(data: Uint8ArrayList): { sentBytes: number; canSendMore: boolean } {
    const bytes = data.subarray()
    const size = bytes.byteLength
    if (this.#link.cut) return { sentBytes: size, canSendMore: true }
    this.#network.count(this.#self, 'sent', size)
    const receiver = this.#link.peers[this.#side === 0 ? 1 : 0]
    this.#link.send(this.#network, this.#side, (far) => {
      if (far.status !== 'open') return
      this.#network.count(receiver, 'received', size)
      far.onData(bytes)
    })
    return { sentBytes: size, canSendMore: true }
  }

  sendReset(): void {
    this.#link.send(this.#network, this.#side, (far) => {
      if (far.status === 'open' || far.status === 'closing') far.onRemoteReset()
    })
  }

  async sendClose(): Promise<void> {
    // a FIN after the data: the far end sees the connection end once everything before it arrived
    this.#link.send(this.#network, this.#side, (far) => {
      if (far.status === 'open' || far.status === 'closing') far.onTransportClosed()
    })
  }

  sendPause(): void {
    // no read backpressure on simulated links (as in @libp2p/memory)
  }

  sendResume(): void {}
}

/**
 * In-process simulated users and relays built from the real code: each user is a real profile
 * (keystore + sealed LevelDB store in a temp dir, opened through ProfileSession with a cheap KDF)
 * running the real runtime (libp2p host, DHT rules, bundle publisher, prekeys, Messenger); each
 * relay is a real relay-node (circuit relay, DHT server, mailbox on LevelDB). Going offline stops
 * the runtime or relay; coming back starts it again on the same address with the same data.
 *
 * Every node joins the run's network one of three ways (`NodeLinks`): on the memory transport
 * (link-transport.ts: `/memory/u<i>`, `/memory/relay<i>`, shaped links, byte counts), on TCP with
 * a loopback address of its own (the in-process TCP mode), or on TCP at a given address with the
 * full production stack (the netns mode: one node per process and namespace).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { ConnectionGater, Libp2p } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import type { CryptoSuite } from '../../core/src/crypto/suite.ts'
import { generateIdentityKeyPair } from '../../core/src/identity.ts'
import type { HostContext, NetworkStatus } from '../../node/src/app/host-context.ts'
import { type NetworkOptions, type Runtime, startRuntime } from '../../node/src/app/runtime.ts'
import { silentLogger } from '../../node/src/log.ts'
import { openProfile } from '../../node/src/profile/profile.ts'
import { IDENTITY_RECORD_KEY, type IdentityRecord } from '../../node/src/profile/records.ts'
import { ProfileSession } from '../../node/src/profile/session.ts'
import type { EventName, EventPayload } from '../../node/src/rpc/api.ts'
import type { KdfParams, KeystoreSecrets } from '../../node/src/storage/keystore.ts'
import { STORAGE_KEY_BYTES } from '../../node/src/storage/sealed-store.ts'
import { loadRelayConfig } from '../../relay-node/src/config.ts'
import { loadOrCreateIdentityKey } from '../../relay-node/src/identity-key.ts'
import { type RelayHandle, startRelay } from '../../relay-node/src/relay-host.ts'
import type { SimNetwork } from './link-transport.ts'

/** Argon2id at its floor: simulated profiles are throw-away, and 200 full-cost unlocks take minutes. */
export const SIM_KDF: KdfParams = Object.freeze({ memoryKiB: 8, passes: 1, parallelism: 1 })
const SIM_PASSPHRASE = 'simulation profile (throw-away)'

/**
 * How a node joins the run's network: the memory transport of the run's SimNetwork; `loopback`,
 * TCP on a loopback address of the node's own (loopbackAddressOf) that its dials leave from too;
 * or `tcp` on `host` with the production transports, autonat and mDNS (a node alone in its
 * namespace). Both TCP kinds take an optional connection gater per host (its own peer id → gater).
 *
 * Why `loopback` gives each node its own address: libp2p and gossipsub treat one IP as one
 * machine (at most 5 inbound connections per second per IP, and gossipsub scores peers down past
 * 10 on one IP until it ignores them). Dozens of users of one run all on 127.0.0.1 would look
 * like one crowded NAT, not like the separate devices they model. Only TCP is run there: the
 * host then skips autonat, dcutr and mDNS (each node would read every other's multicast, a cost
 * quadratic in users), which the netns mode keeps.
 */
export type NodeLinks =
  | { kind: 'memory'; network: SimNetwork }
  | { kind: 'loopback'; gater?: (self: string) => ConnectionGater }
  | { kind: 'tcp'; host: string; gater?: (self: string) => ConnectionGater }

const LOOPBACK = '127.0.0.1'
/** Nodes per /24 of 127.<role>.x.0 (host numbers 1–250 of each). */
const LOOPBACK_HOSTS_PER_BLOCK = 250

/** The own loopback address of user or relay `index` in `loopback` links: 127.1.x.y or 127.2.x.y. */
export function loopbackAddressOf(role: 'user' | 'relay', index: number): string {
  const block = Math.floor(index / LOOPBACK_HOSTS_PER_BLOCK)
  return `127.${role === 'user' ? 1 : 2}.${block}.${(index % LOOPBACK_HOSTS_PER_BLOCK) + 1}`
}

/** TCP whose outgoing connections leave from `address` (net.connect's localAddress). */
function tcpFrom(address: string) {
  // @libp2p/tcp hands dialOpts to net.connect as they are; its type lists only a few of them
  return tcp({ dialOpts: { localAddress: address } as TCPSocketOptions })
}

/** The listen multiaddr and transports of a node in `loopback` or `tcp` links. */
function tcpListen(links: NodeLinks, address: string, port: number) {
  const listen = [`/ip4/${address}/tcp/${port}`]
  return links.kind === 'loopback' ? { listen, transports: [tcpFrom(address)] } : { listen }
}

export type EventSink = <E extends EventName>(user: number, event: E, payload: EventPayload<E>) => void

export interface SimUserInit {
  index: number
  suite: CryptoSuite
  root: string
  bootstrap: () => string[]
  retry: { baseMs: number; maxMs: number }
  /** Relay mailboxes (k on the run's relays), or null to run without them. */
  mailboxes: { relays: () => string[]; count: number; fetchIntervalMs: number } | null
  onEvent: EventSink
  /** Called with every fresh libp2p host (at each start), e.g. to track it for partitions. */
  onHost: (libp2p: Libp2p) => void
  /** The network to join; default TCP on `host`. */
  links?: NodeLinks
  /** TCP address to listen on when `links` is not given (default 127.0.0.1; netns gives each node its own). */
  host?: string
}

function tcpPort(addrs: readonly { toString(): string }[]): number {
  for (const addr of addrs) {
    const match = /\/tcp\/(\d+)(?:\/p2p\/|$)/.exec(addr.toString())
    if (match !== null) return Number(match[1])
  }
  return 0
}

export class SimUser {
  readonly index: number
  readonly #init: SimUserInit
  readonly #links: NodeLinks
  #session: ProfileSession | null = null
  #runtime: Runtime | null = null
  #transition: Promise<void> = Promise.resolve()
  #port = 0
  #card = ''
  #peerId = ''
  #status: (() => NetworkStatus) | null = null

  private constructor(init: SimUserInit) {
    this.index = init.index
    this.#init = init
    this.#links = init.links ?? { kind: 'tcp', host: init.host ?? LOOPBACK }
  }

  static async create(init: SimUserInit): Promise<SimUser> {
    const user = new SimUser(init)
    const paths = await openProfile({ home: init.root, profile: `u${init.index}` })
    const session = await ProfileSession.open(paths, SIM_KDF)
    user.#session = session
    const identity = generateIdentityKeyPair(init.suite)
    const libp2pKey = await generateKeyPair('Ed25519')
    user.#peerId = peerIdFromPrivateKey(libp2pKey).toString()
    const secrets: KeystoreSecrets = {
      identitySeed: identity.secretKey,
      deviceKeySeed: init.suite.ed25519Generate().secretKey,
      libp2pPrivateKey: privateKeyToProtobuf(libp2pKey),
      storageKey: init.suite.randomBytes(STORAGE_KEY_BYTES),
      prekeys: [],
    }
    const record: IdentityRecord = { displayName: `user ${init.index}`, createdAt: Date.now() }
    await session.create(SIM_PASSPHRASE, secrets, (store) => store.put(IDENTITY_RECORD_KEY, record))
    await user.start()
    return user
  }

  get runtime(): Runtime | null {
    return this.#runtime
  }
  get online(): boolean {
    return this.#runtime !== null
  }
  get peerId(): string {
    return this.#peerId
  }
  /** Mailboxes the running node holds now (its network status), null when offline. */
  get mailboxes(): number | null {
    return this.#status?.()?.mailboxes ?? null
  }
  /** The contact card made at first start (the address stays the same across restarts). */
  get card(): string {
    return this.#card
  }

  #context(session: ProfileSession): HostContext {
    const index = this.index
    const onEvent = this.#init.onEvent
    const hooks: Array<() => Promise<void> | void> = []
    return {
      paths: session.paths,
      session,
      suite: this.#init.suite,
      log: silentLogger,
      version: 'simulation',
      startedAt: Date.now(),
      notify: (event, payload) => onEvent(index, event, payload),
      setNetworkStatus: (source) => {
        this.#status = source
      },
      networkStatus: () => this.#status?.() ?? null,
      onStop: (hook) => {
        hooks.push(hook)
      },
    }
  }

  /** Serialise start/stop of one user (churn events may overlap a slow start). */
  #serial(fn: () => Promise<void>): Promise<void> {
    const next = this.#transition.then(fn, fn)
    this.#transition = next.catch(() => {})
    return next
  }

  start(): Promise<void> {
    return this.#serial(async () => {
      if (this.#runtime !== null || this.#session === null) return
      const profile = this.#session.requireUnlocked()
      const mailboxes = this.#init.mailboxes
      // the candidate list is rotated by user index so the k mailboxes spread over every relay
      const candidates = mailboxes === null ? [] : mailboxes.relays()
      const shift = candidates.length === 0 ? 0 : this.index % candidates.length
      const relays = [...candidates.slice(shift), ...candidates.slice(0, shift)]
      const links = this.#links
      const gater = links.kind !== 'memory' ? links.gater?.(this.#peerId) : undefined
      const options: NetworkOptions = {
        // the runtime dials the mailbox relays like bootstrap peers: no need to list them twice
        bootstrap: this.#init.bootstrap().filter((a) => !relays.includes(a)),
        ...(links.kind === 'memory'
          ? { listen: [`/memory/u${this.index}`], transports: [links.network.transport()] }
          : tcpListen(links, this.#address(), this.#port)),
        ...(gater === undefined ? {} : { connectionGater: gater }),
        // in-process links have no public address for autonat to confirm: serve the WAN DHT
        // (memory addresses count as public; loopback and netns runs use the LAN DHT)
        ...(links.kind === 'memory' ? { dhtClientMode: false } : {}),
        // hundreds of hosts share this event loop: no per-connection ping / keep-alive timers
        crowd: true,
        retryBaseMs: this.#init.retry.baseMs,
        retryMaxMs: this.#init.retry.maxMs,
        ...(mailboxes === null || relays.length === 0
          ? {}
          : { relays, mailboxCount: mailboxes.count, mailboxFetchIntervalMs: mailboxes.fetchIntervalMs }),
      }
      const runtime = await startRuntime(this.#context(this.#session), profile, options)
      this.#init.onHost(runtime.libp2p)
      this.#port = tcpPort(runtime.libp2p.getMultiaddrs())
      this.#peerId = runtime.libp2p.peerId.toString()
      if (this.#card === '') this.#card = runtime.card()
      this.#runtime = runtime
    })
  }

  /** The node's TCP address (unused on the memory transport). */
  #address(): string {
    const links = this.#links
    return links.kind === 'tcp' ? links.host : loopbackAddressOf('user', this.index)
  }

  stop(): Promise<void> {
    return this.#serial(async () => {
      const runtime = this.#runtime
      this.#runtime = null
      await runtime?.stop()
    })
  }

  /** Stop for good: runtime, then the profile's store. */
  async close(): Promise<void> {
    await this.stop()
    await this.#session?.close()
    this.#session = null
  }
}

/** Relays of a run log errors only (their log lines are dropped: nobody reads them). */
const RELAY_LOG_LEVEL = 'error'

export class SimRelay {
  readonly index: number
  readonly dataDir: string
  #handle: RelayHandle | null = null
  #port = 0
  #peerId = ''
  readonly #bootstrap: () => string[]
  readonly #onHost: (libp2p: Libp2p) => void
  readonly #links: NodeLinks
  #transition: Promise<void> = Promise.resolve()

  private constructor(
    index: number,
    dataDir: string,
    bootstrap: () => string[],
    onHost: (l: Libp2p) => void,
    links: NodeLinks,
  ) {
    this.index = index
    this.dataDir = dataDir
    this.#bootstrap = bootstrap
    this.#onHost = onHost
    this.#links = links
  }

  /** `links` is the network to join, or a TCP host address (netns), default 127.0.0.1. */
  static async create(
    index: number,
    root: string,
    bootstrap: () => string[],
    onHost: (libp2p: Libp2p) => void,
    links: NodeLinks | string = LOOPBACK,
  ): Promise<SimRelay> {
    const relay = new SimRelay(
      index,
      join(root, `relay${index}`),
      bootstrap,
      onHost,
      typeof links === 'string' ? { kind: 'tcp', host: links } : links,
    )
    // the relay keeps its key in its data dir: made here so the peer id is known before the start
    relay.#peerId = peerIdFromPrivateKey(await loadOrCreateIdentityKey(relay.dataDir)).toString()
    await relay.start()
    return relay
  }

  get online(): boolean {
    return this.#handle !== null
  }
  get peerId(): string {
    return this.#peerId
  }
  get libp2p(): Libp2p | undefined {
    return this.#handle?.libp2p
  }
  get metricsUrl(): string | undefined {
    return this.#handle?.metricsUrl
  }
  /** Dialable address with /p2p/<id> (stable across restarts: same address, same key). */
  get addr(): string {
    return this.#links.kind === 'memory'
      ? `/memory/relay${this.index}/p2p/${this.#peerId}`
      : `/ip4/${this.#address()}/tcp/${this.#port}/p2p/${this.#peerId}`
  }

  /** The relay's TCP address (unused on the memory transport). */
  #address(): string {
    const links = this.#links
    return links.kind === 'tcp' ? links.host : loopbackAddressOf('relay', this.index)
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const next = this.#transition.then(fn, fn)
    this.#transition = next.catch(() => {})
    return next
  }

  start(): Promise<void> {
    return this.#serial(async () => {
      if (this.#handle !== null) return
      const links = this.#links
      const config = loadRelayConfig({
        overrides: {
          dataDir: this.dataDir,
          listen: {
            host: links.kind === 'memory' ? LOOPBACK : this.#address(),
            tcpPort: this.#port,
            wsPort: -1,
          },
          bootstrap: this.#bootstrap(),
          // scraped at the end of the run for mailbox load (an HTTP port on 127.0.0.1 in both modes)
          metrics: { enabled: true, port: 0 },
          dht: { provide: false },
          logLevel: RELAY_LOG_LEVEL,
        },
      })
      const gater = links.kind !== 'memory' ? links.gater?.(this.#peerId) : undefined
      const handle = await startRelay(config, {
        logSink: () => {},
        crowd: true,
        ...(links.kind === 'memory'
          ? { transports: [links.network.transport()], listen: [`/memory/relay${this.index}`] }
          : links.kind === 'loopback'
            ? tcpListen(links, this.#address(), this.#port)
            : {}),
        ...(gater === undefined ? {} : { connectionGater: gater }),
      })
      this.#onHost(handle.libp2p)
      if (links.kind !== 'memory') this.#port = tcpPort(handle.multiaddrs())
      this.#peerId = handle.peerId.toString()
      this.#handle = handle
    })
  }

  stop(): Promise<void> {
    return this.#serial(async () => {
      const handle = this.#handle
      this.#handle = null
      await handle?.stop()
    })
  }
}

/** A temp root for one run's profiles and relay data (0700 by mkdtemp). */
export function makeRunRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'wren-sim-'))
}

export function removeRunRoot(root: string): Promise<void> {
  return rm(root, { recursive: true, force: true })
}

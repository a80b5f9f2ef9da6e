/**
 * The libp2p host of a user's node: TCP, WebSockets and circuit-relay transports, noise,
 * yamux, identify, ping, a private kad-dht, autonat, dcutr, mDNS, a bootstrap dialer and a
 * connection log (`DEBUG=wren:p2p:connections`).
 *
 * One configuration for users, tests, the demo and the benchmarks. Two DHTs run side by side
 * (the pattern IPFS uses): the WAN DHT (`dht`, WREN_KAD_PROTOCOL) keeps only public addresses in
 * its routing table, the LAN DHT (`lanDht`, WREN_LAN_KAD_PROTOCOL) keeps only loopback ones and
 * private ones inside the networks this host is attached to, and is always a server, so two
 * daemons on one machine or one home network find each other's bundles without any public peer.
 * mDNS is on. Every served protocol has per-peer limits (peer-guard.ts: a peer over them is
 * disconnected and refused for a while); libp2p's connection limits, rate limits and gossipsub
 * scoring are its production ones.
 *
 * In-process simulations replace the transports (`transports`, e.g. `@libp2p/memory` wrapped in a
 * link shaper) and cut links with their own `connectionGater`; see `WrenHostInit`.
 */

import { networkInterfaces } from 'node:os'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { type Identify, identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PrivateKey, ServiceMap } from '@libp2p/interface'
import { type KadDHT, kadDHT, type Selectors, type Validators } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { MemoryDatastore } from 'datastore-core'
import type { Datastore } from 'interface-datastore'
import { createLibp2p, type Libp2pOptions, type ServiceFactoryMap } from 'libp2p'
import { cachedNetworks, dhtPeerMapper, networksOf } from '../../../core/src/dht-peer-mapper.ts'
import { guardRecordDatastore } from '../../../core/src/record-guard-datastore.ts'
import { bootstrapDialer } from './bootstrap.ts'
import { connectionLog } from './connection-log.ts'
import { CONNECTION_PING_INTERVAL_MS, WREN_KAD_PROTOCOL, WREN_LAN_KAD_PROTOCOL } from './constants.ts'
import { HostConfigError } from './errors.ts'
import { PeerGuard } from './peer-guard.ts'

/**
 * Production listen addresses: every interface, OS-chosen ports, relay reservations. No WebRTC:
 * between two home NATs with no STUN server, DCUtR picked the `/p2p-circuit/webrtc` address as a
 * "public" one, and a WebRTC connection whose ICE never completed was registered all the same —
 * unlimited, so preferred over the working circuit, it swallowed the messages and receipts sent
 * on it (scenario c, test/network-nat.test.ts). Direct connections come from DCUtR over TCP.
 */
export const DEFAULT_LISTEN: readonly string[] = Object.freeze([
  '/ip4/0.0.0.0/tcp/0',
  '/ip4/0.0.0.0/tcp/0/ws',
  '/ip6/::/tcp/0',
  '/p2p-circuit',
])

/**
 * Peers one IP address may hold in gossipsub before its colocation penalty starts. gossipsub's
 * default (10) counts the address of the connection, which for a relayed connection is the
 * relay's: more than ~12 group members reached through one relay (or behind one carrier-grade
 * NAT) were graylisted, their subscriptions and posts dropped, and the group fell back to
 * pairwise copies after GOSSIP_ACK_TIMEOUT_MS. 128 covers a relay's share of a large group and
 * still penalises a crowd of identities on one address.
 */
export const GOSSIP_PEERS_PER_IP = 128

/** This host's own interface addresses (other daemons on the machine connect from them). */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))
}

/** One libp2p transport factory, as `createLibp2p({ transports })` takes them. */
export type WrenTransport = NonNullable<Libp2pOptions['transports']>[number]

export interface WrenServices extends ServiceMap {
  identify: Identify
  ping: Ping
  /** The WAN DHT: public addresses only; server mode once autonat confirms a public address. */
  dht: KadDHT
  /** The LAN DHT: private and loopback addresses only; always a server. */
  lanDht: KadDHT
  /** Absent when `transports` is overridden (in-process: nothing to probe, see createWrenHost). */
  autonat?: unknown
  /** Absent when `transports` is overridden (in-process: no NAT to punch through). */
  dcutr?: unknown
  bootstrap: unknown
  connectionLog: unknown
  /** Group topics (node/src/groups): StrictNoSign, payloads carry their own nonce and signature. */
  pubsub: GossipSub
  /** Per-peer limits on every served protocol; refuses peers over them (peer-guard.ts). */
  peerGuard: PeerGuard
}

export interface WrenHostInit<E extends ServiceMap = Record<never, never>> {
  /** The device's libp2p key (its PeerId); kept in the profile keystore. */
  privateKey: PrivateKey
  /**
   * Listen multiaddrs; defaults to DEFAULT_LISTEN. Required
   * with `transports` (the defaults are TCP/WS addresses the override cannot listen on).
   */
  listen?: string[]
  /** Multiaddrs (with /p2p/<id>) dialled at start and whenever every connection is lost. */
  bootstrap?: string[]
  dht?: {
    /**
     * The WAN DHT's mode. true: client only; false: server; undefined: automatic (server once
     * publicly dialable). The LAN DHT is always a server.
     */
    clientMode?: boolean
  }
  /**
   * Local-network discovery by mDNS (default on). A user may turn it off (it announces the
   * device's PeerId to everyone on the network); in-process hosts never run it.
   */
  mdns?: boolean
  /** Validators and selectors for our DHT namespaces, e.g. `wrenRecordRules(...)`. */
  records?: { validators: Validators; selectors: Selectors }
  /** Backing store for DHT records and the peer store; in-memory by default. */
  datastore?: Datastore
  /** More services (name → factory), started and stopped with the node. */
  extraServices?: ServiceFactoryMap<E>
  /**
   * Replaces the default transport list (TCP, WebSockets, circuit relay) entirely: for
   * in-process simulations, e.g. `[memory()]` or a wrapping transport that shapes each link.
   * (`circuitRelayTransport()` with a relay known only by a `/memory/...` address crashes
   * libp2p 3.3's address manager when the reservation lands: relayed paths need IP-shaped relay
   * addresses; see simulations/NEEDS.md.) Needs an explicit `listen` list.
   * With an override, autonat, dcutr and mDNS are not started: they probe, hole-punch and
   * multicast on real networks only, and on hundreds of nodes in one process they would just
   * burn idle CPU. Usually combined with `dht.clientMode: false` (nothing confirms a public
   * address in-process, so the WAN DHT would otherwise stay a client).
   */
  transports?: WrenTransport[]
  /**
   * libp2p's connection gater (deny dials and connections per peer or address). On Node
   * libp2p's default gater allows everything, including private and loopback addresses; the
   * peer guard refuses peers over their limits first, then this one decides; simulations use it
   * to cut links.
   */
  connectionGater?: ConnectionGater
  /**
   * One of hundreds of hosts in one process (simulations): no connection-monitor ping every 10 s
   * and no yamux keep-alive every 30 s on each connection. In-process hosts end up connected to
   * most others, and these per-connection timers, not messaging, then keep the event loop busy.
   * (No connection cap: libp2p refuses inbound connections over the cap, and it cannot prune
   * connections that carry a gossipsub stream, so a cap would only refuse deliveries.)
   */
  crowd?: boolean
}

export async function createWrenHost<E extends ServiceMap = Record<never, never>>(
  init: WrenHostInit<E>,
): Promise<Libp2p<WrenServices & E>> {
  const inProcess = init.transports !== undefined
  if (inProcess && init.listen === undefined) {
    throw new HostConfigError('a transports override needs an explicit listen list (e.g. /memory/<name>)')
  }
  const webrtc = (init.listen ?? []).find((a) => a.split('/').includes('webrtc'))
  if (webrtc !== undefined) {
    throw new HostConfigError(
      `cannot listen on ${webrtc}: Wren does not use the WebRTC transport (see DEFAULT_LISTEN); direct connections come from DCUtR over TCP`,
    )
  }
  const validators = init.records?.validators ?? {}
  const selectors = init.records?.selectors ?? {}
  const datastore = guardRecordDatastore(init.datastore ?? new MemoryDatastore(), selectors)

  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (!inProcess && init.mdns !== false) peerDiscovery.push(mdns())

  let guardLog: ((peer: string, protocol: string) => void) | undefined
  const guard = new PeerGuard({
    onDeny: (peer, protocol) => guardLog?.(peer.toString(), protocol),
  })
  const services = {
    peerGuard: () => guard,
    identify: identify(),
    ping: ping(),
    dht: kadDHT({
      protocol: WREN_KAD_PROTOCOL,
      clientMode: init.dht?.clientMode,
      peerInfoMapper: dhtPeerMapper('wan'),
      validators,
      selectors,
    }),
    lanDht: kadDHT({
      protocol: WREN_LAN_KAD_PROTOCOL,
      // every device on a LAN can serve its neighbours; nothing there confirms a public address
      clientMode: false,
      peerInfoMapper: dhtPeerMapper('lan', {
        localNetworks: cachedNetworks(() => networksOf(networkInterfaces()), Date.now),
      }),
      validators,
      selectors,
      logPrefix: 'libp2p:wren-dht-lan',
      datastorePrefix: '/dht-lan',
      metricsPrefix: 'wren_dht_lan',
    }),
    // real-network probes only: an in-process host has no NAT and no public address to confirm
    // AutoNAT v2: v1 (@libp2p/autonat 3.0.28) answers a dial-back request by reusing the
    // connection it already has to the asking peer and then closes it, which cut every user's
    // connection to its relay whenever the relay asked to have its own address confirmed
    ...(inProcess ? {} : { autonat: autoNATv2(), dcutr: dcutr() }),
    bootstrap: bootstrapDialer({ list: init.bootstrap ?? [] }),
    connectionLog: connectionLog(),
    pubsub: gossipsub({
      globalSignaturePolicy: 'StrictNoSign',
      // a group message with no topic peer is not an error: the pairwise copy carries it
      allowPublishToZeroTopicPeers: true,
      scoreParams: {
        IPColocationFactorThreshold: GOSSIP_PEERS_PER_IP,
        // daemons on this very machine are not a Sybil cluster behind one remote address
        IPColocationFactorWhitelist: new Set(ownAddresses()),
      },
    }),
    ...init.extraServices,
  } as ServiceFactoryMap<WrenServices & E>

  const options: Libp2pOptions<WrenServices & E> = {
    privateKey: init.privateKey,
    datastore,
    addresses: {
      listen: init.listen ?? [...DEFAULT_LISTEN],
    },
    transports: init.transports ?? [tcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    // a crowd's links are in-process: a keep-alive per connection only costs timers
    streamMuxers: [yamux(init.crowd === true ? { enableKeepAlive: false } : {})],
    peerDiscovery,
    services,
  }
  options.connectionMonitor =
    init.crowd === true ? { enabled: false } : { pingInterval: CONNECTION_PING_INTERVAL_MS }
  // peers over their limits are refused before anything else the caller's gater decides
  options.connectionGater = guard.gater(init.connectionGater)

  const node = await createLibp2p(options)
  guard.attach((peer) => node.hangUp(peer))
  // a connection whose gater check passed just before its peer was refused is closed on arrival
  node.addEventListener('connection:open', (event) => {
    if (guard.denied(event.detail.remotePeer)) void event.detail.close().catch(() => {})
  })
  const log = node.logger.forComponent('wren:p2p:peer-guard')
  guardLog = (peer, protocol) => log('disconnected and refused %s: over its limits on %s', peer, protocol)
  return node
}

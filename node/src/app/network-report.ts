/**
 * What the node can say about its network, for `wren status` (a snapshot, no network traffic)
 * and `wren doctor` (checks that ask the network: a lookup of our own bundle, a ping to each
 * relay), each with what to do in words when something is wrong.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import type { BundlePublisher } from '../p2p/bundle-publisher.ts'
import { type DhtName, dhtPeerCount, getBundleRecord } from '../p2p/dht-records.ts'
import type { WrenServices } from '../p2p/host.ts'
import type { PeerGuardStats } from '../p2p/peer-guard.ts'
import type { NetworkStatus } from './host-context.ts'

/** Bound on the doctor's lookup of our own bundle in each DHT. */
export const DOCTOR_LOOKUP_TIMEOUT_MS = 10_000
/** Bound on the doctor's ping to one relay. */
export const DOCTOR_PING_TIMEOUT_MS = 5_000

export type PublishState = 'published' | 'pending' | 'no-peers' | 'refused' | 'timeout' | 'stale'

export interface DhtState {
  /** Peers in this DHT's routing table. */
  peers: number
  /** Whether this node answers queries in this DHT (server) or only asks (client). */
  mode: 'server' | 'client'
  /** Where our bundle stands in this DHT after the last publish. */
  bundle: PublishState
}

export interface RelayState {
  /** The relay's multiaddr as configured (or the relay part of a circuit address). */
  addr: string
  peerId: string | null
  connected: boolean
  /** We hold a circuit-relay reservation on it (reachable through it). */
  reservation: boolean
  /** One of our mailboxes lives on it. */
  mailbox: boolean
}

export interface NetworkReport {
  dht: Record<DhtName, DhtState>
  /** ms since the epoch of the last publish of our bundle, and of the next one; null if none. */
  bundlePublishedAt: number | null
  nextPublishAt: number | null
  relays: RelayState[]
  /** Addresses that other machines on the internet can dial, as autonat confirmed them. */
  publicAddrs: string[]
  /** Per-peer limits on the protocols this node serves (p2p/peer-guard.ts). */
  limits: PeerGuardStats
}

export type Libp2pWithPublisher = Libp2p<WrenServices & { publisher: BundlePublisher }>

export interface ReportSources {
  libp2p: Libp2pWithPublisher
  /** Relays from the settings, --relay and --bootstrap (multiaddrs with /p2p/). */
  relays: readonly string[]
  /** Relay peer ids (strings) our mailboxes live on. */
  mailboxRelays: () => readonly string[]
}

export function networkReport(sources: ReportSources): NetworkReport {
  const { libp2p } = sources
  const publisher = libp2p.services.publisher
  const dhtState = (name: DhtName): DhtState => {
    const dht = name === 'lan' ? libp2p.services.lanDht : libp2p.services.dht
    const last = publisher.lastResults[name]
    return {
      peers: dhtPeerCount(dht),
      mode: dht.getMode(),
      bundle: last === undefined ? 'pending' : last.ok ? 'published' : last.reason,
    }
  }
  const own = libp2p.getMultiaddrs()
  const reserved = new Set(
    own.flatMap((a) => {
      const text = a.toString()
      const i = text.indexOf('/p2p-circuit')
      return i < 0 ? [] : [peerIdOfAddr(text.slice(0, i))]
    }),
  )
  const mailboxRelays = new Set(sources.mailboxRelays())
  const relayAddrs = [...new Set(sources.relays)]
  const relays: RelayState[] = relayAddrs.map((addr) => {
    const peerId = peerIdOfAddr(addr)
    return {
      addr,
      peerId,
      connected: peerId !== null && isConnected(libp2p, peerId),
      reservation: peerId !== null && reserved.has(peerId),
      mailbox: peerId !== null && mailboxRelays.has(peerId),
    }
  })
  return {
    dht: { lan: dhtState('lan'), wan: dhtState('wan') },
    bundlePublishedAt: publisher.lastPublishedAt ?? null,
    nextPublishAt: publisher.nextPublishAt ?? null,
    relays,
    publicAddrs: own.filter((a) => isPublicDirect(a)).map((a) => a.toString()),
    limits: libp2p.services.peerGuard.stats(),
  }
}

/** node.status's network facts (daemon/context.ts NetworkStatus) of a running node. */
export function networkStatusOf(sources: ReportSources, mailboxesHeld: number): NetworkStatus {
  const { libp2p } = sources
  const addrs = libp2p.getMultiaddrs().map((a) => a.toString())
  return {
    peerId: libp2p.peerId.toString(),
    listenAddrs: addrs,
    connections: libp2p.getConnections().length,
    // distinct relays we hold a reservation on, by peer id (a relay gives several circuit addresses)
    relays: new Set(
      addrs.flatMap((a) => {
        const i = a.indexOf('/p2p-circuit')
        return i < 0 ? [] : [peerIdOfAddr(a.slice(0, i))]
      }),
    ).size,
    mailboxes: mailboxesHeld,
    bundlePublished: libp2p.services.publisher.lastResult?.ok === true,
    report: networkReport(sources),
  }
}

export type CheckStatus = 'ok' | 'warn' | 'fail'

export interface DoctorCheck {
  check: 'listen' | 'reachability' | 'dht' | 'bundle' | 'relays' | 'mailboxes'
  status: CheckStatus
  /** One sentence: what was found. */
  summary: string
  /** What to do about it, in words; null when nothing needs doing. */
  advice: string | null
}

export interface DoctorSources extends ReportSources {
  userId: Uint8Array
  /** Mailboxes wanted (k) and held. */
  mailboxesWanted: number
  mailboxesHeld: () => number
}

/**
 * The DHT check from the report alone. A relay joins users' WAN DHTs only with a public address:
 * announced by its operator, or confirmed by AutoNAT; until then contacts on other networks
 * cannot look the bundle up.
 */
export function dhtCheck(report: Pick<NetworkReport, 'dht' | 'relays'>): DoctorCheck {
  const { lan, wan } = report.dht
  const relayOutsideWan = wan.peers === 0 && report.relays.some((r) => r.connected)
  return {
    check: 'dht',
    status: lan.peers + wan.peers > 0 && !relayOutsideWan ? 'ok' : 'warn',
    summary: `DHT peers: ${lan.peers} on the LAN DHT, ${wan.peers} on the WAN DHT (${wan.mode})`,
    advice: relayOutsideWan
      ? 'connected to a relay, but the WAN DHT has no peer: the relay does not announce a public address yet (its operator sets "announce" in its config, or waits for AutoNAT to confirm it); until then contacts on other networks cannot look your bundle up'
      : lan.peers + wan.peers > 0
        ? null
        : 'no DHT peer yet: contacts reach you through your card addresses, but cannot look your bundle up; connect to a relay (--relay or --bootstrap) or another Wren device on your network',
  }
}

/** Run every check; never throws for a network outcome (each is a value). */
export async function runDoctor(sources: DoctorSources): Promise<DoctorCheck[]> {
  const { libp2p } = sources
  const report = networkReport(sources)
  const checks: DoctorCheck[] = []

  const listening = libp2p.getMultiaddrs().filter((a) => !a.toString().includes('/p2p-circuit'))
  const beyondLoopback = listening.filter((a) => !isLoopback(a))
  if (listening.length === 0) {
    checks.push({
      check: 'listen',
      status: 'fail',
      summary: 'the node listens on no direct address',
      advice:
        'check the --listen addresses (or remove them to use the defaults); another program may hold the port',
    })
  } else if (beyondLoopback.length === 0) {
    checks.push({
      check: 'listen',
      status: 'warn',
      summary: `listening on this machine only (${listening.length} loopback addresses)`,
      advice:
        'only daemons on this computer can connect directly; listen on 0.0.0.0 to be reachable on your network',
    })
  } else {
    checks.push({
      check: 'listen',
      status: 'ok',
      summary: `listening on ${beyondLoopback.map((a) => a.toString()).join(', ')}`,
      advice: null,
    })
  }

  if (report.publicAddrs.length > 0) {
    checks.push({
      check: 'reachability',
      status: 'ok',
      summary: `reachable from the internet at ${report.publicAddrs.join(', ')}`,
      advice: null,
    })
  } else if (report.relays.some((r) => r.reservation)) {
    const via = report.relays.filter((r) => r.reservation).map((r) => r.addr)
    checks.push({
      check: 'reachability',
      status: 'ok',
      summary: `not directly reachable from the internet, but reachable through relay ${via.join(', ')}`,
      advice: null,
    })
  } else {
    checks.push({
      check: 'reachability',
      status: 'warn',
      summary: 'no public address confirmed and no relay reservation: reachable on this network only',
      advice:
        'to reach friends on the internet, add a Wren relay: wren settings, or start the daemon with --relay <multiaddr of a relay>',
    })
  }

  checks.push(dhtCheck(report))

  const found: Record<DhtName, boolean> = { lan: false, wan: false }
  await Promise.all(
    (['lan', 'wan'] as const).map(async (name) => {
      const dht = name === 'lan' ? libp2p.services.lanDht : libp2p.services.dht
      const result = await getBundleRecord(dht, sources.userId, { timeoutMs: DOCTOR_LOOKUP_TIMEOUT_MS })
      found[name] = result.ok
    }),
  )
  const foundIn = (['lan', 'wan'] as const).filter((n) => found[n]).map((n) => n.toUpperCase())
  checks.push({
    check: 'bundle',
    status: foundIn.length > 0 ? 'ok' : 'warn',
    summary:
      foundIn.length > 0
        ? `a lookup of your own id finds your bundle in the ${foundIn.join(' and ')} DHT`
        : 'a lookup of your own id finds no bundle in any DHT',
    advice:
      foundIn.length > 0
        ? null
        : 'contacts who are not connected to you cannot start a session until it is found; it is published again as soon as the node has DHT peers (a relay, or a Wren device on your network)',
  })

  if (report.relays.length === 0) {
    checks.push({
      check: 'relays',
      status: 'warn',
      summary: 'no relay configured',
      advice:
        'without a relay, messages to you wait while you are offline and friends behind other routers cannot reach you; add one with --relay <multiaddr> or in the settings',
    })
  } else {
    const answers = await Promise.all(report.relays.map((r) => pingRelay(libp2p, r)))
    const down = report.relays.filter((_, i) => answers[i] === null)
    checks.push({
      check: 'relays',
      status: down.length === 0 ? 'ok' : down.length === report.relays.length ? 'fail' : 'warn',
      summary: report.relays
        .map((r, i) => `${r.addr}: ${answers[i] === null ? 'no answer' : `answered in ${answers[i]} ms`}`)
        .join('; '),
      advice:
        down.length === 0
          ? null
          : 'a relay that does not answer cannot hold your mail or relay your connections: check the address, or pick another relay',
    })
  }

  const held = sources.mailboxesHeld()
  checks.push({
    check: 'mailboxes',
    status: report.relays.length === 0 ? 'warn' : held >= sources.mailboxesWanted ? 'ok' : 'warn',
    summary: `${held} of ${sources.mailboxesWanted} mailboxes registered`,
    advice:
      held >= sources.mailboxesWanted
        ? null
        : 'messages sent while you are offline are kept only in mailboxes: each needs a relay that answers',
  })
  return checks
}

async function pingRelay(libp2p: Libp2pWithPublisher, relay: RelayState): Promise<number | null> {
  try {
    return Math.round(
      await libp2p.services.ping.ping(multiaddr(relay.addr), {
        signal: AbortSignal.timeout(DOCTOR_PING_TIMEOUT_MS),
      }),
    )
  } catch {
    return null
  }
}

function peerIdOfAddr(addr: string): string | null {
  const parts = addr.split('/p2p/')
  const last = parts.length > 1 ? parts[parts.length - 1] : undefined
  if (last === undefined || last.length === 0) return null
  return last.split('/')[0] ?? null
}

function isConnected(libp2p: Libp2p, peerId: string): boolean {
  return libp2p.getConnections().some((c) => (c.remotePeer as PeerId).toString() === peerId)
}

function isLoopback(addr: Multiaddr): boolean {
  const text = addr.toString()
  return text.startsWith('/ip4/127.') || text.startsWith('/ip6/::1/')
}

function isPublicDirect(addr: Multiaddr): boolean {
  const text = addr.toString()
  return !text.includes('/p2p-circuit') && !isPrivate(addr) && !isLoopback(addr)
}

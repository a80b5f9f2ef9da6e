/**
 * Starts a Wren relay node: libp2p on TCP + WebSockets with a persistent identity, circuit relay
 * v2 server, kad-dht server on the Wren DHT, identify, ping, autonat, the mailbox service on
 * LevelDB, the blob service (sealed file chunks, one file each under blobs/); Prometheus metrics
 * on 127.0.0.1; a best-effort DHT provider record for the mailbox CID; with `turn.enabled`, Debian's
 * coturn as a child process (coturn.ts) and TURN credentials for peers (turn-service.ts).
 * `stop()` shuts down in order (network, in-flight requests, store, metrics) and keeps all data.
 *
 * In-process simulations pass `transports` (e.g. `[memory()]`), explicit `listen` addresses
 * (`/memory/relay-1`) and a `connectionGater` in StartRelayOptions: programmatic only, since
 * transports are code, not config.
 */
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { type CircuitRelayService, circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { type KadDHT, kadDHT } from '@libp2p/kad-dht'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import { CID } from 'multiformats/cid'
import type { Clock, CryptoSuite } from '../../core/src/crypto/suite.ts'
import { cachedNetworks, dhtPeerMapper, networksOf } from '../../core/src/dht-peer-mapper.ts'
import { mailboxProviderCidBytes } from '../../core/src/mailbox/provider-key.ts'
import { guardRecordDatastore } from '../../core/src/record-guard-datastore.ts'
import { type BlobService, blobService } from './blob-service.ts'
import { BlobStore } from './blob-store.ts'
import { bundleRecordRules } from './bundle-records.ts'
import type { RelayConfig } from './config.ts'
import {
  BLOB_DIR,
  MAILBOX_DB_DIR,
  PROVIDE_TIMEOUT_MS,
  WREN_DHT_PROTOCOL,
  WREN_LAN_DHT_PROTOCOL,
} from './constants.ts'
import { type CoturnHandle, startCoturn } from './coturn.ts'
import { secureDataDir } from './data-dir.ts'
import { deviceListRecordRules } from './device-list-records.ts'
import { ConfigError } from './errors.ts'
import { loadOrCreateIdentityKey } from './identity-key.ts'
import { createLogger, type LogSink, type RelayLogger } from './logger.ts'
import { type MailboxService, mailboxService } from './mailbox-service.ts'
import { MailboxStore } from './mailbox-store.ts'
import { createMailboxMetrics, MetricsRegistry, type MetricsServer, startMetricsServer } from './metrics.ts'
import { RelayPeerGuard } from './peer-guard.ts'
import { createRelaySuite } from './relay-suite.ts'
import { type TurnService, turnService } from './turn-service.ts'

/** One libp2p transport factory, as `createLibp2p({ transports })` takes them. */
export type RelayTransport = NonNullable<Libp2pOptions['transports']>[number]

export interface RelayServices extends Record<string, unknown> {
  identify: unknown
  ping: Ping
  /** Absent with a `transports` override (in-process: no public address to confirm). */
  autonat?: unknown
  relay: CircuitRelayService
  /** The WAN DHT: public addresses only. */
  dht: KadDHT
  /** The LAN DHT (a relay on a home or office network serves its neighbours): private addresses only. */
  lanDht: KadDHT
  mailbox: MailboxService
  /** Sealed file chunks for offline recipients (/wren/blob/1.0.0), beside the mailbox. */
  blob: BlobService
  /** TURN credentials (/wren/turn/1.0.0), when coturn runs beside the relay (config turn.enabled). */
  turn?: TurnService
}

export interface StartRelayOptions {
  /** Injected clock for the mailbox (TTL, challenges, rate refill); default Date.now. */
  clock?: Clock
  /** Default: noble + node:crypto SHA-256. */
  suite?: CryptoSuite
  /** Where JSON log lines go; default stderr. Ignored when `logger` is given. */
  logSink?: LogSink
  logger?: RelayLogger
  /**
   * In-process simulations only: replaces TCP + WebSockets (e.g. `[memory()]`, or a wrapping
   * transport that shapes links). Needs `listen`; autonat is then not started (it only probes
   * real networks), and `config.announce` is ignored.
   */
  transports?: RelayTransport[]
  /** Listen multiaddrs (e.g. `/memory/relay-1`); replaces those built from `config.listen`. */
  listen?: string[]
  /** libp2p connection gater (libp2p's default on Node allows everything; simulations cut links). */
  connectionGater?: ConnectionGater
  /**
   * One of hundreds of hosts in one process (simulations): no connection-monitor pings and no
   * yamux keep-alives (timers per connection that only cost CPU there). No connection cap: a
   * relay is every user's mailbox and bootstrap peer.
   */
  crowd?: boolean
}

export interface RelayHandle {
  readonly config: RelayConfig
  readonly peerId: PeerId
  readonly libp2p: Libp2p<RelayServices>
  readonly mailbox: MailboxService
  readonly blob: BlobService
  /** Per-peer strikes and refusals on the relay's protocols (peer-guard.ts). */
  readonly guard: RelayPeerGuard
  /** The blob store's folder (one file per blob). */
  readonly blobDir: string
  /** coturn beside the relay (config turn.enabled; never with a transports override). */
  readonly coturn: CoturnHandle | undefined
  /** http://127.0.0.1:<port>/metrics, when metrics are enabled. */
  readonly metricsUrl: string | undefined
  /** Current listen/announce addresses, each ending in /p2p/<relay id>. */
  multiaddrs(): Multiaddr[]
  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void>
}

function listenAddrs(config: RelayConfig): string[] {
  const { host, tcpPort, wsPort } = config.listen
  const family = host.includes(':') ? 'ip6' : 'ip4'
  const addrs = [`/${family}/${host}/tcp/${tcpPort}`]
  if (wsPort >= 0) addrs.push(`/${family}/${host}/tcp/${wsPort}/ws`)
  return addrs
}

export async function startRelay(config: RelayConfig, options: StartRelayOptions = {}): Promise<RelayHandle> {
  const log =
    options.logger ??
    createLogger({
      component: 'relay',
      level: config.logLevel,
      sink: options.logSink ?? ((line) => process.stderr.write(`${line}\n`)),
    })
  const suite = options.suite ?? createRelaySuite()
  const inProcess = options.transports !== undefined
  if (inProcess && options.listen === undefined) {
    throw new ConfigError('a transports override needs explicit listen addresses (e.g. /memory/relay-1)')
  }
  await secureDataDir(config.dataDir)
  const privateKey = await loadOrCreateIdentityKey(config.dataDir)
  const store = await MailboxStore.open(join(config.dataDir, MAILBOX_DB_DIR))
  const blobDir = join(config.dataDir, BLOB_DIR)
  const blobs = await BlobStore.open(blobDir)
  const registry = new MetricsRegistry()
  const mailboxMetrics = createMailboxMetrics(registry)
  // devices keep their prekey bundles and device lists on relays; kad-dht refuses namespaces it
  // cannot validate
  const bundles = bundleRecordRules(suite, options.clock ?? Date.now)
  const deviceLists = deviceListRecordRules(suite)
  const records = {
    validators: { ...bundles.validators, ...deviceLists.validators },
    selectors: { ...bundles.selectors, ...deviceLists.selectors },
  }
  const turnIssued = registry.counter('wren_relay_turn_credentials_total', 'TURN credentials handed out')
  const guardLog = log.child('guard')
  const guard = new RelayPeerGuard({
    clock: options.clock,
    onDeny: (peer, protocol) => guardLog.warn('peer.refused', { peer, protocol }),
  })
  let coturn: CoturnHandle | undefined
  let libp2p: Libp2p<RelayServices>
  try {
    if (config.turn.enabled && !inProcess)
      coturn = await startCoturn({ ...config, logger: log.child('turn') })
    libp2p = await createLibp2p<RelayServices>({
      privateKey,
      // a PUT of an older bundle than the one held is refused, as on user nodes
      datastore: guardRecordDatastore(new MemoryDatastore(), records.selectors),
      addresses: {
        listen: options.listen ?? listenAddrs(config),
        // announcing public TCP addresses for an in-process relay would send its peers nowhere
        announce: inProcess ? [] : config.announce,
      },
      transports: options.transports ?? [tcp(), webSockets()],
      connectionGater: guard.gater(options.connectionGater),
      connectionEncrypters: [noise()],
      streamMuxers: [yamux(options.crowd === true ? { enableKeepAlive: false } : {})],
      ...(options.crowd === true ? { connectionMonitor: { enabled: false } } : {}),
      services: {
        identify: identify(),
        ping: ping(),
        // v2, as on user nodes (v1's dial-back closed the asking peer's connection)
        ...(inProcess ? {} : { autonat: autoNATv2() }),
        relay: circuitRelayServer({
          reservations: {
            maxReservations: config.circuitRelay.maxReservations,
            reservationTtl: config.circuitRelay.reservationTtlMs,
            defaultDurationLimit: config.circuitRelay.durationLimitMs,
            defaultDataLimit: BigInt(config.circuitRelay.dataLimitBytes),
          },
        }),
        dht: kadDHT({
          protocol: WREN_DHT_PROTOCOL,
          clientMode: false,
          peerInfoMapper: dhtPeerMapper('wan'),
          ...records,
        }),
        lanDht: kadDHT({
          protocol: WREN_LAN_DHT_PROTOCOL,
          clientMode: false,
          peerInfoMapper: dhtPeerMapper('lan', {
            localNetworks: cachedNetworks(() => networksOf(networkInterfaces()), Date.now),
          }),
          ...records,
          logPrefix: 'libp2p:wren-dht-lan',
          datastorePrefix: '/dht-lan',
          metricsPrefix: 'wren_dht_lan',
        }),
        mailbox: mailboxService({
          store,
          suite,
          clock: options.clock,
          maxEnvelopesPerInbox: config.mailbox.maxEnvelopesPerInbox,
          maxBytesPerInbox: config.mailbox.maxBytesPerInbox,
          maxPrekeysPerInbox: config.mailbox.maxPrekeysPerInbox,
          maxEnvelopeBytes: config.mailbox.maxEnvelopeBytes,
          maxInboxes: config.mailbox.maxInboxes,
          ttlMs: config.mailbox.ttlMs,
          sweepIntervalMs: config.mailbox.sweepIntervalMs,
          depositRate: config.mailbox.depositRate,
          claimRate: config.mailbox.claimRate,
          inboxClaimRate: config.mailbox.inboxClaimRate,
          ownerRate: config.mailbox.ownerRate,
          logger: log.child('mailbox'),
          metrics: mailboxMetrics,
          guard,
        }),
        blob: blobService({
          store: blobs,
          suite,
          clock: options.clock,
          ...config.blob,
          logger: log.child('blob'),
          guard,
        }),
        ...(coturn === undefined
          ? {}
          : {
              turn: turnService({
                secret: coturn.secret,
                urls: coturn.urls,
                available: coturn.running,
                credentialRate: config.turn.credentialRate,
                clock: options.clock,
                logger: log.child('turn'),
                onIssued: () => turnIssued.inc(),
                guard,
              }),
            }),
      },
    })
  } catch (err) {
    await coturn?.stop()
    await store.close()
    throw err
  }

  // floods are disconnected and refused (peer-guard.ts)
  const node = libp2p
  guard.attach(async (peer) => {
    await node.hangUp(peer)
  })
  const guardTotal = (field: 'throttled' | 'malformed' | 'disconnected' | 'refused') => () =>
    guard.stats().protocols.reduce((sum, p) => sum + p[field], 0)
  registry.gauge(
    'wren_relay_guard_throttled',
    'Requests refused over a per-peer limit',
    guardTotal('throttled'),
  )
  registry.gauge('wren_relay_guard_malformed', 'Malformed or oversized frames', guardTotal('malformed'))
  registry.gauge(
    'wren_relay_guard_disconnected',
    'Peers disconnected and refused for flooding',
    guardTotal('disconnected'),
  )
  registry.gauge('wren_relay_guard_refused', 'Streams of refused peers closed at once', guardTotal('refused'))
  registry.gauge('wren_relay_guard_denied_peers', 'Peers refused now', () => guard.stats().deniedPeers)
  registry.gauge(
    'wren_relay_guard_refused_connections',
    'Connections of refused peers closed by the gater',
    () => guard.stats().refusedConnections,
  )
  registry.gauge(
    'wren_relay_mailbox_stored_envelopes',
    'Envelopes currently stored',
    () => store.totals().envelopes,
  )
  registry.gauge(
    'wren_relay_mailbox_stored_bytes',
    'Envelope bytes currently stored',
    () => store.totals().bytes,
  )
  registry.gauge('wren_relay_blobs', 'File blobs currently stored', () => blobs.totals().blobs)
  registry.gauge('wren_relay_blob_bytes', 'File blob bytes currently stored', () => blobs.totals().bytes)
  registry.gauge('wren_relay_mailbox_inboxes', 'Registered inboxes', () => store.totals().inboxes)
  registry.gauge('wren_relay_mailbox_prekeys', 'One-time prekeys held', () => store.totals().prekeys)
  registry.gauge(
    'wren_relay_reservations',
    'Active circuit relay reservations',
    () => libp2p.services.relay.reservations.size,
  )
  registry.gauge('wren_relay_connections', 'Open libp2p connections', () => libp2p.getConnections().length)
  const reservationsTotal = registry.counter(
    'wren_relay_reservations_total',
    'Circuit relay reservations granted',
  )
  libp2p.services.relay.addEventListener('relay:reservation', () => {
    reservationsTotal.inc()
    log.debug('relay.reservation', { reservations: libp2p.services.relay.reservations.size })
  })
  libp2p.addEventListener('peer:connect', (evt) =>
    log.debug('peer.connected', { peer: evt.detail.toString() }),
  )
  libp2p.addEventListener('peer:disconnect', (evt) =>
    log.debug('peer.disconnected', { peer: evt.detail.toString() }),
  )

  let metricsServer: MetricsServer | undefined
  try {
    if (config.metrics.enabled) metricsServer = await startMetricsServer(registry, config.metrics.port)
  } catch (err) {
    await libp2p.stop()
    await coturn?.stop()
    await store.close()
    throw err
  }

  const provideAbort = new AbortController()
  const peerId = libp2p.peerId
  const multiaddrs = () => libp2p.getMultiaddrs()
  log.info('relay.started', {
    peerId: peerId.toString(),
    addrs: multiaddrs().map((a) => a.toString()),
    metrics: metricsServer?.url,
    dataDir: config.dataDir,
  })

  const background: Promise<unknown>[] = []
  for (const addr of config.bootstrap) {
    background.push(
      libp2p
        .dial(multiaddr(addr), {
          signal: AbortSignal.any([provideAbort.signal, AbortSignal.timeout(PROVIDE_TIMEOUT_MS)]),
        })
        .then(() => log.info('bootstrap.connected', { addr }))
        .catch((err) => log.warn('bootstrap.failed', { addr, err })),
    )
  }
  if (config.dht.provide) {
    const cid = CID.decode(mailboxProviderCidBytes(suite))
    background.push(
      Promise.allSettled(background.slice())
        .then(() =>
          libp2p.contentRouting.provide(cid, {
            signal: AbortSignal.any([provideAbort.signal, AbortSignal.timeout(PROVIDE_TIMEOUT_MS)]),
          }),
        )
        .then(() => log.info('dht.provided', { cid: cid.toString() }))
        .catch((err) => log.info('dht.provide_skipped', { err })),
    )
  }

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      log.info('relay.stopping', {})
      provideAbort.abort()
      await Promise.allSettled(background)
      await libp2p.stop()
      await coturn?.stop()
      await store.close()
      await metricsServer?.close()
      log.info('relay.stopped', {})
    })()
    return stopping
  }

  return {
    config,
    peerId,
    libp2p,
    guard,
    mailbox: libp2p.services.mailbox,
    blob: libp2p.services.blob,
    blobDir,
    coturn,
    metricsUrl: metricsServer?.url,
    multiaddrs,
    stop,
  }
}

/**
 * Keeps this device's prekey bundle in the DHT (libp2p service shape). kad-dht never re-puts
 * stored values and servers forget them after 48 h, so the publisher puts the current bundle
 * after start, whenever told (`publish()`, e.g. after a prekey rotation), and every
 * REPUBLISH_INTERVAL_MS. A DHT that did not take it (no peers, every peer refused, timeout) is
 * tried again, alone, after REPUBLISH_RETRY_MS, doubling per failure in a row up to
 * REPUBLISH_RETRY_MAX_MS: a device on a LAN with no internet (a WAN DHT with no peers) or among
 * peers that refuse Wren's records would otherwise put its bundle to every LAN peer every few
 * seconds for as long as it runs (measured: most of an idle daemon's CPU with 20 peers). A new
 * connection while a retry waits brings it forward to the base delay.
 */

import type { ComponentLogger, Libp2pEvents, Logger, Startable, TypedEventTarget } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import {
  DHT_PUT_TIMEOUT_MS,
  REPUBLISH_INTERVAL_MS,
  REPUBLISH_RETRY_MAX_MS,
  REPUBLISH_RETRY_MS,
} from './constants.ts'
import { type DhtName, mergePutResults, type PutBundleResult, putBundleRecord } from './dht-records.ts'

export interface PublishedRecord {
  userId: Uint8Array
  bundle: Uint8Array
}

export interface BundlePublisherInit {
  /** The bundle to keep published, read at every publish; undefined while there is none. */
  currentRecord: () => Promise<PublishedRecord | undefined>
  republishIntervalMs?: number
  /** First retry of a DHT that did not take the bundle; it doubles per failure up to retryMaxMs. */
  retryMs?: number
  retryMaxMs?: number
  putTimeoutMs?: number
  /**
   * How one record goes to one DHT (default: as a prekey bundle). The device list publisher
   * (issue 18) puts `/wren-devices/<userId>` records with the same schedule.
   */
  put?: (
    dht: KadDHT,
    record: PublishedRecord,
    options: { signal: AbortSignal; timeoutMs: number },
  ) => Promise<PutBundleResult>
}

/**
 * The DHT must be registered under the service name `dht` (as createWrenHost does). It is optional
 * in the type only because libp2p's Components type cannot promise a service by name.
 */
export interface BundlePublisherComponents {
  dht?: KadDHT
  /** The LAN DHT (createWrenHost's `lanDht`): the bundle is put there too when present. */
  lanDht?: KadDHT
  logger: ComponentLogger
  /** libp2p's events: a new connection brings forward the retry of a DHT that had no peers. */
  events?: TypedEventTarget<Libp2pEvents>
}

export class BundlePublisher implements Startable {
  private readonly components: BundlePublisherComponents
  private readonly init: BundlePublisherInit
  private readonly republishIntervalMs: number
  private readonly retryMs: number
  private readonly retryMaxMs: number
  private readonly putTimeoutMs: number
  /** Publishes in a row after which some DHT still lacked the bundle (the retry backoff). */
  private failures = 0
  /** The DHTs the next publish puts to: all, or only those a retry is for. */
  private due: 'all' | Set<DhtName> = 'all'
  private readonly log: Logger
  private controller: AbortController | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<PutBundleResult | undefined> = Promise.resolve(undefined)
  /** Outcome of the last finished publish (undefined before the first, or with no record). */
  lastResult: PutBundleResult | undefined
  /** The same, per DHT (what `wren status` shows as "where the bundle is published"). */
  lastResults: Partial<Record<DhtName, PutBundleResult>> = {}
  /** When the last publish finished (ms since the epoch), and when the next one is due. */
  lastPublishedAt: number | undefined
  nextPublishAt: number | undefined

  constructor(components: BundlePublisherComponents, init: BundlePublisherInit) {
    this.components = components
    this.init = init
    this.republishIntervalMs = init.republishIntervalMs ?? REPUBLISH_INTERVAL_MS
    this.retryMs = init.retryMs ?? REPUBLISH_RETRY_MS
    this.retryMaxMs = Math.max(this.retryMs, init.retryMaxMs ?? REPUBLISH_RETRY_MAX_MS)
    this.putTimeoutMs = init.putTimeoutMs ?? DHT_PUT_TIMEOUT_MS
    this.log = components.logger.forComponent('wren:p2p:bundle-publisher')
  }

  readonly [Symbol.toStringTag] = 'wren:p2p:bundle-publisher'

  start(): void {
    this.controller = new AbortController()
    this.components.events?.addEventListener('peer:connect', this.onConnect)
  }

  afterStart(): void {
    void this.publish()
  }

  async stop(): Promise<void> {
    this.components.events?.removeEventListener('peer:connect', this.onConnect)
    this.controller?.abort()
    this.controller = undefined
    this.clearTimer()
    await this.running
  }

  /**
   * Put the current bundle to every DHT now (serialised with any publish in flight); returns the
   * outcome. A new bundle starts the retry backoff afresh.
   */
  publish(): Promise<PutBundleResult | undefined> {
    this.failures = 0
    return this.enqueue('all')
  }

  private enqueue(due: 'all' | Set<DhtName>): Promise<PutBundleResult | undefined> {
    this.running = this.running.then(() => {
      this.due = due
      return this.publishOnce()
    })
    return this.running
  }

  /**
   * A connection while a retry waits: the new peer may be the one that takes the bundle (a DHT
   * with no peers yet, or whose peers refused or timed out while the network was forming), so
   * that DHT is tried again within the base delay. Only a wait longer than that is shortened, so
   * a stream of connections never postpones the retry, and an idle node keeps its backoff.
   */
  private readonly onConnect = (): void => {
    if (this.failures === 0 || this.timer === undefined || this.nextPublishAt === undefined) return
    if (this.nextPublishAt - Date.now() > this.retryMs) this.schedule(this.retryMs, this.retryTargets())
  }

  /** The DHTs that did not take the last publish. */
  private retryTargets(): Set<DhtName> {
    const names = Object.entries(this.lastResults)
      .filter(([, r]) => !(r.ok || r.reason === 'stale'))
      .map(([name]) => name as DhtName)
    return new Set(names)
  }

  private async publishOnce(): Promise<PutBundleResult | undefined> {
    const controller = this.controller
    if (controller == null) return undefined
    this.clearTimer()
    let result: PutBundleResult | undefined
    try {
      const record = await this.init.currentRecord()
      const dht = this.components.dht
      if (dht == null) throw new Error('bundle publisher needs the kad-dht service under the name "dht"')
      if (record != null) {
        const all: Array<[DhtName, KadDHT]> = [['wan', dht]]
        if (this.components.lanDht != null) all.push(['lan', this.components.lanDht])
        const due = this.due
        const targets = due === 'all' ? all : all.filter(([name]) => due.has(name))
        const options = { signal: controller.signal, timeoutMs: this.putTimeoutMs }
        const results = await Promise.all(
          targets.map(async ([name, target]) => {
            const one =
              this.init.put === undefined
                ? await putBundleRecord(target, record.userId, record.bundle, options)
                : await this.init.put(target, record, options)
            if (!one.ok)
              this.log('bundle publish to the %s DHT failed: %s (%s)', name, one.reason, one.detail)
            return [name, one] as const
          }),
        )
        this.lastResults = { ...this.lastResults, ...Object.fromEntries(results) }
        result = mergePutResults(Object.values(this.lastResults))
        this.lastResult = result
        this.lastPublishedAt = Date.now()
      }
    } catch (err) {
      this.log.error('bundle publish failed - %e', err)
    }
    if (this.controller === controller) {
      // settled only when every DHT took it: a WAN DHT with no peers yet is tried again soon
      const retry = this.retryTargets()
      if (retry.size === 0) {
        this.failures = 0
        this.schedule(this.republishIntervalMs, 'all')
      } else {
        this.failures++
        this.schedule(Math.min(this.retryMs * 2 ** (this.failures - 1), this.retryMaxMs), retry)
      }
    }
    return result
  }

  private schedule(delayMs: number, due: 'all' | Set<DhtName>): void {
    this.clearTimer()
    this.nextPublishAt = Date.now() + delayMs
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.enqueue(due)
    }, delayMs)
    this.timer.unref?.()
  }

  private clearTimer(): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
  }
}

export function bundlePublisher(
  init: BundlePublisherInit,
): (components: BundlePublisherComponents) => BundlePublisher {
  return (components) => new BundlePublisher(components, init)
}

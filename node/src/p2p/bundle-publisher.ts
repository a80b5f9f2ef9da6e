/**
 * Keeps this device's prekey bundle in the DHT (libp2p service shape). kad-dht never re-puts
 * stored values and servers forget them after 48 h, so the publisher puts the current bundle
 * after start, whenever told (`publish()`, e.g. after a prekey rotation), and every
 * REPUBLISH_INTERVAL_MS; a failed or peerless put is retried after REPUBLISH_RETRY_MS.
 */

import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { DHT_PUT_TIMEOUT_MS, REPUBLISH_INTERVAL_MS, REPUBLISH_RETRY_MS } from './constants.ts'
import { type DhtName, mergePutResults, type PutBundleResult, putBundleRecord } from './dht-records.ts'

export interface PublishedRecord {
  userId: Uint8Array
  bundle: Uint8Array
}

export interface BundlePublisherInit {
  /** The bundle to keep published, read at every publish; undefined while there is none. */
  currentRecord: () => Promise<PublishedRecord | undefined>
  republishIntervalMs?: number
  retryMs?: number
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
}

export class BundlePublisher implements Startable {
  private readonly components: BundlePublisherComponents
  private readonly init: BundlePublisherInit
  private readonly republishIntervalMs: number
  private readonly retryMs: number
  private readonly putTimeoutMs: number
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
    this.putTimeoutMs = init.putTimeoutMs ?? DHT_PUT_TIMEOUT_MS
    this.log = components.logger.forComponent('wren:p2p:bundle-publisher')
  }

  readonly [Symbol.toStringTag] = 'wren:p2p:bundle-publisher'

  start(): void {
    this.controller = new AbortController()
  }

  afterStart(): void {
    void this.publish()
  }

  async stop(): Promise<void> {
    this.controller?.abort()
    this.controller = undefined
    this.clearTimer()
    await this.running
  }

  /** Put the current bundle now (serialised with any publish in flight); returns the outcome. */
  publish(): Promise<PutBundleResult | undefined> {
    this.running = this.running.then(() => this.publishOnce())
    return this.running
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
        const targets: Array<[DhtName, KadDHT]> = [['wan', dht]]
        if (this.components.lanDht != null) targets.push(['lan', this.components.lanDht])
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
        this.lastResults = Object.fromEntries(results)
        result = mergePutResults(results.map(([, one]) => one))
        this.lastResult = result
        this.lastPublishedAt = Date.now()
      }
    } catch (err) {
      this.log.error('bundle publish failed - %e', err)
    }
    if (this.controller === controller) {
      // settled only when every DHT took it: a WAN DHT with no peers yet is tried again soon
      const settled = Object.values(this.lastResults).every((r) => r.ok || r.reason === 'stale')
      this.schedule(settled ? this.republishIntervalMs : this.retryMs)
    }
    return result
  }

  private schedule(delayMs: number): void {
    this.nextPublishAt = Date.now() + delayMs
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.publish()
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

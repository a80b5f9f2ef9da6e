/**
 * Keeps this device's prekey bundle in the DHT (libp2p service shape). kad-dht never re-puts
 * stored values and servers forget them after 48 h, so the publisher puts the current bundle
 * after start, whenever told (`publish()`, e.g. after a prekey rotation), and every
 * REPUBLISH_INTERVAL_MS; a failed or peerless put is retried after REPUBLISH_RETRY_MS.
 */

import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import { DHT_PUT_TIMEOUT_MS, REPUBLISH_INTERVAL_MS, REPUBLISH_RETRY_MS } from './constants.ts'
import { type PutBundleResult, putBundleRecord } from './dht-records.ts'

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
}

/**
 * The DHT must be registered under the service name `dht` (as createWrenHost does). It is optional
 * in the type only because libp2p's Components type cannot promise a service by name.
 */
export interface BundlePublisherComponents {
  dht?: KadDHT
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
        result = await putBundleRecord(dht, record.userId, record.bundle, {
          signal: controller.signal,
          timeoutMs: this.putTimeoutMs,
        })
        this.lastResult = result
        if (!result.ok) this.log('bundle publish failed: %s (%s)', result.reason, result.detail)
      }
    } catch (err) {
      this.log.error('bundle publish failed - %e', err)
    }
    if (this.controller === controller) {
      const settled = result == null || result.ok || result.reason === 'stale'
      this.schedule(settled ? this.republishIntervalMs : this.retryMs)
    }
    return result
  }

  private schedule(delayMs: number): void {
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

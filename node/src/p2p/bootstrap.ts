/**
 * Bootstrap dialer (libp2p service shape): dials the configured bootstrap multiaddrs after start,
 * and again every `redialMs` for as long as the node has no connection at all (it lost every one,
 * or never got one), so the DHT always has a way back in and recovery after an outage is bounded
 * by one pause, not by the next thing that happens to dial. (libp2p's own reconnect queue only
 * re-dials KEEP_ALIVE-tagged peers, a few times with backoff, then drops the tag.)
 * Dial failures are logged, never thrown: a bootstrap peer being down is an expected outcome.
 */

import type { ComponentLogger, Libp2pEvents, Logger, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import { multiaddr } from '@multiformats/multiaddr'
import type { TypedEventTarget } from 'main-event'
import { BOOTSTRAP_DIAL_TIMEOUT_MS, BOOTSTRAP_REDIAL_MS } from './constants.ts'

export interface BootstrapInit {
  /** Multiaddrs with a /p2p/<peer id> suffix. */
  list: string[]
  dialTimeoutMs?: number
  redialMs?: number
}

export interface BootstrapComponents {
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export class BootstrapDialer implements Startable {
  private readonly components: BootstrapComponents
  private readonly list: string[]
  private readonly dialTimeoutMs: number
  private readonly redialMs: number
  private readonly log: Logger
  private controller: AbortController | undefined
  private redialTimer: ReturnType<typeof setTimeout> | undefined

  constructor(components: BootstrapComponents, init: BootstrapInit) {
    this.components = components
    this.list = [...init.list]
    this.dialTimeoutMs = init.dialTimeoutMs ?? BOOTSTRAP_DIAL_TIMEOUT_MS
    this.redialMs = init.redialMs ?? BOOTSTRAP_REDIAL_MS
    this.log = components.logger.forComponent('wren:p2p:bootstrap')
  }

  readonly [Symbol.toStringTag] = 'wren:p2p:bootstrap'

  start(): void {
    this.controller = new AbortController()
    this.components.events.addEventListener('peer:disconnect', this.onDisconnect)
  }

  afterStart(): void {
    void this.dialAll().then(() => this.redialWhileCutOff())
  }

  stop(): void {
    this.components.events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.controller?.abort()
    this.controller = undefined
    if (this.redialTimer != null) clearTimeout(this.redialTimer)
    this.redialTimer = undefined
  }

  private readonly onDisconnect = (): void => {
    this.redialWhileCutOff()
  }

  /** With no connection left, dial the list again after a pause, and again, until one is open. */
  private redialWhileCutOff(): void {
    if (this.controller == null || this.redialTimer != null || this.list.length === 0) return
    if (this.components.connectionManager.getConnections().length > 0) return
    this.redialTimer = setTimeout(() => {
      this.redialTimer = undefined
      if (this.components.connectionManager.getConnections().length > 0) return
      void this.dialAll().then(() => this.redialWhileCutOff())
    }, this.redialMs)
    this.redialTimer.unref?.()
  }

  private async dialAll(): Promise<void> {
    const controller = this.controller
    if (controller == null) return
    await Promise.all(
      this.list.map(async (addr) => {
        try {
          const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(this.dialTimeoutMs)])
          await this.components.connectionManager.openConnection(multiaddr(addr), { signal })
        } catch (err) {
          if (!controller.signal.aborted) this.log('bootstrap dial to %s failed - %e', addr, err)
        }
      }),
    )
  }
}

export function bootstrapDialer(init: BootstrapInit): (components: BootstrapComponents) => BootstrapDialer {
  return (components) => new BootstrapDialer(components, init)
}

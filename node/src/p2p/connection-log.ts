/**
 * Connection log (libp2p service shape): one debug line per connection opened or closed, with
 * its path (direct, relayed through a circuit relay, or direct WebRTC), so an operator or a test
 * can see how two devices actually talk. Enabled like every libp2p log:
 * `DEBUG=wren:p2p:connections`. Lines carry peer ids and addresses, never payloads.
 */

import type { ComponentLogger, Connection, Libp2pEvents, Logger, Startable } from '@libp2p/interface'
import type { TypedEventTarget } from 'main-event'
import { connectionPath } from './reachability.ts'

/** The debug namespace of the connection log. */
export const CONNECTION_LOG_NAMESPACE = 'wren:p2p:connections'

export interface ConnectionLogComponents {
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export class ConnectionLog implements Startable {
  private readonly events: TypedEventTarget<Libp2pEvents>
  private readonly log: Logger

  constructor(components: ConnectionLogComponents) {
    this.events = components.events
    this.log = components.logger.forComponent(CONNECTION_LOG_NAMESPACE)
  }

  readonly [Symbol.toStringTag] = CONNECTION_LOG_NAMESPACE

  start(): void {
    this.events.addEventListener('connection:open', this.onOpen)
    this.events.addEventListener('connection:close', this.onClose)
  }

  stop(): void {
    this.events.removeEventListener('connection:open', this.onOpen)
    this.events.removeEventListener('connection:close', this.onClose)
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => {
    if (!this.log.enabled) return
    this.log('%s', formatConnectionLine('open', evt.detail))
  }

  private readonly onClose = (evt: CustomEvent<Connection>): void => {
    if (!this.log.enabled) return
    this.log('%s', formatConnectionLine('close', evt.detail))
  }
}

/** `connection open peer=<id> path=<direct|webrtc|relayed> direction=<inbound|outbound> addr=<multiaddr>` */
export function formatConnectionLine(event: 'open' | 'close', connection: Connection): string {
  return [
    `connection ${event}`,
    `peer=${connection.remotePeer.toString()}`,
    `path=${connectionPath(connection)}`,
    `direction=${connection.direction}`,
    `addr=${connection.remoteAddr.toString()}`,
  ].join(' ')
}

export function connectionLog(): (components: ConnectionLogComponents) => ConnectionLog {
  return (components) => new ConnectionLog(components)
}

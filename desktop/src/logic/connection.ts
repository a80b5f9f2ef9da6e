/**
 * The connection indicator: is the shell connected to its daemon, and is the daemon on the
 * network directly, through relays, or offline.
 */
import type { Result } from '../../../node/src/rpc/api.ts'

export type NodeStatus = Result<'node.status'>
export type DaemonLink = 'connecting' | 'open' | 'closed'

export type ConnectionLevel = 'daemon-down' | 'offline' | 'direct' | 'relayed'

export interface ConnectionView {
  readonly level: ConnectionLevel
  readonly label: string
  readonly detail: string
}

export function connectionView(link: DaemonLink, status: NodeStatus | null): ConnectionView {
  if (link !== 'open')
    return {
      level: 'daemon-down',
      label: link === 'connecting' ? 'Connecting to Wren…' : 'Daemon not reachable',
      detail: link === 'connecting' ? '' : 'Retrying. Is the Wren daemon running?',
    }
  if (status === null || status.connections === 0)
    return {
      level: 'offline',
      label: 'Offline',
      detail: 'No peers connected. Messages wait in the queue until the network is back.',
    }
  const peers = `${status.connections} ${status.connections === 1 ? 'connection' : 'connections'}`
  if (status.relays > 0)
    return {
      level: 'relayed',
      label: `Online · ${status.relays} ${status.relays === 1 ? 'relay' : 'relays'}`,
      detail: `${peers}; offline mail is kept by ${status.relays} ${status.relays === 1 ? 'relay' : 'relays'}.`,
    }
  return { level: 'direct', label: 'Online · direct', detail: `${peers}, no relay reservation.` }
}

/**
 * Why the composer cannot send right now because of the daemon link, or null when it can. Sending
 * needs the daemon: with no link a message would be lost before it reached the queue.
 */
export function daemonSendBlock(link: DaemonLink): string | null {
  if (link === 'open') return null
  if (link === 'connecting') return 'Connecting to the Wren daemon…'
  return 'The Wren daemon is not running: sending is paused until it is back'
}

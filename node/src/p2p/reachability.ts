/**
 * Is a device reachable right now, and how: a direct connection, one through a relay (limited
 * by the relay's caps), or none. `dialDevice` returns the outcome as a value.
 */

import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT_MS } from './constants.ts'

export type ConnectionKind = 'direct' | 'relayed' | 'none'

/**
 * How one connection carries bytes: 'relayed' through a circuit relay (limited by the relay's
 * caps), 'webrtc' directly between the two devices (the relay only carried the SDP handshake),
 * or 'direct' over TCP/WebSockets.
 */
export type ConnectionPath = 'direct' | 'webrtc' | 'relayed'

export function connectionPath(connection: Pick<Connection, 'remoteAddr' | 'limits'>): ConnectionPath {
  const names = connection.remoteAddr.getComponents().map((c) => c.name)
  if (names.includes('webrtc') && connection.limits == null) return 'webrtc'
  if (names.includes('p2p-circuit') || connection.limits != null) return 'relayed'
  return 'direct'
}

export interface ConnectionSummary {
  peerId: string
  path: ConnectionPath
  remoteAddr: string
}

/** The open connections of the node, one entry per connection (for status and diagnostics). */
export function describeConnections(libp2p: Libp2p): ConnectionSummary[] {
  return libp2p
    .getConnections()
    .filter((c) => c.status === 'open')
    .map((c) => ({
      peerId: c.remotePeer.toString(),
      path: connectionPath(c),
      remoteAddr: c.remoteAddr.toString(),
    }))
}

function openConnections(libp2p: Libp2p, peerId: PeerId): Connection[] {
  return libp2p.getConnections(peerId).filter((c) => c.status === 'open')
}

export function isConnected(libp2p: Libp2p, peerId: PeerId): boolean {
  return openConnections(libp2p, peerId).length > 0
}

/** 'direct' when any open connection has no relay limits, 'relayed' when all are limited. */
export function connectionKind(libp2p: Libp2p, peerId: PeerId): ConnectionKind {
  const open = openConnections(libp2p, peerId)
  if (open.length === 0) return 'none'
  return open.some((c) => c.limits == null) ? 'direct' : 'relayed'
}

export type DialResult =
  | { ok: true; kind: 'direct' | 'relayed'; connection: Connection }
  | { ok: false; reason: 'timeout' | 'unreachable'; detail: string }

/**
 * Connect to a device. Known addresses (e.g. from a bundle's mailbox hints or a contact card)
 * are merged into the peer store first so libp2p can pick among them and those it already has.
 */
export async function dialDevice(
  libp2p: Libp2p,
  peerId: PeerId,
  addrs: Multiaddr[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<DialResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DIAL_TIMEOUT_MS)
  const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
  // an open connection, relayed ones included, is used as it is: libp2p's dial would ignore a
  // relayed one and dial every address again (request-response upgrades in the background)
  const open = libp2p.getConnections(peerId).filter((c) => c.status === 'open')
  const existing = open.find((c) => c.limits == null) ?? open[0]
  if (existing !== undefined && addrs.length === 0) {
    return { ok: true, kind: existing.limits == null ? 'direct' : 'relayed', connection: existing }
  }
  try {
    if (addrs.length > 0) await libp2p.peerStore.merge(peerId, { multiaddrs: addrs }, { signal })
    const connection = await libp2p.dial(peerId, { signal })
    return { ok: true, kind: connection.limits == null ? 'direct' : 'relayed', connection }
  } catch (err) {
    if (signal.aborted) return { ok: false, reason: 'timeout', detail: 'dial did not complete in time' }
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    return { ok: false, reason: 'unreachable', detail }
  }
}

/**
 * The relay's peer guard: a peer that keeps going over the relay's limits (mailbox deposit,
 * fetch and claim buckets, blob requests, TURN credentials) or sends malformed frames collects
 * strikes; out of strikes it is disconnected and its connections are refused (the connection
 * gater below) for RELAY_DENY_DURATION_MS. The user node has the same guard for its own
 * protocols (node/src/p2p/peer-guard.ts); relay-node imports core only, so this one stands
 * alone, on core's RateLimiter. Counters per protocol go to the Prometheus endpoint.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Clock } from '../../core/src/crypto/suite.ts'
import { refusingGater } from '../../core/src/refusing-gater.ts'
import {
  RELAY_DENY_DURATION_MS,
  RELAY_MALFORMED_STRIKE,
  RELAY_MAX_DENIED_PEERS,
  RELAY_STRIKE_LIMIT,
  RELAY_THROTTLED_STRIKE,
} from './constants.ts'
import { RateLimiter } from './rate-limiter.ts'

export interface GuardCounters {
  /** Requests refused because the peer was over a limit. */
  throttled: number
  /** Malformed, truncated or oversized frames. */
  malformed: number
  /** Peers disconnected and refused because of what they did on this protocol. */
  disconnected: number
  /** Streams refused because the peer was already refused. */
  refused: number
}

export interface RelayPeerGuardInit {
  clock?: Clock
  strikes?: { burst: number; ratePerSecond: number }
  denyDurationMs?: number
  maxDeniedPeers?: number
  /** Told when a peer is disconnected and refused (for logs). */
  onDeny?: (peer: string, protocol: string) => void
}

export class RelayPeerGuard {
  readonly #clock: Clock
  readonly #strikes: RateLimiter
  readonly #denyDurationMs: number
  readonly #maxDenied: number
  /** peer → ms when it is let back; insertion order is expiry order. */
  readonly #denied = new Map<string, number>()
  readonly #buckets = new Map<string, RateLimiter>()
  readonly #counters = new Map<string, GuardCounters>()
  readonly #onDeny: RelayPeerGuardInit['onDeny']
  #hangUp: ((peer: PeerId) => Promise<void>) | null = null
  #refusedConnections = 0

  constructor(init: RelayPeerGuardInit = {}) {
    this.#clock = init.clock ?? Date.now
    this.#strikes = new RateLimiter({ ...(init.strikes ?? RELAY_STRIKE_LIMIT), clock: this.#clock })
    this.#denyDurationMs = init.denyDurationMs ?? RELAY_DENY_DURATION_MS
    this.#maxDenied = init.maxDeniedPeers ?? RELAY_MAX_DENIED_PEERS
    this.#onDeny = init.onDeny
  }

  /** How a peer is disconnected (the host's hangUp); until then a denied peer is only refused. */
  attach(hangUp: (peer: PeerId) => Promise<void>): void {
    this.#hangUp = hangUp
  }

  /** Whether `peer` may open a stream on `protocol` now (false: refused, counted, disconnected). */
  open(protocol: string, peer: PeerId): boolean {
    if (!this.denied(peer)) return true
    this.#count(protocol).refused++
    this.#disconnect(peer)
    return false
  }

  /** Take a token of `protocol`'s own bucket (`limit`); over it the peer is throttled and struck. */
  admit(protocol: string, peer: PeerId, limit: { burst: number; ratePerSecond: number }): boolean {
    if (!this.open(protocol, peer)) return false
    let bucket = this.#buckets.get(protocol)
    if (bucket === undefined) {
      bucket = new RateLimiter({ ...limit, clock: this.#clock })
      this.#buckets.set(protocol, bucket)
    }
    if (bucket.take(peer.toString()).allowed) return true
    this.throttled(protocol, peer)
    return false
  }

  /** A limiter of the service refused `peer` a request on `protocol`. */
  throttled(protocol: string, peer: PeerId, requests = 1): void {
    this.#count(protocol).throttled += requests
    this.#strike(protocol, peer, RELAY_THROTTLED_STRIKE * requests)
  }

  /** `peer` sent a malformed, truncated or oversized frame on `protocol`. */
  malformed(protocol: string, peer: PeerId): void {
    this.#count(protocol).malformed++
    this.#strike(protocol, peer, RELAY_MALFORMED_STRIKE)
  }

  denied(peer: PeerId): boolean {
    const key = peer.toString()
    const until = this.#denied.get(key)
    if (until === undefined) return false
    if (until > this.#clock()) return true
    this.#denied.delete(key)
    return false
  }

  stats(): {
    protocols: Array<{ protocol: string } & GuardCounters>
    deniedPeers: number
    refusedConnections: number
  } {
    return {
      protocols: [...this.#counters].map(([protocol, c]) => ({ protocol, ...c })),
      deniedPeers: this.#denied.size,
      refusedConnections: this.#refusedConnections,
    }
  }

  /** A connection gater that refuses denied peers, in front of `inner`. */
  gater(inner: ConnectionGater = {}): ConnectionGater {
    const refuse = (peer: PeerId): boolean => {
      if (!this.denied(peer)) return false
      this.#refusedConnections++
      return true
    }
    return refusingGater(refuse, inner)
  }

  #strike(protocol: string, peer: PeerId, cost: number): void {
    const key = peer.toString()
    if (this.denied(peer)) return // requests in flight when it was refused are no second offence
    if (this.#strikes.take(key, cost).allowed) return
    this.#strikes.forget(key)
    this.#denied.set(key, this.#clock() + this.#denyDurationMs)
    while (this.#denied.size > this.#maxDenied) {
      const first = this.#denied.keys().next().value
      if (first === undefined) break
      this.#denied.delete(first)
    }
    this.#count(protocol).disconnected++
    this.#onDeny?.(key, protocol)
    this.#disconnect(peer)
  }

  #disconnect(peer: PeerId): void {
    void this.#hangUp?.(peer).catch(() => {})
  }

  #count(protocol: string): GuardCounters {
    let c = this.#counters.get(protocol)
    if (c === undefined) {
      c = { throttled: 0, malformed: 0, disconnected: 0, refused: 0 }
      this.#counters.set(protocol, c)
    }
    return c
  }
}

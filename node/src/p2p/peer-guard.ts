/**
 * Per-peer limits on every protocol the node serves. Each protocol has a token bucket per remote
 * peer (its own limit, or DEFAULT_PEER_LIMIT); a request over it is refused (the stream closes)
 * and costs the peer a strike, a malformed or oversized frame costs more. A peer out of strikes
 * is disconnected and refused (the connection gater below) for DENY_DURATION_MS. Counters per
 * protocol (throttled, malformed, disconnected, refused) are what `wren status` shows.
 *
 * The guard is created with the host (host.ts) and reachable as `libp2p.services.peerGuard`;
 * `handleRequests` (request-response.ts) applies it to every protocol served through it.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Clock } from '../../../core/src/crypto/suite.ts'
import { RateLimiter } from '../../../core/src/rate-limiter.ts'
import { refusingGater } from '../../../core/src/refusing-gater.ts'
import {
  DEFAULT_PEER_LIMIT,
  DENY_DURATION_MS,
  MALFORMED_STRIKE,
  MAX_DENIED_PEERS,
  PEER_STRIKE_LIMIT,
  THROTTLED_STRIKE,
  UNWANTED_STRIKE,
} from './constants.ts'
import { Denylist } from './denylist.ts'

/** A token bucket: `burst` requests at once, then `ratePerSecond`. */
export interface PeerLimit {
  readonly burst: number
  readonly ratePerSecond: number
}

/** What happened on one protocol since the node started. */
export interface ProtocolLimitCounters {
  /** Requests refused because the peer was over its limit on this protocol. */
  throttled: number
  /** Malformed, truncated, oversized or forged frames (nothing in them was for us). */
  malformed: number
  /** Well-formed requests for something that is not there for the peer (e.g. a file never sent to it). */
  unwanted: number
  /** Peers disconnected and refused because of what they did on this protocol. */
  disconnected: number
  /** Requests (and connections) refused because the peer was already refused. */
  refused: number
}

export interface PeerGuardStats {
  protocols: Array<{ protocol: string } & ProtocolLimitCounters>
  /** Peers refused now. */
  deniedPeers: number
  /** Connections refused by the gater since start. */
  refusedConnections: number
}

export interface PeerGuardInit {
  clock?: Clock
  defaultLimit?: PeerLimit
  strikes?: PeerLimit
  denyDurationMs?: number
  maxDeniedPeers?: number
  /** Told when a peer is disconnected and refused (for logs). */
  onDeny?: (peer: PeerId, protocol: string) => void
}

export class PeerGuard {
  readonly #clock: Clock
  readonly #defaultLimit: PeerLimit
  readonly #limits = new Map<string, PeerLimit>()
  readonly #buckets = new Map<string, RateLimiter>()
  readonly #strikes: RateLimiter
  readonly #denylist: Denylist
  readonly #counters = new Map<string, ProtocolLimitCounters>()
  readonly #onDeny: ((peer: PeerId, protocol: string) => void) | undefined
  #refusedConnections = 0
  #hangUp: ((peer: PeerId) => Promise<void>) | null = null

  constructor(init: PeerGuardInit = {}) {
    this.#clock = init.clock ?? Date.now
    this.#defaultLimit = init.defaultLimit ?? DEFAULT_PEER_LIMIT
    const strikes = init.strikes ?? PEER_STRIKE_LIMIT
    this.#strikes = new RateLimiter({ ...strikes, clock: this.#clock })
    this.#denylist = new Denylist({
      clock: this.#clock,
      durationMs: init.denyDurationMs ?? DENY_DURATION_MS,
      maxPeers: init.maxDeniedPeers ?? MAX_DENIED_PEERS,
    })
    this.#onDeny = init.onDeny
  }

  /** How a peer is disconnected (the host's `hangUp`); until then a denied peer is only refused. */
  attach(hangUp: (peer: PeerId) => Promise<void>): void {
    this.#hangUp = hangUp
  }

  /** Set `protocol`'s per-peer limit (before its first request; later calls replace it). */
  limit(protocol: string, limit: PeerLimit): void {
    this.#limits.set(protocol, limit)
    this.#buckets.delete(protocol)
  }

  /**
   * Take one request's token: true when `peer` may be served now. False when it is refused or
   * over its limit (counted; a peer that runs out of strikes is disconnected and refused).
   */
  admit(protocol: string, peer: PeerId): boolean {
    const key = peer.toString()
    if (this.#denylist.has(key)) {
      this.#count(protocol).refused++
      this.#disconnect(peer)
      return false
    }
    if (this.#bucket(protocol).take(key).allowed) return true
    this.#count(protocol).throttled++
    this.#strike(protocol, peer, THROTTLED_STRIKE)
    return false
  }

  /** `peer` sent a malformed, truncated or oversized frame on `protocol` (its stream is closed). */
  malformed(protocol: string, peer: PeerId): void {
    this.#count(protocol).malformed++
    this.#strike(protocol, peer, MALFORMED_STRIKE)
  }

  /** `peer` asked on `protocol` for something that is not there for it (answered, but counted). */
  unwanted(protocol: string, peer: PeerId): void {
    this.#count(protocol).unwanted++
    this.#strike(protocol, peer, UNWANTED_STRIKE)
  }

  /** Whether `peer` is refused now. */
  denied(peer: PeerId): boolean {
    return this.#denylist.has(peer.toString())
  }

  stats(): PeerGuardStats {
    return {
      protocols: [...this.#counters].map(([protocol, c]) => ({ protocol, ...c })),
      deniedPeers: this.#denylist.size,
      refusedConnections: this.#refusedConnections,
    }
  }

  /** A connection gater that refuses denied peers, in front of `inner` (which may refuse more). */
  gater(inner: ConnectionGater = {}): ConnectionGater {
    const refuse = (peer: PeerId): boolean => {
      if (!this.denied(peer)) return false
      this.#refusedConnections++
      return true
    }
    return refusingGater(refuse, inner)
  }

  #bucket(protocol: string): RateLimiter {
    let bucket = this.#buckets.get(protocol)
    if (bucket === undefined) {
      const limit = this.#limits.get(protocol) ?? this.#defaultLimit
      bucket = new RateLimiter({ burst: limit.burst, ratePerSecond: limit.ratePerSecond, clock: this.#clock })
      this.#buckets.set(protocol, bucket)
    }
    return bucket
  }

  #strike(protocol: string, peer: PeerId, cost: number): void {
    const key = peer.toString()
    // requests that were in flight when the peer was refused are not a second offence
    if (this.#denylist.has(key)) return
    if (this.#strikes.take(key, cost).allowed) return
    this.#strikes.forget(key)
    this.#denylist.deny(key)
    this.#count(protocol).disconnected++
    this.#onDeny?.(peer, protocol)
    this.#disconnect(peer)
  }

  #disconnect(peer: PeerId): void {
    void this.#hangUp?.(peer).catch(() => {})
  }

  #count(protocol: string): ProtocolLimitCounters {
    let c = this.#counters.get(protocol)
    if (c === undefined) {
      c = { throttled: 0, malformed: 0, unwanted: 0, disconnected: 0, refused: 0 }
      this.#counters.set(protocol, c)
    }
    return c
  }
}

/** The guard of a host made by createWrenHost (absent on hosts made otherwise, e.g. attackers). */
export function peerGuardOf(libp2p: { services: unknown }): PeerGuard | undefined {
  const guard = (libp2p.services as { peerGuard?: unknown }).peerGuard
  return guard instanceof PeerGuard ? guard : undefined
}

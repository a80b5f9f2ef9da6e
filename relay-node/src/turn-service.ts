/**
 * The relay's TURN credential service, /wren/turn/1.0.0 (issue 15, "NAT"), in the libp2p service
 * shape. A Wren peer asks; the relay answers with a coturn REST-style credential (username =
 * "<expiry>:<peer id>", password = base64(HMAC-SHA1(secret, username)), valid for
 * TURN_CREDENTIAL_TTL_S) and its TURN URLs.
 *
 * Who may ask: any peer on a direct (not relayed) connection — every libp2p connection is
 * authenticated by noise, so the PeerId in the username is the asker's and the operator can trace
 * a credential to a peer. Not only peers holding a circuit reservation here: a daemon keeps its
 * mailboxes on k relays but libp2p reserves on one of them, and the reservation lands seconds
 * after connecting, so calls would find no TURN on most relays. What bounds the cost is coturn's
 * quotas (allocations per username, in all, bytes/s per allocation: config turn.*) and a token
 * bucket of credentials per peer here. Relayed (limited) connections are refused by libp2p before
 * the handler runs: the relay serves only those who reach it.
 */
import type { Connection, PeerId, Startable, Stream, StreamHandler } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { Clock } from '../../core/src/crypto/suite.ts'
import {
  MAX_TURN_REQUEST_BYTES,
  TURN_CREDENTIAL_TTL_S,
  TURN_PROTOCOL,
} from '../../core/src/turn/constants.ts'
import { turnPassword, turnUsername } from '../../core/src/turn/credentials.ts'
import {
  decodeTurnRequest,
  encodeTurnResponse,
  TURN_STATUS_DENIED,
  TURN_STATUS_MALFORMED,
  TURN_STATUS_OK,
  TURN_STATUS_RATE_LIMITED,
  TURN_STATUS_UNAVAILABLE,
  type TurnResponse,
  turnStatusName,
} from '../../core/src/turn/wire.ts'
import { TURN_MAX_INBOUND_STREAMS, TURN_REQUEST_TIMEOUT_MS } from './constants.ts'
import { type RelayLogger, silentLogger } from './logger.ts'
import type { RelayPeerGuard } from './peer-guard.ts'
import { RateLimiter } from './rate-limiter.ts'

export interface TurnServiceInit {
  /** coturn's static-auth-secret (hex, as in its config). */
  readonly secret: string
  /** TURN URLs handed out with every credential. */
  readonly urls: readonly string[]
  /** Whether coturn runs now (a dead coturn makes credentials useless: refused as unavailable). */
  readonly available: () => boolean
  readonly credentialRate: { readonly burst: number; readonly ratePerSecond: number }
  readonly ttlS?: number
  readonly clock?: Clock
  readonly requestTimeoutMs?: number
  readonly logger?: RelayLogger
  /** Counts credentials handed out (metrics). */
  readonly onIssued?: () => void
  /** The relay's peer guard: refused requests and malformed frames cost strikes (peer-guard.ts). */
  readonly guard?: RelayPeerGuard
}

export interface TurnServiceComponents {
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: Record<string, unknown>): Promise<void>
    unhandle(protocol: string): Promise<void>
  }
}

export interface TurnService extends Startable {
  /** The credential for `peer` now (also what the protocol answers with). */
  credentialFor(peer: PeerId): TurnResponse
}

class DefaultTurnService implements TurnService {
  readonly #components: TurnServiceComponents
  readonly #init: TurnServiceInit
  readonly #clock: Clock
  readonly #limiter: RateLimiter
  readonly #log: RelayLogger
  readonly #inFlight = new Set<Promise<void>>()
  #started = false

  constructor(components: TurnServiceComponents, init: TurnServiceInit) {
    this.#components = components
    this.#init = init
    this.#clock = init.clock ?? Date.now
    this.#limiter = new RateLimiter({ ...init.credentialRate, clock: this.#clock })
    this.#log = init.logger ?? silentLogger
  }

  readonly [Symbol.toStringTag] = '@wren/turn-service'

  async start(): Promise<void> {
    await this.#components.registrar.handle(
      TURN_PROTOCOL,
      (stream: Stream, connection: Connection) => {
        const job = this.#handle(stream, connection).finally(() => this.#inFlight.delete(job))
        this.#inFlight.add(job)
      },
      { maxInboundStreams: TURN_MAX_INBOUND_STREAMS, runOnLimitedConnection: false },
    )
    this.#started = true
  }

  async stop(): Promise<void> {
    this.#started = false
    await this.#components.registrar.unhandle(TURN_PROTOCOL)
    await Promise.allSettled([...this.#inFlight])
  }

  isStarted(): boolean {
    return this.#started
  }

  credentialFor(peer: PeerId): TurnResponse {
    if (!this.#init.available()) return { status: TURN_STATUS_UNAVAILABLE, retryAfterMs: 0 }
    const decision = this.#limiter.take(peer.toString())
    if (!decision.allowed) return { status: TURN_STATUS_RATE_LIMITED, retryAfterMs: decision.retryAfterMs }
    const expiresAtS = Math.floor(this.#clock() / 1000) + (this.#init.ttlS ?? TURN_CREDENTIAL_TTL_S)
    const username = turnUsername(expiresAtS, peer.toString())
    this.#init.onIssued?.()
    return {
      status: TURN_STATUS_OK,
      username,
      password: turnPassword(this.#init.secret, username),
      expiresAtS,
      urls: this.#init.urls,
    }
  }

  async #handle(stream: Stream, connection: Connection): Promise<void> {
    const guard = this.#init.guard
    if (guard !== undefined && !guard.open(TURN_PROTOCOL, connection.remotePeer)) {
      stream.abort(new Error('refused'))
      return
    }
    const signal = AbortSignal.timeout(this.#init.requestTimeoutMs ?? TURN_REQUEST_TIMEOUT_MS)
    const lp = lpStream(stream, { maxDataLength: MAX_TURN_REQUEST_BYTES })
    try {
      let response: TurnResponse
      try {
        decodeTurnRequest((await lp.read({ signal })).subarray())
        response =
          connection.limits !== undefined
            ? { status: TURN_STATUS_DENIED, retryAfterMs: 0 }
            : this.credentialFor(connection.remotePeer)
      } catch (err) {
        const name = (err as Error)?.name
        if (name !== 'InvalidDataLengthError' && name !== 'DecodeError') throw err
        guard?.malformed(TURN_PROTOCOL, connection.remotePeer)
        response = { status: TURN_STATUS_MALFORMED, retryAfterMs: 0 }
      }
      if (response.status === TURN_STATUS_RATE_LIMITED) guard?.throttled(TURN_PROTOCOL, connection.remotePeer)
      if (response.status !== TURN_STATUS_OK)
        this.#log.debug('turn.refused', { reason: turnStatusName(response.status) })
      await lp.write(encodeTurnResponse(response), { signal })
      await stream.close({ signal })
    } catch (err) {
      this.#log.debug('turn.stream_aborted', { err })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

export function turnService(init: TurnServiceInit): (components: TurnServiceComponents) => TurnService {
  return (components) => new DefaultTurnService(components, init)
}

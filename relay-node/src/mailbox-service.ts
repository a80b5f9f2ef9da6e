/**
 * The relay's mailbox service, /wren/mailbox/1.0.0, in the libp2p service shape:
 * `mailboxService(init)` returns `(components) => MailboxService`, a Startable that registers the
 * protocol handler. One length-prefixed request → one response per stream. Every refusal is a
 * status code; the relay never learns plaintext, user ids or senders beyond their PeerId/address.
 *
 * The operations themselves (one per request kind) are in mailbox-operations.ts.
 *
 * Concurrency: every operation that changes one inbox (register, deposit, ack, upload, claim,
 * sweep) runs under that inbox's lock, so counters, quotas, duplicate detection and the
 * at-most-once hand-out of prekeys hold under concurrent streams from many connections.
 */
import type { Connection, PeerId, PrivateKey, Startable, Stream, StreamHandler } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { fromHex, toHex } from '../../core/src/bytes.ts'
import type { Clock, CryptoSuite, Random } from '../../core/src/crypto/suite.ts'
import {
  MAILBOX_MAX_ENVELOPE_BYTES,
  MAILBOX_PROTOCOL,
  MAILBOX_REQUEST_TIMEOUT_MS,
  MAILBOX_TTL_MS,
  MAX_REQUEST_BYTES,
} from '../../core/src/mailbox/constants.ts'
import { decodeMailboxRequest, type MailboxRequest } from '../../core/src/mailbox/request.ts'
import {
  encodeMailboxResponse,
  type MailboxQuotas,
  type MailboxResponse,
} from '../../core/src/mailbox/response.ts'
import {
  KIND_ACK,
  KIND_CHALLENGE,
  KIND_CLAIM_PREKEY,
  KIND_DEPOSIT,
  KIND_DEPOSIT_BATCH,
  KIND_FETCH,
  KIND_REGISTER,
  KIND_UPLOAD_PREKEYS,
  STATUS_INTERNAL,
  STATUS_MALFORMED,
  STATUS_OK,
  STATUS_RATE_LIMITED,
  STATUS_TOO_LARGE,
  statusName,
} from '../../core/src/mailbox/status.ts'
import { ChallengeStore } from './challenge-store.ts'
import {
  DEFAULT_CLAIM_BURST,
  DEFAULT_CLAIM_RATE_PER_SECOND,
  DEFAULT_DEPOSIT_BURST,
  DEFAULT_DEPOSIT_RATE_PER_SECOND,
  DEFAULT_INBOX_CLAIM_BURST,
  DEFAULT_INBOX_CLAIM_RATE_PER_SECOND,
  DEFAULT_MAX_BYTES_PER_INBOX,
  DEFAULT_MAX_ENVELOPES_PER_INBOX,
  DEFAULT_MAX_INBOXES,
  DEFAULT_MAX_PREKEYS_PER_INBOX,
  DEFAULT_OWNER_BURST,
  DEFAULT_OWNER_RATE_PER_SECOND,
  DEFAULT_SWEEP_INTERVAL_MS,
  MAILBOX_MAX_INBOUND_STREAMS,
  MAILBOX_MAX_OUTBOUND_STREAMS,
} from './constants.ts'
import { KeyedLock } from './keyed-lock.ts'
import { type RelayLogger, silentLogger } from './logger.ts'
import { MailboxOperations, type Outcome, refuse } from './mailbox-operations.ts'
import type { MailboxStore } from './mailbox-store.ts'
import type { MailboxMetrics } from './metrics.ts'
import { OwnerNotifier } from './owner-notifier.ts'
import type { RelayPeerGuard } from './peer-guard.ts'
import { RateLimiter } from './rate-limiter.ts'

export interface RateLimitConfig {
  /** Bucket capacity, requests. */
  burst: number
  /** Refill, requests per second. */
  ratePerSecond: number
}

export interface MailboxServiceInit {
  store: MailboxStore
  suite: CryptoSuite
  /** Defaults to Date.now; tests inject a manual clock (TTL, challenge expiry, rate refill). */
  clock?: Clock
  /** Challenge nonces; defaults to suite.randomBytes. */
  random?: Random
  maxEnvelopesPerInbox?: number
  maxBytesPerInbox?: number
  maxPrekeysPerInbox?: number
  maxEnvelopeBytes?: number
  maxInboxes?: number
  ttlMs?: number
  depositRate?: RateLimitConfig
  claimRate?: RateLimitConfig
  /** One-time prekeys one inbox hands out, whoever claims (DEFAULT_INBOX_CLAIM_*). */
  inboxClaimRate?: RateLimitConfig
  ownerRate?: RateLimitConfig
  /** 0 disables the periodic sweep (call sweep() yourself). */
  sweepIntervalMs?: number
  requestTimeoutMs?: number
  logger?: RelayLogger
  metrics?: MailboxMetrics
  /** The relay's peer guard: floods are disconnected and refused (peer-guard.ts). */
  guard?: RelayPeerGuard
}

/** What the service needs from libp2p (a subset of its components). */
export interface MailboxServiceComponents {
  peerId: PeerId
  privateKey: PrivateKey
  registrar: {
    handle(protocol: string, handler: StreamHandler, options?: Record<string, unknown>): Promise<void>
    unhandle(protocol: string): Promise<void>
  }
  /** The open connections to a peer (owners are notified of new mail on theirs; none dialled). */
  connectionManager: { getConnections(peer?: PeerId): Connection[] }
}

export interface MailboxService extends Startable {
  readonly quotas: MailboxQuotas
  /** Delete every envelope whose TTL has passed (by the injected clock); returns how many. */
  sweep(): Promise<number>
}

class DefaultMailboxService implements MailboxService {
  readonly quotas: MailboxQuotas
  readonly #components: MailboxServiceComponents
  readonly #store: MailboxStore
  readonly #suite: CryptoSuite
  readonly #clock: Clock
  readonly #maxInboxes: number
  readonly #sweepIntervalMs: number
  readonly #timeoutMs: number
  readonly #log: RelayLogger
  readonly #metrics?: MailboxMetrics
  readonly #challenges: ChallengeStore
  readonly #depositLimiter: RateLimiter
  readonly #claimLimiter: RateLimiter
  readonly #ownerLimiter: RateLimiter
  readonly #locks = new KeyedLock()
  readonly #ops: MailboxOperations
  readonly #notifier: OwnerNotifier
  readonly #inFlight = new Set<Promise<void>>()
  #relayPeerId: Uint8Array = new Uint8Array(0)
  #sweepTimer?: ReturnType<typeof setInterval>
  #sweeping?: Promise<number>
  #started = false
  readonly #guard: RelayPeerGuard | undefined

  constructor(components: MailboxServiceComponents, init: MailboxServiceInit) {
    this.#components = components
    this.#guard = init.guard
    this.#store = init.store
    this.#suite = init.suite
    this.#clock = init.clock ?? Date.now
    this.quotas = Object.freeze({
      maxEnvelopes: init.maxEnvelopesPerInbox ?? DEFAULT_MAX_ENVELOPES_PER_INBOX,
      maxBytes: init.maxBytesPerInbox ?? DEFAULT_MAX_BYTES_PER_INBOX,
      ttlMs: init.ttlMs ?? MAILBOX_TTL_MS,
      maxEnvelopeBytes: Math.min(
        init.maxEnvelopeBytes ?? MAILBOX_MAX_ENVELOPE_BYTES,
        MAILBOX_MAX_ENVELOPE_BYTES,
      ),
      maxPrekeys: init.maxPrekeysPerInbox ?? DEFAULT_MAX_PREKEYS_PER_INBOX,
    })
    this.#maxInboxes = init.maxInboxes ?? DEFAULT_MAX_INBOXES
    this.#sweepIntervalMs = init.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS
    this.#timeoutMs = init.requestTimeoutMs ?? MAILBOX_REQUEST_TIMEOUT_MS
    this.#log = init.logger ?? silentLogger
    this.#metrics = init.metrics
    this.#challenges = new ChallengeStore({
      clock: this.#clock,
      random: init.random ?? init.suite.randomBytes,
    })
    const limiter = (rate: RateLimitConfig | undefined, burst: number, perSecond: number) =>
      new RateLimiter({
        burst: rate?.burst ?? burst,
        ratePerSecond: rate?.ratePerSecond ?? perSecond,
        clock: this.#clock,
      })
    this.#depositLimiter = limiter(init.depositRate, DEFAULT_DEPOSIT_BURST, DEFAULT_DEPOSIT_RATE_PER_SECOND)
    this.#claimLimiter = limiter(init.claimRate, DEFAULT_CLAIM_BURST, DEFAULT_CLAIM_RATE_PER_SECOND)
    this.#ownerLimiter = limiter(init.ownerRate, DEFAULT_OWNER_BURST, DEFAULT_OWNER_RATE_PER_SECOND)
    const inboxClaims = limiter(
      init.inboxClaimRate,
      DEFAULT_INBOX_CLAIM_BURST,
      DEFAULT_INBOX_CLAIM_RATE_PER_SECOND,
    )
    this.#ops = new MailboxOperations({
      store: this.#store,
      suite: this.#suite,
      clock: this.#clock,
      quotas: this.quotas,
      maxInboxes: this.#maxInboxes,
      timeoutMs: this.#timeoutMs,
      log: this.#log,
      metrics: this.#metrics,
      challenges: this.#challenges,
      locks: this.#locks,
      sign: (data) => components.privateKey.sign(data),
      relayPeerId: () => this.#relayPeerId,
      inboxClaims,
    })
    this.#notifier = new OwnerNotifier({
      getConnections: (peer) => components.connectionManager.getConnections(peer),
      clock: this.#clock,
      log: this.#log,
    })
  }

  readonly [Symbol.toStringTag] = '@wren/mailbox-service'

  async start(): Promise<void> {
    this.#relayPeerId = this.#components.peerId.toMultihash().bytes
    await this.#components.registrar.handle(
      MAILBOX_PROTOCOL,
      (stream, connection) => this.#track(stream, connection),
      {
        maxInboundStreams: MAILBOX_MAX_INBOUND_STREAMS,
        maxOutboundStreams: MAILBOX_MAX_OUTBOUND_STREAMS,
        runOnLimitedConnection: false,
      },
    )
    if (this.#sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => {
        this.sweep().catch((err) => this.#log.error('sweep.failed', { err }))
      }, this.#sweepIntervalMs)
      this.#sweepTimer.unref()
    }
    this.#started = true
  }

  /** Stop taking requests and wait for the ones in flight, so the store can close cleanly. */
  async stop(): Promise<void> {
    this.#started = false
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer)
    await this.#components.registrar.unhandle(MAILBOX_PROTOCOL)
    await Promise.allSettled([...this.#inFlight, this.#sweeping])
  }

  isStarted(): boolean {
    return this.#started
  }

  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined
    })
    return this.#sweeping
  }

  async #sweep(): Promise<number> {
    const now = this.#clock()
    let removed = 0
    for (;;) {
      const entries = await this.#store.expiredEntries(now)
      if (entries.length === 0) break
      const byInbox = new Map<string, typeof entries>()
      for (const entry of entries)
        byInbox.set(entry.inboxHex, [...(byInbox.get(entry.inboxHex) ?? []), entry])
      for (const [inboxHex, list] of byInbox) {
        removed += await this.#locks.run(inboxHex, async () => {
          const inbox = await this.#store.getInbox(fromHex(inboxHex))
          let deleted = 0
          if (inbox !== undefined)
            deleted = (
              await this.#store.deleteSeqs(
                inbox,
                list.map((e) => e.seq),
              )
            ).deleted
          for (const entry of list) await this.#store.dropIndexEntry(entry.key)
          return deleted
        })
      }
    }
    if (removed > 0) {
      this.#metrics?.expiredEnvelopes.inc({}, removed)
      this.#log.info('sweep.expired', { envelopes: removed })
    }
    return removed
  }

  #track(stream: Stream, connection: Connection): void {
    const job = this.#handle(stream, connection).finally(() => this.#inFlight.delete(job))
    this.#inFlight.add(job)
  }

  async #handle(stream: Stream, connection: Connection): Promise<void> {
    const guard = this.#guard
    if (guard !== undefined && !guard.open(MAILBOX_PROTOCOL, connection.remotePeer)) {
      stream.abort(new Error('refused'))
      return
    }
    const signal = AbortSignal.timeout(this.#timeoutMs)
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    const peer = connection.remotePeer.toString()
    let requestId = 0
    let outcome: Outcome
    try {
      let request: MailboxRequest | undefined
      try {
        const bytes = await lp.read({ signal })
        request = decodeMailboxRequest(bytes.subarray())
        requestId = request.requestId
      } catch (err) {
        if ((err as Error)?.name === 'InvalidDataLengthError') outcome = refuse(STATUS_TOO_LARGE)
        else if ((err as Error)?.name === 'DecodeError') outcome = refuse(STATUS_MALFORMED)
        else throw err
      }
      if (request !== undefined) {
        try {
          outcome = await this.#dispatch(request, peer)
        } catch (err) {
          this.#log.error('request.failed', { kind: request.kind, err })
          outcome = refuse(STATUS_INTERNAL)
        }
      }
      outcome ??= refuse(STATUS_INTERNAL)
      if (outcome.status !== STATUS_OK) this.#metrics?.rejections.inc({ reason: statusName(outcome.status) })
      if (outcome.status === STATUS_RATE_LIMITED) guard?.throttled(MAILBOX_PROTOCOL, connection.remotePeer)
      else if (outcome.status === STATUS_MALFORMED || outcome.status === STATUS_TOO_LARGE)
        guard?.malformed(MAILBOX_PROTOCOL, connection.remotePeer)
      const response: MailboxResponse = {
        requestId,
        status: outcome.status,
        retryAfterMs: outcome.retryAfterMs ?? 0,
        ...outcome.body,
      }
      await lp.write(encodeMailboxResponse(response), { signal })
      await stream.close({ signal })
    } catch (err) {
      this.#log.debug('stream.aborted', { err })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async #dispatch(request: MailboxRequest, peer: string): Promise<Outcome> {
    switch (request.kind) {
      case KIND_CHALLENGE:
        return this.#rateLimited('owner', this.#ownerLimiter, peer) ?? this.#ops.challenge(peer)
      case KIND_REGISTER:
        return this.#rateLimited('owner', this.#ownerLimiter, peer) ?? this.#ops.register(request, peer)
      case KIND_DEPOSIT: {
        const outcome =
          this.#rateLimited('deposit', this.#depositLimiter, peer) ?? (await this.#ops.deposit(request))
        if (outcome.status === STATUS_OK) this.#notifier.deposited(toHex(request.inboxId))
        return outcome
      }
      case KIND_DEPOSIT_BATCH: {
        // one token per envelope: a batch is as many deposits, sent in one exchange
        const outcome =
          this.#rateLimited('deposit', this.#depositLimiter, peer, request.envelopes.length) ??
          (await this.#ops.depositBatch(request))
        if (outcome.status === STATUS_OK) this.#notifier.deposited(toHex(request.inboxId))
        return outcome
      }
      case KIND_FETCH: {
        const outcome =
          this.#rateLimited('owner', this.#ownerLimiter, peer) ?? (await this.#ops.fetch(request, peer))
        if (outcome.status === STATUS_OK) this.#notifier.ownerSeen(toHex(request.inboxId), peer)
        return outcome
      }
      case KIND_ACK:
        return this.#rateLimited('owner', this.#ownerLimiter, peer) ?? this.#ops.ack(request, peer)
      case KIND_UPLOAD_PREKEYS:
        return this.#rateLimited('owner', this.#ownerLimiter, peer) ?? this.#ops.uploadPrekeys(request, peer)
      case KIND_CLAIM_PREKEY:
        return this.#rateLimited('claim', this.#claimLimiter, peer) ?? this.#ops.claimPrekey(request)
    }
  }

  #rateLimited(name: string, limiter: RateLimiter, peer: string, tokens = 1): Outcome | undefined {
    const decision = limiter.take(peer, tokens)
    if (decision.allowed) return undefined
    this.#metrics?.rateLimited.inc({ limiter: name }, tokens)
    return refuse(STATUS_RATE_LIMITED, decision.retryAfterMs)
  }
}

export function mailboxService(
  init: MailboxServiceInit,
): (components: MailboxServiceComponents) => MailboxService {
  return (components) => new DefaultMailboxService(components, init)
}

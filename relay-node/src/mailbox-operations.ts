/**
 * The relay's mailbox operations, one per request kind: challenge, register, deposit (with a
 * signed storage receipt), fetch, ack, prekey upload and claim. Each answers with an Outcome (a
 * status, and a body when OK); owner operations check a fresh challenge signed by the inbox key.
 * Rate limiting and the stream framing are the service's (mailbox-service.ts).
 */
import type { PrivateKey } from '@libp2p/interface'
import { toHex } from '../../core/src/bytes.ts'
import type { Clock, CryptoSuite } from '../../core/src/crypto/suite.ts'
import { decodeEnvelope } from '../../core/src/envelope.ts'
import { verifyMailboxAuth } from '../../core/src/mailbox/auth.ts'
import {
  MAX_FETCH_PAGE_BYTES,
  MAX_PREKEY_ITEM_BYTES,
  RECEIPT_VERSION,
} from '../../core/src/mailbox/constants.ts'
import { decodeCursor, encodeCursor } from '../../core/src/mailbox/cursor.ts'
import { inboxIdFromPublicKey } from '../../core/src/mailbox/inbox-id.ts'
import { type MailboxReceipt, receiptSigningInput } from '../../core/src/mailbox/receipt.ts'
import type { MailboxRequest } from '../../core/src/mailbox/request.ts'
import type { MailboxQuotas, MailboxResponse } from '../../core/src/mailbox/response.ts'
import {
  KIND_ACK,
  type KIND_CLAIM_PREKEY,
  type KIND_DEPOSIT,
  type KIND_DEPOSIT_BATCH,
  KIND_FETCH,
  KIND_REGISTER,
  KIND_UPLOAD_PREKEYS,
  type MailboxStatus,
  type OwnerOperation,
  STATUS_EXHAUSTED,
  STATUS_MALFORMED,
  STATUS_OK,
  STATUS_QUOTA_BYTES,
  STATUS_QUOTA_COUNT,
  STATUS_RATE_LIMITED,
  STATUS_RELAY_FULL,
  STATUS_TOO_LARGE,
  STATUS_UNAUTHORIZED,
  STATUS_UNKNOWN_INBOX,
} from '../../core/src/mailbox/status.ts'
import type { ChallengeStore } from './challenge-store.ts'
import type { KeyedLock } from './keyed-lock.ts'
import type { RelayLogger } from './logger.ts'
import type { InboxRecord, MailboxStore } from './mailbox-store.ts'
import type { MailboxMetrics } from './metrics.ts'
import type { RateLimiter } from './rate-limiter.ts'

type Body = Omit<MailboxResponse, 'requestId' | 'status' | 'retryAfterMs'>
/** The envelope field of a hashes-only fetch answer. */
const EMPTY = new Uint8Array(0)
/** The answer to one request: a status, a retry hint when refused, a body when OK. */
export type Outcome = { status: MailboxStatus; retryAfterMs?: number; body?: Body }

export const ok = (body: Body): Outcome => ({ status: STATUS_OK, body })
export const refuse = (status: MailboxStatus, retryAfterMs = 0): Outcome => ({ status, retryAfterMs })

/** What the operations share with the service (its settings, stores and the per-inbox locks). */
export interface MailboxOperationsContext {
  readonly store: MailboxStore
  readonly suite: CryptoSuite
  readonly clock: Clock
  readonly quotas: MailboxQuotas
  readonly maxInboxes: number
  /** Request timeout, ms: the retry hint when no challenge can be issued. */
  readonly timeoutMs: number
  readonly log: RelayLogger
  readonly metrics?: MailboxMetrics
  readonly challenges: ChallengeStore
  /** The same per-inbox locks the TTL sweep takes. */
  readonly locks: KeyedLock
  /** Signs with the relay's private key (storage receipts). */
  readonly sign: PrivateKey['sign']
  /** This relay's PeerId bytes (known once the service has started). */
  readonly relayPeerId: () => Uint8Array
  /** One-time prekeys handed out per inbox (keyed by inbox id hex), whoever claims. */
  readonly inboxClaims: RateLimiter
}

export class MailboxOperations {
  readonly quotas: MailboxQuotas
  readonly #ctx: MailboxOperationsContext
  readonly #store: MailboxStore
  readonly #suite: CryptoSuite
  readonly #clock: Clock
  readonly #maxInboxes: number
  readonly #timeoutMs: number
  readonly #log: RelayLogger
  readonly #metrics?: MailboxMetrics
  readonly #challenges: ChallengeStore
  readonly #locks: KeyedLock

  constructor(ctx: MailboxOperationsContext) {
    this.#ctx = ctx
    this.quotas = ctx.quotas
    this.#store = ctx.store
    this.#suite = ctx.suite
    this.#clock = ctx.clock
    this.#maxInboxes = ctx.maxInboxes
    this.#timeoutMs = ctx.timeoutMs
    this.#log = ctx.log
    this.#metrics = ctx.metrics
    this.#challenges = ctx.challenges
    this.#locks = ctx.locks
  }

  get #relayPeerId(): Uint8Array {
    return this.#ctx.relayPeerId()
  }

  challenge(peer: string): Outcome {
    const issued = this.#challenges.issue(peer)
    if (issued === undefined) return refuse(STATUS_RATE_LIMITED, this.#timeoutMs)
    return ok({ challenge: issued })
  }

  /** Consume the nonce first (so a failed attempt burns it), then check the owner's signature. */
  #authorized(
    peer: string,
    publicKey: Uint8Array,
    inboxId: Uint8Array,
    nonce: Uint8Array,
    signature: Uint8Array,
    operation: OwnerOperation,
  ): boolean {
    if (!this.#challenges.consume(peer, nonce)) return false
    return verifyMailboxAuth(
      this.#suite,
      publicKey,
      { relayPeerId: this.#relayPeerId, inboxId, nonce, operation },
      signature,
    )
  }

  async register(
    request: Extract<MailboxRequest, { kind: typeof KIND_REGISTER }>,
    peer: string,
  ): Promise<Outcome> {
    const inboxId = inboxIdFromPublicKey(this.#suite, request.inboxPublicKey)
    if (
      !this.#authorized(
        peer,
        request.inboxPublicKey,
        inboxId,
        request.nonce,
        request.signature,
        KIND_REGISTER,
      )
    )
      return refuse(STATUS_UNAUTHORIZED)
    return this.#locks.run(toHex(inboxId), async () => {
      const existing = await this.#store.getInbox(inboxId)
      if (existing === undefined) {
        if (this.#store.totals().inboxes >= this.#maxInboxes) return refuse(STATUS_RELAY_FULL)
        await this.#store.createInbox(inboxId, request.inboxPublicKey, this.#clock())
        this.#metrics?.registrations.inc()
        this.#log.info('inbox.registered', { inbox: toHex(inboxId) })
      }
      return ok({ register: { inboxId, ...this.quotas } })
    })
  }

  async deposit(request: Extract<MailboxRequest, { kind: typeof KIND_DEPOSIT }>): Promise<Outcome> {
    const { inboxId, envelope } = request
    if (envelope.length > this.quotas.maxEnvelopeBytes) return refuse(STATUS_TOO_LARGE)
    try {
      decodeEnvelope(envelope)
    } catch {
      return refuse(STATUS_MALFORMED)
    }
    const envelopeHash = this.#suite.sha256(envelope)
    return this.#locks.run(toHex(inboxId), async () => {
      const inbox = await this.#store.getInbox(inboxId)
      if (inbox === undefined) return refuse(STATUS_UNKNOWN_INBOX)
      const existing = await this.#store.findByHash(inboxId, envelopeHash)
      if (existing !== undefined) {
        this.#metrics?.duplicateDeposits.inc()
        return ok({
          receipt: await this.#receipt(inboxId, envelopeHash, existing.storedAt, existing.expiresAt),
        })
      }
      if (inbox.envelopes >= this.quotas.maxEnvelopes) return refuse(STATUS_QUOTA_COUNT)
      if (inbox.bytes + envelope.length > this.quotas.maxBytes) return refuse(STATUS_QUOTA_BYTES)
      const storedAt = this.#clock()
      const expiresAt = storedAt + this.quotas.ttlMs
      await this.#store.putEnvelope(inbox, { hash: envelopeHash, envelope, storedAt, expiresAt })
      this.#metrics?.deposits.inc()
      return ok({ receipt: await this.#receipt(inboxId, envelopeHash, storedAt, expiresAt) })
    })
  }

  /**
   * Store a batch for one inbox in order, under one lock, stopping at the first envelope it
   * refuses (too large, malformed, over quota): the answer carries a receipt for each envelope
   * stored — a prefix of the batch — and, when it stopped early, the reason as the status (OK
   * when the whole batch is stored, or when something was stored before the refusal, so the
   * receipts count; the sender sees the shortfall and tries the rest again).
   */
  async depositBatch(
    request: Extract<MailboxRequest, { kind: typeof KIND_DEPOSIT_BATCH }>,
  ): Promise<Outcome> {
    const { inboxId, envelopes } = request
    return this.#locks.run(toHex(inboxId), async () => {
      let inbox = await this.#store.getInbox(inboxId)
      if (inbox === undefined) return refuse(STATUS_UNKNOWN_INBOX)
      const receipts: MailboxReceipt[] = []
      let stopped: MailboxStatus | null = null
      for (const envelope of envelopes) {
        if (envelope.length > this.quotas.maxEnvelopeBytes) stopped = STATUS_TOO_LARGE
        else {
          try {
            decodeEnvelope(envelope)
          } catch {
            stopped = STATUS_MALFORMED
          }
        }
        if (stopped !== null) break
        const envelopeHash = this.#suite.sha256(envelope)
        const existing = await this.#store.findByHash(inboxId, envelopeHash)
        if (existing !== undefined) {
          this.#metrics?.duplicateDeposits.inc()
          receipts.push(await this.#receipt(inboxId, envelopeHash, existing.storedAt, existing.expiresAt))
          continue
        }
        if (inbox.envelopes >= this.quotas.maxEnvelopes) stopped = STATUS_QUOTA_COUNT
        else if (inbox.bytes + envelope.length > this.quotas.maxBytes) stopped = STATUS_QUOTA_BYTES
        if (stopped !== null) break
        const storedAt = this.#clock()
        const expiresAt = storedAt + this.quotas.ttlMs
        inbox = await this.#store.putEnvelope(inbox, { hash: envelopeHash, envelope, storedAt, expiresAt })
        this.#metrics?.deposits.inc()
        receipts.push(await this.#receipt(inboxId, envelopeHash, storedAt, expiresAt))
      }
      if (receipts.length === 0 && stopped !== null) return refuse(stopped)
      return ok({ depositBatch: { receipts } })
    })
  }

  async #receipt(
    inboxId: Uint8Array,
    envelopeHash: Uint8Array,
    storedAt: number,
    expiresAt: number,
  ): Promise<MailboxReceipt> {
    const unsigned = {
      version: RECEIPT_VERSION,
      inboxId,
      envelopeHash,
      relayPeerId: this.#relayPeerId,
      storedAt,
      expiresAt,
    }
    const signature = await this.#ctx.sign(receiptSigningInput(unsigned))
    return { ...unsigned, signature }
  }

  /** Look up the inbox and check the owner proof; UNKNOWN_INBOX / UNAUTHORIZED otherwise. */
  async #owner(
    request: { inboxId: Uint8Array; nonce: Uint8Array; signature: Uint8Array },
    peer: string,
    operation: OwnerOperation,
  ): Promise<InboxRecord | Outcome> {
    const inbox = await this.#store.getInbox(request.inboxId)
    if (inbox === undefined) {
      this.#challenges.consume(peer, request.nonce)
      return refuse(STATUS_UNKNOWN_INBOX)
    }
    if (
      !this.#authorized(peer, inbox.publicKey, request.inboxId, request.nonce, request.signature, operation)
    )
      return refuse(STATUS_UNAUTHORIZED)
    return inbox
  }

  /** A page of envelopes, or of their hashes only (same page bounds: counted by envelope bytes). */
  async fetch(request: Extract<MailboxRequest, { kind: typeof KIND_FETCH }>, peer: string): Promise<Outcome> {
    const inbox = await this.#owner(request, peer, KIND_FETCH)
    if ('status' in inbox) return inbox
    const afterSeq = decodeCursor(request.cursor)
    const page = await this.#store.listEnvelopes(
      request.inboxId,
      afterSeq,
      request.limit,
      MAX_FETCH_PAGE_BYTES,
    )
    const last = page.envelopes.at(-1)
    this.#metrics?.fetches.inc()
    if (request.hashesOnly === true) this.#metrics?.hashFetches.inc()
    return ok({
      fetch: {
        envelopes: page.envelopes.map(({ hash, envelope, storedAt, expiresAt }) => ({
          hash,
          envelope: request.hashesOnly === true ? EMPTY : envelope,
          storedAt,
          expiresAt,
        })),
        nextCursor: last === undefined ? request.cursor : encodeCursor(last.seq),
        more: page.more,
        prekeysRemaining: inbox.prekeys,
      },
    })
  }

  async ack(request: Extract<MailboxRequest, { kind: typeof KIND_ACK }>, peer: string): Promise<Outcome> {
    const checked = await this.#owner(request, peer, KIND_ACK)
    if ('status' in checked) return checked
    return this.#locks.run(toHex(request.inboxId), async () => {
      const inbox = await this.#store.getInbox(request.inboxId)
      if (inbox === undefined) return refuse(STATUS_UNKNOWN_INBOX)
      const { deleted } = await this.#store.deleteByHashes(inbox, request.hashes)
      this.#metrics?.ackedEnvelopes.inc({}, deleted)
      return ok({ ack: { deleted } })
    })
  }

  async uploadPrekeys(
    request: Extract<MailboxRequest, { kind: typeof KIND_UPLOAD_PREKEYS }>,
    peer: string,
  ): Promise<Outcome> {
    const checked = await this.#owner(request, peer, KIND_UPLOAD_PREKEYS)
    if ('status' in checked) return checked
    if (request.prekeys.some((item) => item.length > MAX_PREKEY_ITEM_BYTES)) return refuse(STATUS_TOO_LARGE)
    return this.#locks.run(toHex(request.inboxId), async () => {
      let inbox = await this.#store.getInbox(request.inboxId)
      if (inbox === undefined) return refuse(STATUS_UNKNOWN_INBOX)
      if (inbox.prekeys + request.prekeys.length > this.quotas.maxPrekeys) return refuse(STATUS_QUOTA_COUNT)
      if (request.prekeys.length > 0) inbox = await this.#store.addPrekeys(inbox, request.prekeys)
      this.#metrics?.prekeyUploads.inc({}, request.prekeys.length)
      return ok({ prekeys: { accepted: request.prekeys.length, remaining: inbox.prekeys } })
    })
  }

  async claimPrekey(request: Extract<MailboxRequest, { kind: typeof KIND_CLAIM_PREKEY }>): Promise<Outcome> {
    const inboxHex = toHex(request.inboxId)
    return this.#locks.run(inboxHex, async () => {
      const inbox = await this.#store.getInbox(request.inboxId)
      if (inbox === undefined) return refuse(STATUS_UNKNOWN_INBOX)
      if (inbox.prekeys === 0) return refuse(STATUS_EXHAUSTED)
      // counted per key handed out: an empty pool costs the inbox nothing
      const decision = this.#ctx.inboxClaims.take(inboxHex)
      if (!decision.allowed) {
        this.#metrics?.rateLimited.inc({ limiter: 'inbox_claim' })
        return refuse(STATUS_RATE_LIMITED, decision.retryAfterMs)
      }
      const taken = await this.#store.takePrekey(inbox)
      if (taken === undefined) return refuse(STATUS_EXHAUSTED)
      this.#metrics?.prekeyClaims.inc()
      return ok({ claimPrekey: { prekey: taken.prekey } })
    })
  }
}

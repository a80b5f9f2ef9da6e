/**
 * The one-relay layer of the mailbox protocol (/wren/mailbox/1.0.0): register an inbox, deposit
 * with a verified receipt, fetch/ack as the owner, upload and claim one-time prekeys. Choosing
 * relays, fanning out to k mailboxes and retrying belong to the layer above.
 *
 * Every expected network outcome comes back as a value ({ ok: false, reason }), never an
 * exception, and every exchange is bounded by a timeout. Owner operations take two exchanges:
 * a fresh challenge, then the request signed with the per-inbox key.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { CODE_P2P, type Multiaddr } from '@multiformats/multiaddr'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite, KeyPair } from '../../../core/src/crypto/suite.ts'
import { signMailboxAuth } from '../../../core/src/mailbox/auth.ts'
import {
  MAILBOX_PROTOCOL,
  MAILBOX_REQUEST_TIMEOUT_MS,
  MAX_FETCH_LIMIT,
  MAX_REQUEST_BYTES,
  MAX_RESPONSE_BYTES,
} from '../../../core/src/mailbox/constants.ts'
import { inboxIdFromPublicKey } from '../../../core/src/mailbox/inbox-id.ts'
import { type MailboxReceipt, verifyReceipt } from '../../../core/src/mailbox/receipt.ts'
import { encodeMailboxRequest, type MailboxRequest } from '../../../core/src/mailbox/request.ts'
import {
  decodeMailboxResponse,
  type FetchPage,
  type MailboxQuotas,
  type MailboxResponse,
} from '../../../core/src/mailbox/response.ts'
import {
  KIND_ACK,
  KIND_CHALLENGE,
  KIND_CLAIM_PREKEY,
  KIND_DEPOSIT,
  KIND_DEPOSIT_BATCH,
  KIND_FETCH,
  KIND_REGISTER,
  KIND_UPLOAD_PREKEYS,
  type OwnerOperation,
  STATUS_OK,
  statusName,
} from '../../../core/src/mailbox/status.ts'
import { sendRequest } from '../p2p/request-response.ts'

/**
 * Why a call failed: a network outcome ('timeout', 'unreachable', 'refused' = the relay closed or
 * does not speak the protocol, 'protocol' = an unparseable or inconsistent answer, 'bad_receipt'),
 * 'too_large' locally for a request over the wire cap, or the relay's refusal by status name
 * ('malformed', 'unknown_inbox', 'quota_count', 'quota_bytes', 'rate_limited', 'unauthorized',
 * 'exhausted', 'relay_full', 'internal', 'too_large').
 */
export type MailboxFailureReason =
  | 'timeout'
  | 'unreachable'
  | 'refused'
  | 'protocol'
  | 'bad_receipt'
  | 'too_large'
  | 'malformed'
  | 'unknown_inbox'
  | 'quota_count'
  | 'quota_bytes'
  | 'rate_limited'
  | 'unauthorized'
  | 'exhausted'
  | 'relay_full'
  | 'internal'

export type MailboxResult<T> =
  | { ok: true; value: T }
  | {
      ok: false
      reason: MailboxFailureReason
      /** The relay's status code when it refused (absent for network failures). */
      status?: number
      /** With 'rate_limited': how long the relay asks us to wait, in ms. */
      retryAfterMs?: number
      detail?: string
    }

export interface MailboxRegistration {
  readonly inboxId: Uint8Array
  readonly quotas: MailboxQuotas
}

export interface MailboxClientInit {
  /** Our libp2p node (any Wren host). */
  libp2p: Libp2p
  suite: CryptoSuite
  /** The relay's PeerId; must be Ed25519 (its key signs receipts). */
  relay: PeerId
  /** Addresses to dial the relay on; otherwise the peer store / an existing connection is used. */
  addrs?: Multiaddr[]
  /** Bound on each request/response exchange, in ms. */
  timeoutMs?: number
}

type Failure = Extract<MailboxResult<never>, { ok: false }>

/** The address ending in /p2p/<relay>: added when absent; an address naming another peer is kept as is. */
function withPeerId(addr: Multiaddr, relay: PeerId): Multiaddr {
  if (addr.getComponents().some((c) => c.code === CODE_P2P)) return addr
  return addr.encapsulate(`/p2p/${relay.toString()}`)
}

/** Bytes of random request id: 48 bits stay a safe integer. */
const REQUEST_ID_BYTES = 6

export class MailboxClient {
  readonly relay: PeerId
  readonly #libp2p: Libp2p
  readonly #suite: CryptoSuite
  readonly #addrs: Multiaddr[] | undefined
  readonly #timeoutMs: number
  readonly #relayPublicKey: Uint8Array
  readonly #relayPeerIdBytes: Uint8Array

  constructor(init: MailboxClientInit) {
    if (init.relay.type !== 'Ed25519') throw new TypeError('mailbox relays must have an Ed25519 PeerId')
    this.relay = init.relay
    this.#libp2p = init.libp2p
    this.#suite = init.suite
    // With the relay's id on every address libp2p reuses an open connection to it; without,
    // each request would dial (and then drop as a duplicate) a fresh noise + yamux connection.
    this.#addrs = init.addrs?.map((addr) => withPeerId(addr, init.relay))
    this.#timeoutMs = init.timeoutMs ?? MAILBOX_REQUEST_TIMEOUT_MS
    this.#relayPublicKey = init.relay.publicKey.raw
    this.#relayPeerIdBytes = init.relay.toMultihash().bytes
  }

  /** Open (or re-confirm) the inbox of `inboxKey` (a per-inbox Ed25519 pair, secretKey = seed). */
  async register(inboxKey: KeyPair): Promise<MailboxResult<MailboxRegistration>> {
    const inboxId = inboxIdFromPublicKey(this.#suite, inboxKey.publicKey)
    const proof = await this.#prove(inboxKey, inboxId, KIND_REGISTER)
    if (!proof.ok) return proof
    const res = await this.#exchange({
      kind: KIND_REGISTER,
      requestId: this.#requestId(),
      inboxPublicKey: inboxKey.publicKey,
      nonce: proof.value.nonce,
      signature: proof.value.signature,
    })
    if (!res.ok) return res
    const body = res.value.register
    if (body === undefined || !bytesEqual(body.inboxId, inboxId))
      return protocolFailure('register answer without quotas')
    const { inboxId: _, ...quotas } = body
    return { ok: true, value: { inboxId, quotas } }
  }

  /** Deposit an envelope for anyone's inbox; the receipt is verified against the relay's key. */
  async deposit(inboxId: Uint8Array, envelope: Uint8Array): Promise<MailboxResult<MailboxReceipt>> {
    const res = await this.#exchange({ kind: KIND_DEPOSIT, requestId: this.#requestId(), inboxId, envelope })
    if (!res.ok) return res
    const receipt = res.value.receipt
    if (receipt === undefined) return protocolFailure('deposit answer without receipt')
    try {
      verifyReceipt(this.#suite, receipt, {
        relayPublicKey: this.#relayPublicKey,
        inboxId,
        envelopeHash: this.#suite.sha256(envelope),
      })
    } catch (err) {
      return { ok: false, reason: 'bad_receipt', detail: (err as Error).message }
    }
    return { ok: true, value: receipt }
  }

  /**
   * Deposit several envelopes for one inbox in one exchange (at most MAX_DEPOSIT_BATCH, in
   * order). The relay stores a prefix of them; the value is that prefix's verified receipts, in
   * order (a receipt that does not verify ends the prefix there).
   */
  async depositBatch(
    inboxId: Uint8Array,
    envelopes: readonly Uint8Array[],
  ): Promise<MailboxResult<MailboxReceipt[]>> {
    const res = await this.#exchange({
      kind: KIND_DEPOSIT_BATCH,
      requestId: this.#requestId(),
      inboxId,
      envelopes: [...envelopes],
    })
    if (!res.ok) return res
    const receipts = res.value.depositBatch?.receipts
    if (receipts === undefined) return protocolFailure('deposit batch answer without receipts')
    if (receipts.length > envelopes.length) return protocolFailure('more receipts than envelopes')
    const verified: MailboxReceipt[] = []
    for (const [i, receipt] of receipts.entries()) {
      try {
        verifyReceipt(this.#suite, receipt, {
          relayPublicKey: this.#relayPublicKey,
          inboxId,
          envelopeHash: this.#suite.sha256(envelopes[i] as Uint8Array),
        })
      } catch (err) {
        if (verified.length === 0) return { ok: false, reason: 'bad_receipt', detail: (err as Error).message }
        break
      }
      verified.push(receipt)
    }
    return { ok: true, value: verified }
  }

  /**
   * One page of envelopes after `cursor` (empty = oldest), in deposit order; hashes are checked.
   * `hashesOnly`: the relay may leave every envelope empty (hash and times only); a relay that
   * sends them anyway has them checked too. Without it, an empty envelope is a protocol failure.
   */
  async fetch(
    inboxKey: KeyPair,
    cursor: Uint8Array = new Uint8Array(0),
    limit: number = MAX_FETCH_LIMIT,
    options: { hashesOnly?: boolean } = {},
  ): Promise<MailboxResult<FetchPage>> {
    const inboxId = inboxIdFromPublicKey(this.#suite, inboxKey.publicKey)
    const proof = await this.#prove(inboxKey, inboxId, KIND_FETCH)
    if (!proof.ok) return proof
    const res = await this.#exchange({
      kind: KIND_FETCH,
      requestId: this.#requestId(),
      inboxId,
      ...proof.value,
      cursor,
      limit: Math.max(1, Math.min(limit, MAX_FETCH_LIMIT)),
      ...(options.hashesOnly === true ? { hashesOnly: true } : {}),
    })
    if (!res.ok) return res
    const page = res.value.fetch
    if (page === undefined) return protocolFailure('fetch answer without page')
    for (const stored of page.envelopes) {
      if (stored.envelope.length === 0) {
        if (options.hashesOnly === true) continue
        return protocolFailure('fetch answer without the envelope asked for')
      }
      if (!bytesEqual(this.#suite.sha256(stored.envelope), stored.hash))
        return protocolFailure('fetched envelope does not match its hash')
    }
    return { ok: true, value: page }
  }

  /** Delete fetched envelopes by hash (after they are safely persisted). */
  async ack(inboxKey: KeyPair, hashes: Uint8Array[]): Promise<MailboxResult<{ deleted: number }>> {
    const inboxId = inboxIdFromPublicKey(this.#suite, inboxKey.publicKey)
    const proof = await this.#prove(inboxKey, inboxId, KIND_ACK)
    if (!proof.ok) return proof
    const res = await this.#exchange({
      kind: KIND_ACK,
      requestId: this.#requestId(),
      inboxId,
      ...proof.value,
      hashes,
    })
    if (!res.ok) return res
    if (res.value.ack === undefined) return protocolFailure('ack answer without count')
    return { ok: true, value: res.value.ack }
  }

  /** Add opaque one-time prekey items to the inbox's pool; returns how many the relay now holds. */
  async uploadPrekeys(
    inboxKey: KeyPair,
    items: Uint8Array[],
  ): Promise<MailboxResult<{ accepted: number; remaining: number }>> {
    const inboxId = inboxIdFromPublicKey(this.#suite, inboxKey.publicKey)
    const proof = await this.#prove(inboxKey, inboxId, KIND_UPLOAD_PREKEYS)
    if (!proof.ok) return proof
    const res = await this.#exchange({
      kind: KIND_UPLOAD_PREKEYS,
      requestId: this.#requestId(),
      inboxId,
      ...proof.value,
      prekeys: items,
    })
    if (!res.ok) return res
    if (res.value.prekeys === undefined) return protocolFailure('upload answer without count')
    return { ok: true, value: res.value.prekeys }
  }

  /** Claim one one-time prekey item of someone's inbox ('exhausted' when none is left). */
  async claimPrekey(inboxId: Uint8Array): Promise<MailboxResult<Uint8Array>> {
    const res = await this.#exchange({ kind: KIND_CLAIM_PREKEY, requestId: this.#requestId(), inboxId })
    if (!res.ok) return res
    if (res.value.claimPrekey === undefined) return protocolFailure('claim answer without prekey')
    return { ok: true, value: res.value.claimPrekey.prekey }
  }

  /** Ask for a fresh challenge and sign it for `operation`. */
  async #prove(
    inboxKey: KeyPair,
    inboxId: Uint8Array,
    operation: OwnerOperation,
  ): Promise<MailboxResult<{ nonce: Uint8Array; signature: Uint8Array }>> {
    const res = await this.#exchange({ kind: KIND_CHALLENGE, requestId: this.#requestId() })
    if (!res.ok) return res
    const challenge = res.value.challenge
    if (challenge === undefined) return protocolFailure('challenge answer without nonce')
    const signature = signMailboxAuth(this.#suite, inboxKey.secretKey, {
      relayPeerId: this.#relayPeerIdBytes,
      inboxId,
      nonce: challenge.nonce,
      operation,
    })
    return { ok: true, value: { nonce: challenge.nonce, signature } }
  }

  /** One request → one response; relay refusals and network failures become values. */
  async #exchange(request: MailboxRequest): Promise<MailboxResult<MailboxResponse>> {
    const bytes = encodeMailboxRequest(request)
    if (bytes.length > MAX_REQUEST_BYTES)
      return { ok: false, reason: 'too_large', detail: `request of ${bytes.length} bytes over the wire cap` }
    const target = this.#addrs !== undefined && this.#addrs.length > 0 ? this.#addrs : this.relay
    const result = await sendRequest(this.#libp2p, target, MAILBOX_PROTOCOL, bytes, {
      timeoutMs: this.#timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    })
    if (!result.ok) return { ok: false, reason: result.reason, detail: result.detail }
    let response: MailboxResponse
    try {
      response = decodeMailboxResponse(result.response)
    } catch (err) {
      return protocolFailure((err as Error).message)
    }
    if (response.requestId !== request.requestId) return protocolFailure('response to another request')
    if (response.status !== STATUS_OK) {
      return {
        ok: false,
        reason: statusName(response.status) as MailboxFailureReason,
        status: response.status,
        retryAfterMs: response.retryAfterMs,
      }
    }
    return { ok: true, value: response }
  }

  #requestId(): number {
    const b = this.#suite.randomBytes(REQUEST_ID_BYTES)
    let n = 0
    for (const byte of b) n = n * 256 + byte
    return n
  }
}

function protocolFailure(detail: string): Failure {
  return { ok: false, reason: 'protocol', detail }
}

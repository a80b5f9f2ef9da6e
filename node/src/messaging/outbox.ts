/**
 * The outbox: delivers each peer's queued items over /wren/msg, in order, with retries and
 * backoff; deposits in the contact's relay mailboxes when it is unreachable; settles statuses
 * (sent, stored, delivered, failed) in the same write that takes items off the queue. Expected
 * network failures are values; they only move an item's retry time.
 *
 * Read-modify-writes run under the shared mutex; network waits (DHT lookups, dials, deliveries)
 * happen outside it.
 */
import {
  ENVELOPE_OVERHEAD_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_PADDED_BYTES,
  SEALED_CONTENT_OVERHEAD_BYTES,
} from '../../../core/src/constants.ts'
import { deviceDhPublicKey } from '../../../core/src/device-certificate.ts'
import { sealEnvelope } from '../../../core/src/envelope.ts'
import { paddedLength } from '../../../core/src/padding.ts'
import { sessionEncrypt } from '../../../core/src/session.ts'
import { WREN_MSG_PROTOCOL } from '../p2p/constants.ts'
import { dialDevice } from '../p2p/reachability.ts'
import { type RequestFailure, type RequestResult, sendRequest } from '../p2p/request-response.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  DELIVERY_TIMEOUT_MS,
  DEVICE_DIAL_TIMEOUT_MS,
  DIRECT_ATTEMPT_TIMEOUT_MS,
  MAX_SESSION_RESETS,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
} from './constants.ts'
import {
  DELIVERY_BATCH_BYTES,
  DELIVERY_DUPLICATE,
  DELIVERY_ENVELOPE_FRAMING_BYTES,
  DELIVERY_NO_SESSION,
  DELIVERY_OK,
  DELIVERY_REJECTED,
  DELIVERY_UNAVAILABLE,
  decodeDeliveryResponse,
  encodeDeliveryRequest,
  MAX_DELIVERY_BATCH,
} from './content.ts'
import { establishSession, mailboxHints, readBundle } from './establish.ts'
import type { MessengerContext } from './messenger-context.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import type { MessageStatus } from './records.ts'
import type { DeviceSessions } from './session-book.ts'
import type { OutboxItem } from './vault.ts'
import type { WaitingReason } from './waiting.ts'

export class Outbox {
  readonly #ctx: MessengerContext
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #flushing = new Set<string>()
  readonly #again = new Set<string>()
  /** Peers whose backoff is skipped on the next flush (they just connected). */
  readonly #kicked = new Set<string>()
  readonly #resets = new Map<string, number>()
  /** Per-peer batch budget in bytes while below DELIVERY_BATCH_BYTES (after a failed exchange). */
  readonly #batchBytes = new Map<string, number>()
  #running = false

  constructor(ctx: MessengerContext) {
    this.#ctx = ctx
  }

  /** Flushes and retry timers run from now on. */
  start(): void {
    this.#running = true
  }

  /** No new flushes or retry timers; pending timers are cleared. */
  stop(): void {
    this.#running = false
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  /** Retry a peer's outbox now (it connected, or something changed). */
  kick(peer: string): void {
    this.#kicked.add(peer)
    void this.flush(peer)
  }

  /** Deliver a peer's due items; a call during a flush of that peer makes it run once more. */
  async flush(peer: string): Promise<void> {
    if (!this.#running) return
    if (this.#flushing.has(peer)) {
      this.#again.add(peer)
      return
    }
    this.#flushing.add(peer)
    try {
      do {
        this.#again.delete(peer)
        await this.#flushOnce(peer)
      } while (this.#again.has(peer) && this.#running)
    } catch (error) {
      this.#ctx.init.log.warn('outbox flush failed', {
        error: (error as Error)?.name,
        detail: (error as Error)?.message,
      })
      this.#schedule(peer, this.#ctx.init.retryMaxMs ?? RETRY_MAX_MS)
    } finally {
      this.#flushing.delete(peer)
    }
  }

  #schedule(peer: string, delayMs: number): void {
    if (!this.#running) return
    const existing = this.#timers.get(peer)
    if (existing !== undefined) clearTimeout(existing)
    const timer = setTimeout(
      () => {
        this.#timers.delete(peer)
        void this.flush(peer)
      },
      Math.max(0, delayMs),
    )
    timer.unref?.()
    this.#timers.set(peer, timer)
    this.#ctx.waiting.schedule(peer, this.#ctx.init.now() + Math.max(0, delayMs))
  }

  async #flushOnce(peer: string): Promise<void> {
    const listed = await this.#ctx.vault.listOutbox(peer, MAX_DELIVERY_BATCH)
    const first = listed[0]
    if (first === undefined) {
      this.#ctx.waiting.clear(peer)
      return
    }
    const now = this.#ctx.init.now()
    const kicked = this.#kicked.delete(peer)
    if (!kicked && first.nextAttemptAt > now) {
      this.#schedule(peer, first.nextAttemptAt - now)
      return
    }
    const contact = await this.#ctx.vault.getContact(peer)
    if (contact === undefined) return
    if (contact.keyChanged) {
      this.#ctx.waiting.record(peer, 'key-changed') // held until the key change is accepted
      return
    }
    // a batch within this peer's byte budget; the rest follows in the next round
    const budget = this.#batchBytes.get(peer) ?? DELIVERY_BATCH_BYTES
    const items = withinBudget(listed, budget, estimatedEnvelopeBytes)
    let sessions = await this.#ctx.sessions.get(peer)
    if (sessions === null) {
      const mark = this.#ctx.waiting.mark(peer)
      const established = await establishSession(this.#ctx, contact)
      if (!established) {
        this.#ctx.waiting.recordUnlessChanged(peer, mark, 'no-bundle')
        await this.#backoff(peer, items)
        return
      }
      sessions = await this.#ctx.sessions.get(peer)
      if (sessions === null) return
    }
    if (sessions.devicePeerId.length === 0) {
      // a session that started from a mailbox: learn the device from the contact's bundle
      const devicePeerId = (await readBundle(this.#ctx, contact))?.deviceCertificate.devicePeerId
      if (devicePeerId !== undefined) {
        sessions = await this.#ctx.lock.run(async () => {
          const current = (await this.#ctx.sessions.get(peer)) as DeviceSessions
          const next = { ...current, devicePeerId }
          await this.#ctx.vault.store.batch(this.#ctx.sessions.putOps(next))
          this.#ctx.sessions.commit(peer, next)
          return next
        })
      }
    }
    const encrypted = await this.#ctx.lock.run(() => this.#encryptPending(peer, items))
    if (encrypted === null) return
    const { emits } = encrypted
    for (const emit of emits) emit()
    // the estimate was an upper bound for fresh items; trim by the real sizes all the same
    const prepared = withinBudget(encrypted.items, budget, (item) => (item.envelope as Uint8Array).length)
    const texts = prepared.filter((item) => item.kind === 'text' && item.attempts === 0)
    const envelopes = prepared.map((item) => item.envelope as Uint8Array)
    const result =
      sessions.devicePeerId.length === 0
        ? ({ ok: false, reason: 'unreachable', detail: 'device unknown', error: NO_ROUTE_ERROR } as const)
        : await this.#deliver(sessions.devicePeerId, envelopes)
    const more = prepared.length < listed.length

    if (!result.ok) {
      this.#ctx.init.log.debug('direct delivery failed', {
        reason: result.reason,
        detail: result.detail,
        items: prepared.length,
      })
      // The device was reached but the exchange broke off (too slow a link for this much, or a
      // reset): the same batch would fail the same way, so the next one is half as big.
      const split = result.reason !== 'unreachable' && prepared.length > 1
      if (split) this.#batchBytes.set(peer, Math.max(1, Math.floor(batchBytesOf(prepared) / 2)))
      if (this.#ctx.mailboxes !== null) {
        const hints = await mailboxHints(this.#ctx, contact)
        if (hints.length > 0) {
          const counts = await this.#ctx.mailboxes.deposit(hints, envelopes)
          if (counts.some((c) => c > 0)) {
            await this.#ctx.lock.run(() => this.#settleStored(peer, prepared, counts))
            if (counts.some((c) => c === 0)) this.#ctx.waiting.record(peer, waitingReason(result))
            else this.#ctx.waiting.clear(peer)
            if (more || listed.length === MAX_DELIVERY_BATCH || counts.some((c) => c === 0))
              this.#again.add(peer)
            return
          }
        }
      }
      this.#ctx.waiting.record(peer, waitingReason(result))
      if (texts.length > 0) await this.#setStatus(texts, 'queued')
      if (split) {
        this.#again.add(peer) // retried now, smaller: not a failure of these messages
        return
      }
      await this.#backoff(peer, prepared)
      return
    }
    let statuses: number[]
    try {
      statuses = decodeDeliveryResponse(result.response, prepared.length)
    } catch {
      this.#ctx.waiting.record(peer, 'peer-unavailable')
      await this.#backoff(peer, prepared)
      return
    }
    // a good exchange: the budget grows back towards the default
    this.#batchBytes.set(peer, Math.min(DELIVERY_BATCH_BYTES, budget * 2))
    if (this.#batchBytes.get(peer) === DELIVERY_BATCH_BYTES) this.#batchBytes.delete(peer)
    const again = await this.#ctx.lock.run(() => this.#settle(peer, prepared, statuses))
    const unavailable = statuses.some((s) => s === DELIVERY_UNAVAILABLE)
    if (unavailable) this.#ctx.waiting.record(peer, 'peer-unavailable')
    else this.#ctx.waiting.clear(peer)
    // another round delivers the rest, or (for items put off) schedules their retry
    if (again || more || unavailable || listed.length === MAX_DELIVERY_BATCH) this.#again.add(peer)
  }

  /**
   * One `/wren/msg` exchange with the contact's device. The device is reached first with the
   * device dial bound (a relayed connection that is open is used as it is; a fresh dial may try a
   * WebRTC or unreachable address before the circuit that works), then the exchange itself has
   * the direct-attempt bound when mailboxes can take the batch instead.
   */
  async #deliver(devicePeerId: Uint8Array, envelopes: Uint8Array[]): Promise<RequestResult> {
    const peer = peerIdFromBytes(devicePeerId)
    const dial = await dialDevice(this.#ctx.init.libp2p, peer, [], { timeoutMs: DEVICE_DIAL_TIMEOUT_MS })
    if (!dial.ok) return { ok: false, reason: dial.reason, detail: dial.detail }
    return sendRequest(this.#ctx.init.libp2p, peer, WREN_MSG_PROTOCOL, encodeDeliveryRequest(envelopes), {
      timeoutMs: this.#ctx.mailboxes !== null ? DIRECT_ATTEMPT_TIMEOUT_MS : DELIVERY_TIMEOUT_MS,
      runOnLimitedConnection: true,
    })
  }

  /** Encrypt items that have no envelope yet with the current session (one batch write). */
  async #encryptPending(
    peer: string,
    items: OutboxItem[],
  ): Promise<{ items: OutboxItem[]; emits: Array<() => void> } | null> {
    let sessions = await this.#ctx.sessions.get(peer)
    if (sessions === null) return null
    const ops: BatchOp[] = []
    const out: OutboxItem[] = []
    const emits: Array<() => void> = []
    const recipientKey = deviceDhPublicKey(this.#ctx.suite, sessions.deviceKey)
    for (const item of items) {
      // re-read: the item may have been settled by a concurrent flush
      if (item.envelope !== null) {
        out.push(item)
        continue
      }
      const { record, encrypted } = sessionEncrypt(this.#ctx.suite, sessions.current, item.content)
      sessions = { ...sessions, current: record }
      const envelope = sealEnvelope(this.#ctx.suite, {
        recipientKey,
        content: {
          type: encrypted.type,
          senderIdentityKey: this.#ctx.init.identity.publicKey,
          senderDeviceKey: this.#ctx.init.deviceKey.publicKey,
          body: encrypted.body,
        },
      })
      const next = { ...item, envelope }
      ops.push(this.#ctx.vault.putOutboxOp(next))
      // first transmission: the text is 'sent' in the same write as its ratchet state
      if (item.kind === 'text' && item.attempts === 0)
        emits.push(...(await this.#statusOps(item, 'sent', ops)))
      out.push(next)
    }
    if (ops.length > 0) {
      ops.push(...this.#ctx.sessions.putOps(sessions))
      try {
        await this.#ctx.vault.store.batch(ops)
      } catch (error) {
        this.#ctx.sessions.forget(peer)
        throw error
      }
      this.#ctx.sessions.commit(peer, sessions)
    }
    return { items: out, emits }
  }

  /** Envelopes now held by the contact's mailboxes: off the outbox, texts become 'stored'. */
  async #settleStored(peer: string, items: OutboxItem[], counts: number[]): Promise<void> {
    const ops: BatchOp[] = []
    const events: Array<() => void> = []
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as OutboxItem
      const receipts = counts[i] as number
      if (receipts === 0) {
        const attempts = item.attempts + 1
        ops.push(
          this.#ctx.vault.putOutboxOp({
            ...item,
            attempts,
            nextAttemptAt: this.#ctx.init.now() + this.#delay(attempts),
          }),
        )
        continue
      }
      ops.push({ type: 'del', key: this.#ctx.vault.outboxKey(peer, item.order) })
      if (item.kind === 'text') events.push(...(await this.#statusOps(item, 'stored', ops, receipts)))
    }
    await this.#ctx.vault.store.batch(ops)
    for (const emit of events) emit()
  }

  /** Apply the recipient's statuses; returns true when the outbox should be flushed again now. */
  async #settle(peer: string, items: OutboxItem[], statuses: number[]): Promise<boolean> {
    const ops: BatchOp[] = []
    const events: Array<() => void> = []
    let resetSession = false
    let retryNow = false
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as OutboxItem
      const status = statuses[i] as number
      if (status === DELIVERY_OK || status === DELIVERY_DUPLICATE) {
        ops.push({ type: 'del', key: this.#ctx.vault.outboxKey(peer, item.order) })
        if (item.kind === 'text') events.push(...(await this.#statusOps(item, 'delivered', ops)))
      } else if (status === DELIVERY_REJECTED) {
        ops.push({ type: 'del', key: this.#ctx.vault.outboxKey(peer, item.order) })
        if (item.kind === 'text') events.push(...(await this.#statusOps(item, 'failed', ops)))
      } else if (status === DELIVERY_NO_SESSION) {
        resetSession = true
      } else {
        const attempts = item.attempts + 1
        ops.push(
          this.#ctx.vault.putOutboxOp({
            ...item,
            attempts,
            nextAttemptAt: this.#ctx.init.now() + this.#delay(attempts),
          }),
        )
      }
    }
    if (resetSession) {
      const resets = (this.#resets.get(peer) ?? 0) + 1
      this.#resets.set(peer, resets)
      ops.push(...this.#ctx.sessions.deleteOps(peer))
      for (const item of items) {
        if (statuses[items.indexOf(item)] !== DELIVERY_NO_SESSION) continue
        ops.push(
          this.#ctx.vault.putOutboxOp({
            ...item,
            envelope: null,
            attempts: item.attempts + 1,
            nextAttemptAt: this.#ctx.init.now() + (resets > MAX_SESSION_RESETS ? this.#delay(resets) : 0),
          }),
        )
      }
      retryNow = resets <= MAX_SESSION_RESETS
    } else {
      this.#resets.delete(peer)
    }
    await this.#ctx.vault.store.batch(ops)
    if (resetSession) {
      this.#ctx.sessions.commit(peer, null)
      await this.clearEnvelopes(peer)
    }
    for (const emit of events) emit()
    return retryNow
  }

  /** Every queued envelope of a peer was sealed with a session that is gone: re-encrypt later. */
  async clearEnvelopes(peer: string): Promise<void> {
    const ops: BatchOp[] = []
    for await (const [, item] of this.#ctx.vault.outboxItems(peer)) {
      if (item.envelope !== null) ops.push(this.#ctx.vault.putOutboxOp({ ...item, envelope: null }))
    }
    if (ops.length > 0) await this.#ctx.vault.store.batch(ops)
  }

  async #statusOps(
    item: OutboxItem,
    status: MessageStatus,
    ops: BatchOp[],
    receipts?: number,
  ): Promise<Array<() => void>> {
    const ref =
      item.seq !== undefined
        ? { conversationId: item.conversationId, seq: item.seq }
        : await this.#ctx.vault.getMessageRef(this.#ctx.userIdString, item.messageId)
    if (ref === undefined) return []
    const message = await this.#ctx.vault.getMessage(ref.conversationId, ref.seq)
    if (message === undefined) return []
    if (message.status === 'read' && status === 'delivered') return []
    if (
      (message.status === 'delivered' || message.status === 'read') &&
      (status === 'stored' || status === 'sent')
    )
      return []
    const next = { ...message, status, receipts: receipts ?? message.receipts }
    ops.push(this.#ctx.vault.putMessageOp(next))
    return [
      () =>
        this.#ctx.init.notify('message.status', {
          conversationId: next.conversationId,
          messageId: next.id,
          status: next.status,
          receipts: next.receipts,
        }),
    ]
  }

  async #setStatus(items: OutboxItem[], status: MessageStatus): Promise<void> {
    const events = await this.#ctx.lock.run(async () => {
      const ops: BatchOp[] = []
      const emits: Array<() => void> = []
      for (const item of items) emits.push(...(await this.#statusOps(item, status, ops)))
      if (ops.length > 0) await this.#ctx.vault.store.batch(ops)
      return emits
    })
    for (const emit of events) emit()
  }

  #delay(attempts: number): number {
    const base = this.#ctx.init.retryBaseMs ?? RETRY_BASE_MS
    const max = this.#ctx.init.retryMaxMs ?? RETRY_MAX_MS
    return Math.min(max, base * 2 ** Math.min(attempts - 1, 20))
  }

  async #backoff(peer: string, items: OutboxItem[]): Promise<void> {
    const now = this.#ctx.init.now()
    const ops: BatchOp[] = items.map((item) =>
      this.#ctx.vault.putOutboxOp({
        ...item,
        attempts: item.attempts + 1,
        nextAttemptAt: now + this.#delay(item.attempts + 1),
      }),
    )
    await this.#ctx.lock.run(() => this.#ctx.vault.store.batch(ops))
    const first = items[0]
    if (first !== undefined) this.#schedule(peer, this.#delay(first.attempts + 1))
  }
}

/** `detail` marker of an attempt that had no device to dial (nothing libp2p could try). */
const NO_ROUTE_ERROR = 'NoValidAddressesError'

/** What a failed direct attempt means for the person waiting. */
function waitingReason(result: { reason: RequestFailure; error?: string }): WaitingReason {
  if (result.error === NO_ROUTE_ERROR) return 'no-route'
  if (result.reason === 'unreachable' || result.reason === 'timeout') return 'peer-offline'
  return 'peer-unavailable'
}

/** Protobuf bytes a batch of envelopes takes in a DeliveryRequest. */
function batchBytesOf(items: readonly OutboxItem[]): number {
  let total = 0
  for (const item of items) total += estimatedEnvelopeBytes(item) + DELIVERY_ENVELOPE_FRAMING_BYTES
  return total
}

/**
 * Room a content takes beyond its own bytes once sealed: ratchet header and tag, or a whole
 * PQXDH prekey message (keys, ML-KEM ciphertext, signatures) on the first message of a session.
 */
const SEAL_OVERHEAD_BYTES = 4 * 1024

/** An item's envelope size: exact once encrypted, else an upper bound from its padding bucket. */
export function estimatedEnvelopeBytes(item: OutboxItem): number {
  if (item.envelope !== null) return item.envelope.length
  const sealed = item.content.length + SEALED_CONTENT_OVERHEAD_BYTES + SEAL_OVERHEAD_BYTES
  if (sealed >= MAX_PADDED_BYTES) return MAX_ENVELOPE_BYTES
  return paddedLength(sealed) + ENVELOPE_OVERHEAD_BYTES
}

/**
 * The longest prefix of `items` whose envelopes (with their framing) fit `budget` bytes; at least
 * one item, since a single envelope always fits a request (MAX_ENVELOPE_BYTES is far below it).
 */
export function withinBudget(
  items: readonly OutboxItem[],
  budget: number,
  size: (item: OutboxItem) => number,
): OutboxItem[] {
  const out: OutboxItem[] = []
  let total = 0
  for (const item of items) {
    const bytes = size(item) + DELIVERY_ENVELOPE_FRAMING_BYTES
    if (out.length > 0 && total + bytes > budget) break
    out.push(item)
    total += bytes
  }
  return out
}

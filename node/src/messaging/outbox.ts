/**
 * The outbox flush loop: delivers each peer's queued items over /wren/msg, in order, with retries
 * and backoff; deposits in the contact's relay mailboxes when it is unreachable. Expected network
 * failures are values; they only move an item's retry time. Batch sizing is in outbox-batch.ts,
 * sealing in outbox-encrypt.ts, settling statuses in outbox-settle.ts and outbox-status.ts.
 *
 * Read-modify-writes run under the shared mutex; network waits (DHT lookups, dials, deliveries)
 * happen outside it.
 */
import { WREN_MSG_PROTOCOL } from '../p2p/constants.ts'
import { dialDevice } from '../p2p/reachability.ts'
import { type RequestFailure, type RequestResult, sendRequest } from '../p2p/request-response.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  DELIVERY_TIMEOUT_MS,
  DEVICE_DIAL_TIMEOUT_MS,
  DIRECT_ATTEMPT_TIMEOUT_MS,
  RETRY_MAX_MS,
} from './constants.ts'
import {
  DELIVERY_BATCH_BYTES,
  DELIVERY_UNAVAILABLE,
  decodeDeliveryResponse,
  encodeDeliveryRequest,
  MAX_DELIVERY_BATCH,
} from './content.ts'
import { DeviceFanout } from './device-fanout.ts'
import { isDeviceSlot } from './device-slots.ts'
import { establishSession, mailboxHints, readBundle } from './establish.ts'
import type { MessengerContext } from './messenger-context.ts'
import { batchBytesOf, estimatedEnvelopeBytes, withinBudget } from './outbox-batch.ts'
import { encryptPending } from './outbox-encrypt.ts'
import { clearEnvelopes, retryDelay, settle, settleStored } from './outbox-settle.ts'
import { setStatus } from './outbox-status.ts'
import { peerIdFromBytes } from './peer-ids.ts'
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

  /** Copies to the contacts' other devices and their own queues (issue 18). */
  readonly fanout: DeviceFanout

  constructor(ctx: MessengerContext) {
    this.#ctx = ctx
    this.fanout = new DeviceFanout(ctx)
  }

  /** Flushes and retry timers run from now on. */
  start(): void {
    this.#running = true
    this.fanout.start()
  }

  /** No new flushes or retry timers; pending timers are cleared. */
  stop(): void {
    this.#running = false
    this.fanout.stop()
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  /** Retry a peer's outbox now (it connected, or something changed). */
  kick(peer: string): void {
    this.fanout.kickUser(peer)
    this.#kicked.add(peer)
    void this.flush(peer)
  }

  /** Deliver a peer's due items; a call during a flush of that peer makes it run once more. */
  async flush(peer: string): Promise<void> {
    if (!this.#running) return
    if (isDeviceSlot(peer)) return this.fanout.flush(peer)
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
    let items = withinBudget(listed, budget, estimatedEnvelopeBytes)
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
    // the contact's other listed devices get their copies before this batch goes out
    const copied = await this.fanout.copy(peer, contact, sessions.deviceKey)
    if (copied.length > 0) items = items.map((item) => ({ ...item, fannedOut: true }))
    const encrypted = await this.#ctx.lock.run(() => encryptPending(this.#ctx, peer, items))
    if (encrypted === null) return
    const { emits } = encrypted
    for (const emit of emits) emit()
    // the estimate was an upper bound for fresh items; trim by the real sizes all the same
    const prepared = withinBudget(encrypted.items, budget, (item) => (item.envelope as Uint8Array).length)
    const texts = prepared.filter((item) => item.kind === 'text' && item.attempts === 0)
    const envelopes = prepared.map((item) => item.envelope as Uint8Array)
    const more = prepared.length < listed.length
    let result: RequestResult
    if (sessions.devicePeerId.length === 0) {
      result = { ok: false, reason: 'unreachable', detail: 'device unknown', error: NO_ROUTE_ERROR }
    } else {
      // while this batch travels and the recipient persists it, the next one is sealed (it is
      // sent after this one is answered, so the order on the wire stays the queue's order)
      const delivering = this.#deliver(sessions.devicePeerId, envelopes)
      const last = prepared[prepared.length - 1] as OutboxItem
      const ahead =
        more || listed.length === MAX_DELIVERY_BATCH ? this.#sealAhead(peer, last.order, budget) : null
      result = await delivering
      await ahead
    }
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
            await this.#ctx.lock.run(() => settleStored(this.#ctx, peer, prepared, counts))
            if (counts.some((c) => c === 0)) this.#ctx.waiting.record(peer, waitingReason(result))
            else this.#ctx.waiting.clear(peer)
            if (more || listed.length === MAX_DELIVERY_BATCH || counts.some((c) => c === 0))
              this.#again.add(peer)
            return
          }
        }
      }
      // the reason and the next try together: recorded apart, a reader between the two (wren
      // history) saw "offline" with no next try
      const retryAt = split
        ? undefined
        : this.#ctx.init.now() + retryDelay(this.#ctx, (prepared[0]?.attempts ?? 0) + 1)
      this.#ctx.waiting.record(peer, waitingReason(result), retryAt)
      if (texts.length > 0) await setStatus(this.#ctx, texts, 'queued')
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
    const again = await this.#ctx.lock.run(() => settle(this.#ctx, this.#resets, peer, prepared, statuses))
    const unavailable = statuses.some((s) => s === DELIVERY_UNAVAILABLE)
    if (unavailable) this.#ctx.waiting.record(peer, 'peer-unavailable')
    else this.#ctx.waiting.clear(peer)
    // another round delivers the rest, or (for items put off) schedules their retry
    if (again || more || unavailable || listed.length === MAX_DELIVERY_BATCH) this.#again.add(peer)
  }

  /** Every queued envelope of a peer was sealed with a session that is gone: re-encrypt later. */
  async clearEnvelopes(peer: string): Promise<void> {
    await clearEnvelopes(this.#ctx, peer)
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

  /**
   * Seal the batch after the item `afterOrder` now, so that the next round finds its envelopes
   * stored and sends them at once. Listing and sealing run in one critical section, so nothing
   * that changed the queue in between (a reset clearing envelopes) is written over. Best effort:
   * on any failure the next round seals these items itself.
   */
  async #sealAhead(peer: string, afterOrder: number, budget: number): Promise<void> {
    try {
      const emits = await this.#ctx.lock.run(async () => {
        const next = await this.#ctx.vault.listOutbox(peer, MAX_DELIVERY_BATCH, afterOrder)
        const due = withinBudget(next, budget, estimatedEnvelopeBytes).filter((i) => i.envelope === null)
        if (due.length === 0) return []
        return (await encryptPending(this.#ctx, peer, due))?.emits ?? []
      })
      for (const emit of emits) emit()
    } catch (error) {
      this.#ctx.init.log.debug('sealing ahead failed', { error: (error as Error)?.name })
    }
  }

  async #backoff(peer: string, items: OutboxItem[]): Promise<void> {
    const now = this.#ctx.init.now()
    const ops: BatchOp[] = items.map((item) =>
      this.#ctx.vault.putOutboxOp({
        ...item,
        attempts: item.attempts + 1,
        nextAttemptAt: now + retryDelay(this.#ctx, item.attempts + 1),
      }),
    )
    await this.#ctx.lock.run(() => this.#ctx.vault.store.batch(ops))
    const first = items[0]
    if (first !== undefined) this.#schedule(peer, retryDelay(this.#ctx, first.attempts + 1))
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

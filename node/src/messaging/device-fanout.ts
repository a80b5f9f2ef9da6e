/**
 * Fan-out to a contact's other devices (issue 18, Sesame-style): every item queued for a contact
 * is copied, once, to the queue of each other device on its pinned list (device-slots.ts), and
 * each device queue is sealed with that device's own session and delivered to that device (its
 * mailboxes when it is unreachable), with its own retries.
 *
 * Status rule: a message's status (sent, stored, delivered) follows the main session's device
 * only; copies to the other devices never change it. So "delivered" means the device we first
 * spoke with (or that wrote to us first) has it; the others get theirs best-effort, retried with
 * the same backoff until their device is revoked.
 */
import { deviceDhPublicKey } from '../../../core/src/device-certificate.ts'
import { sealEnvelope } from '../../../core/src/envelope.ts'
import type { MailboxHint } from '../../../core/src/prekey-bundle.ts'
import { sessionEncrypt } from '../../../core/src/session.ts'
import { WREN_MSG_PROTOCOL } from '../p2p/constants.ts'
import { dialDevice } from '../p2p/reachability.ts'
import { type RequestResult, sendRequest } from '../p2p/request-response.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { DEVICE_DIAL_TIMEOUT_MS, DIRECT_ATTEMPT_TIMEOUT_MS, RETRY_MAX_MS } from './constants.ts'
import {
  DELIVERY_DUPLICATE,
  DELIVERY_NO_SESSION,
  DELIVERY_OK,
  DELIVERY_REJECTED,
  decodeDeliveryResponse,
  encodeDeliveryRequest,
  MAX_DELIVERY_BATCH,
} from './content.ts'
import { deviceSession } from './device-session.ts'
import { deviceSlot, type ListedDevice, listedDevice, otherDevices, parseDeviceSlot } from './device-slots.ts'
import type { MessengerContext } from './messenger-context.ts'
import { retryDelay } from './outbox-settle.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import { ownContactOf } from './sent-transcripts.ts'
import type { ContactRecord, OutboxItem } from './vault.ts'

export class DeviceFanout {
  readonly #ctx: MessengerContext
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #flushing = new Set<string>()
  readonly #again = new Set<string>()
  /** Each device's mailboxes, from the bundle its session started with (memory only). */
  readonly #mailboxes = new Map<string, MailboxHint[]>()
  /** Device queues seen since start, for kickUser. */
  readonly #known = new Set<string>()
  #running = false

  constructor(ctx: MessengerContext) {
    this.#ctx = ctx
  }

  start(): void {
    this.#running = true
  }

  stop(): void {
    this.#running = false
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
  }

  /**
   * Copy `peer`'s queued items not copied yet to the queues of its other devices (the main
   * session is with `mainDeviceKey`); the slots that got items. Runs under the lock itself.
   */
  async copy(peer: string, contact: ContactRecord, mainDeviceKey: Uint8Array): Promise<string[]> {
    const devices = otherDevices(contact, mainDeviceKey)
    if (devices.length === 0) return []
    const slots = devices.map((d) => deviceSlot(peer, d.deviceKey))
    const copied = await this.#ctx.lock.run(async () => {
      // re-read under the lock: a concurrent write (an envelope sealed) is not overwritten
      const items = (await this.#ctx.vault.listOutbox(peer, MAX_DELIVERY_BATCH)).filter((i) => !i.fannedOut)
      if (items.length === 0) return false
      const ops: BatchOp[] = []
      let order = await this.#ctx.vault.nextCounter('outbox')
      const now = this.#ctx.init.now()
      for (const item of items) {
        ops.push(this.#ctx.vault.putOutboxOp({ ...item, fannedOut: true }))
        for (const slot of slots) {
          const { fannedOut: _, ...rest } = item
          ops.push(
            this.#ctx.vault.putOutboxOp({
              ...rest,
              peerUserId: slot,
              order: order++,
              envelope: null,
              attempts: 0,
              nextAttemptAt: now,
            }),
          )
        }
      }
      ops.push(this.#ctx.vault.counterOp('outbox', order - 1))
      await this.#ctx.vault.store.batch(ops)
      return true
    })
    if (!copied) return []
    for (const slot of slots) void this.flush(slot)
    return slots
  }

  /** Drop a device's session and queue (revoked, or taken off the list). */
  async drop(slot: string): Promise<void> {
    const timer = this.#timers.get(slot)
    if (timer !== undefined) clearTimeout(timer)
    this.#timers.delete(slot)
    this.#mailboxes.delete(slot)
    this.#known.delete(slot)
    await this.#ctx.lock.run(async () => {
      const ops: BatchOp[] = [...this.#ctx.sessions.deleteOps(slot)]
      for await (const [key] of this.#ctx.vault.outboxItems(slot)) ops.push({ type: 'del', key })
      await this.#ctx.vault.store.batch(ops)
      this.#ctx.sessions.commit(slot, null)
    })
  }

  /** The user's device queues are retried now (one of its devices connected). */
  kickUser(userId: string): void {
    for (const slot of this.#known) if (parseDeviceSlot(slot)?.userId === userId) void this.flush(slot, true)
  }

  /** Deliver a device queue's due items; a call during its flush makes it run once more. */
  async flush(slot: string, kicked = false): Promise<void> {
    if (!this.#running) return
    this.#known.add(slot)
    if (this.#flushing.has(slot)) {
      this.#again.add(slot)
      return
    }
    this.#flushing.add(slot)
    try {
      let force = kicked
      do {
        this.#again.delete(slot)
        await this.#flushOnce(slot, force)
        force = false
      } while (this.#again.has(slot) && this.#running)
    } catch (error) {
      this.#ctx.init.log.warn('device flush failed', { error: (error as Error)?.name })
      this.#schedule(slot, this.#ctx.init.retryMaxMs ?? RETRY_MAX_MS)
    } finally {
      this.#flushing.delete(slot)
    }
  }

  #schedule(slot: string, delayMs: number): void {
    if (!this.#running) return
    const existing = this.#timers.get(slot)
    if (existing !== undefined) clearTimeout(existing)
    const timer = setTimeout(
      () => {
        this.#timers.delete(slot)
        void this.flush(slot)
      },
      Math.max(0, delayMs),
    )
    timer.unref?.()
    this.#timers.set(slot, timer)
  }

  async #flushOnce(slot: string, kicked: boolean): Promise<void> {
    const ctx = this.#ctx
    const items = await ctx.vault.listOutbox(slot, MAX_DELIVERY_BATCH)
    const first = items[0]
    if (first === undefined) return
    const now = ctx.init.now()
    if (!kicked && first.nextAttemptAt > now) return this.#schedule(slot, first.nextAttemptAt - now)
    const parsed = parseDeviceSlot(slot)
    if (parsed === null) return
    // our own other devices' queues (sent transcripts) read our own list as the pinned one
    const contact =
      parsed.userId === ctx.userIdString ? ownContactOf(ctx) : await ctx.vault.getContact(parsed.userId)
    const device = listedDevice(contact, parsed.deviceKey)
    if (contact === undefined || device === null) return this.drop(slot) // revoked or gone
    if (contact.keyChanged) return // held with the main queue until the key change is accepted
    const sessions = await deviceSession(ctx, contact, device, slot, this.#mailboxes)
    if (sessions === null) return this.#backoff(slot, items)
    const sealed = await ctx.lock.run(() => this.#seal(slot, items))
    if (sealed === null) return
    const envelopes = sealed.map((i) => i.envelope as Uint8Array)
    const result = await this.#deliver(device, envelopes)
    if (!result.ok) {
      const hints = this.#mailboxes.get(slot) ?? []
      if (ctx.mailboxes !== null && hints.length > 0) {
        const counts = await ctx.mailboxes.deposit(hints, envelopes)
        const stored = sealed.filter((_, i) => (counts[i] ?? 0) > 0)
        if (stored.length > 0) {
          await ctx.lock.run(() =>
            ctx.vault.store.batch(
              stored.map((i) => ({ type: 'del', key: ctx.vault.outboxKey(slot, i.order) })),
            ),
          )
          if (stored.length < sealed.length || items.length === MAX_DELIVERY_BATCH) this.#again.add(slot)
          return
        }
      }
      return this.#backoff(slot, sealed)
    }
    let statuses: number[]
    try {
      statuses = decodeDeliveryResponse(result.response, sealed.length)
    } catch {
      return this.#backoff(slot, sealed)
    }
    const done = sealed.filter((_, i) =>
      [DELIVERY_OK, DELIVERY_DUPLICATE, DELIVERY_REJECTED].includes(statuses[i] as number),
    )
    const noSession = statuses.some((s) => s === DELIVERY_NO_SESSION)
    await ctx.lock.run(async () => {
      const ops: BatchOp[] = done.map((i) => ({ type: 'del', key: ctx.vault.outboxKey(slot, i.order) }))
      if (noSession) {
        // the device has no session with us any more: a new one seals the rest again
        ops.push(...ctx.sessions.deleteOps(slot))
        for (const item of sealed)
          if (!done.includes(item)) ops.push(ctx.vault.putOutboxOp({ ...item, envelope: null }))
      }
      await ctx.vault.store.batch(ops)
      if (noSession) ctx.sessions.commit(slot, null)
    })
    const rest = sealed.filter((i) => !done.includes(i))
    if (noSession || items.length === MAX_DELIVERY_BATCH) this.#again.add(slot)
    else if (rest.length > 0) await this.#backoff(slot, rest)
  }

  /** Seal the items without an envelope with the device's session (one write). */
  async #seal(slot: string, items: OutboxItem[]): Promise<OutboxItem[] | null> {
    let sessions = await this.#ctx.sessions.get(slot)
    if (sessions === null) return null
    const recipientKey = deviceDhPublicKey(this.#ctx.suite, sessions.deviceKey)
    const ops: BatchOp[] = []
    const out: OutboxItem[] = []
    for (const item of items) {
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
      out.push(next)
    }
    if (ops.length > 0) {
      ops.push(...this.#ctx.sessions.putOps(sessions))
      try {
        await this.#ctx.vault.store.batch(ops)
      } catch (error) {
        this.#ctx.sessions.forget(slot)
        throw error
      }
      this.#ctx.sessions.commit(slot, sessions)
    }
    return out
  }

  async #deliver(device: ListedDevice, envelopes: Uint8Array[]): Promise<RequestResult> {
    const peer = peerIdFromBytes(device.devicePeerId)
    const dial = await dialDevice(this.#ctx.init.libp2p, peer, [], { timeoutMs: DEVICE_DIAL_TIMEOUT_MS })
    if (!dial.ok) return { ok: false, reason: dial.reason, detail: dial.detail }
    return sendRequest(this.#ctx.init.libp2p, peer, WREN_MSG_PROTOCOL, encodeDeliveryRequest(envelopes), {
      timeoutMs: DIRECT_ATTEMPT_TIMEOUT_MS,
      runOnLimitedConnection: true,
    })
  }

  async #backoff(slot: string, items: OutboxItem[]): Promise<void> {
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
    if (first !== undefined) this.#schedule(slot, retryDelay(this.#ctx, first.attempts + 1))
  }
}

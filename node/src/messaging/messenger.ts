/**
 * 1:1 messaging for one unlocked profile: contacts with pinned identity keys, sessions, an
 * outbox that delivers over /wren/msg with retries, and the receiving side that persists before
 * it acknowledges. Expected network failures are values; they only move a message's retry time.
 *
 * One mutex serialises every read-modify-write of sessions, conversations and the outbox;
 * network waits (DHT lookups, dials, deliveries) happen outside it.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import type { ContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { deviceDhPublicKey } from '../../../core/src/device-certificate.ts'
import { sealEnvelope } from '../../../core/src/envelope.ts'
import { formatUserId, type IdentityKeyPair, parseUserId } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import {
  decodeOneTimePrekey,
  decodeSignedKemPrekey,
  type MailboxHint,
  type OneTimePrekey,
  type PrekeyBundle,
  type SignedKemPrekey,
} from '../../../core/src/prekey-bundle.ts'
import { initiateSession, sessionEncrypt } from '../../../core/src/session.ts'
import type { Logger } from '../daemon/log.ts'
import { WREN_MSG_PROTOCOL, WREN_PREKEY_PROTOCOL } from '../p2p/constants.ts'
import { getBundle } from '../p2p/dht-records.ts'
import type { WrenServices } from '../p2p/host.ts'
import { handleRequests, sendRequest } from '../p2p/request-response.ts'
import type { EventName, EventPayload, Message } from '../rpc/api.ts'
import { appError } from '../rpc/errors.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  BUNDLE_LOOKUP_TIMEOUT_MS,
  BUNDLE_REFRESH_MS,
  CONTACT_DIAL_TIMEOUT_MS,
  DELIVERY_TIMEOUT_MS,
  DIRECT_ATTEMPT_TIMEOUT_MS,
  MAX_SESSION_RESETS,
  PREKEY_CLAIM_TIMEOUT_MS,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
} from './constants.ts'
import {
  CONTENT_KIND_APP,
  CONTENT_KIND_READ_RECEIPT,
  CONTENT_KIND_TEXT,
  DELIVERY_DUPLICATE,
  DELIVERY_NO_SESSION,
  DELIVERY_OK,
  DELIVERY_REJECTED,
  decodeDeliveryResponse,
  decodePrekeyResponse,
  encodeContent,
  encodeDeliveryRequest,
  encodePrekeyResponse,
  MAX_APP_PAYLOAD_BYTES,
  MAX_DELIVERY_BATCH,
  MAX_DELIVERY_REQUEST_BYTES,
  MAX_PREKEY_RESPONSE_BYTES,
  MAX_RECEIPT_IDS,
  MESSAGE_ID_BYTES,
} from './content.ts'
import { type AppHandler, Inbound } from './inbound.ts'
import type { Mailboxes } from './mailboxes.ts'
import { Mutex } from './mutex.ts'
import type { PrekeyManager } from './prekeys.ts'
import { type DeviceSessions, SessionBook } from './session-book.ts'
import {
  type ContactRecord,
  type ConversationRecord,
  conversationIdFor,
  type OutboxItem,
  type Vault,
} from './vault.ts'

export interface MessengerInit {
  suite: CryptoSuite
  vault: Vault
  prekeys: PrekeyManager
  identity: IdentityKeyPair
  /** Our user id (16 bytes). */
  userId: Uint8Array
  /** Succession proof of our identity key when it was rotated, else null. */
  succession: IdentitySuccession | null
  displayName: () => string
  /** Ed25519 device key pair (seed as secretKey). */
  deviceKey: { publicKey: Uint8Array; secretKey: Uint8Array }
  libp2p: Libp2p<WrenServices>
  /** Decode + verify a bundle fetched from the DHT (same checks as the DHT validator). */
  verifyBundle: (bytes: Uint8Array, userId: Uint8Array) => PrekeyBundle
  notify: <E extends EventName>(event: E, payload: EventPayload<E>) => void
  now: () => number
  log: Logger
  retryBaseMs?: number
  retryMaxMs?: number
}

export type Notify = MessengerInit['notify']

export class Messenger {
  readonly #init: MessengerInit
  readonly #suite: CryptoSuite
  readonly #vault: Vault
  readonly #sessions: SessionBook
  readonly #lock = new Mutex()
  readonly #inbound: Inbound
  readonly #userIdString: string
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #flushing = new Set<string>()
  readonly #again = new Set<string>()
  /** Peers whose backoff is skipped on the next flush (they just connected). */
  readonly #kicked = new Set<string>()
  readonly #resets = new Map<string, number>()
  /** libp2p PeerId string → contact user id, for "peer connected: flush its outbox". */
  readonly #peerToUser = new Map<string, string>()
  #running = false
  #mailboxes: Mailboxes | null = null
  readonly #onConnect = (event: CustomEvent<PeerId>) => {
    const userId = this.#peerToUser.get(event.detail.toString())
    if (userId !== undefined) this.kick(userId)
  }

  constructor(init: MessengerInit) {
    this.#init = init
    this.#suite = init.suite
    this.#vault = init.vault
    this.#sessions = new SessionBook(init.vault)
    this.#userIdString = formatUserId(init.userId)
    this.#inbound = new Inbound({
      suite: init.suite,
      vault: init.vault,
      sessions: this.#sessions,
      prekeys: init.prekeys,
      identity: init.identity,
      ourUserId: this.#userIdString,
      deviceKey: init.deviceKey,
      notify: init.notify,
      now: init.now,
      log: init.log,
      onContactSeen: (contact) => this.#rememberPeer(contact),
      queueReceipt: (peer, conversationId, kind, ids) =>
        this.#queueReceiptOps(peer, conversationId, kind, ids),
      afterCommit: (peer) => this.kick(peer),
    })
  }

  get userId(): string {
    return this.#userIdString
  }

  /** Use relay mailboxes: deposit when a contact is unreachable, claim prekeys there. */
  attachMailboxes(mailboxes: Mailboxes): void {
    this.#mailboxes = mailboxes
  }

  /** Envelopes fetched from our mailboxes: processed like a direct delivery, statuses returned. */
  deliverFetched(envelopes: Uint8Array[]): Promise<number[]> {
    return this.#lock.run(() => this.#inbound.handleEnvelopes(envelopes, null))
  }

  async start(): Promise<void> {
    const { libp2p } = this.#init
    this.#running = true
    await handleRequests(
      libp2p,
      WREN_MSG_PROTOCOL,
      (request, ctx) => this.#lock.run(() => this.#inbound.handle(request, ctx.peerId)),
      {
        maxRequestBytes: MAX_DELIVERY_REQUEST_BYTES,
        runOnLimitedConnection: true,
        timeoutMs: DELIVERY_TIMEOUT_MS,
        onError: (err, ctx) =>
          this.#init.log.debug('delivery exchange failed', {
            peer: ctx.peerId.toString(),
            error: (err as Error)?.name,
          }),
      },
    )
    await handleRequests(libp2p, WREN_PREKEY_PROTOCOL, () => this.#lock.run(() => this.#servePrekey()), {
      maxRequestBytes: 16,
      runOnLimitedConnection: true,
    })
    libp2p.addEventListener('peer:connect', this.#onConnect)
    for (const contact of await this.#vault.listContacts()) {
      this.#rememberPeer(contact)
      await this.#learnAddresses(contact)
    }
    for (const peer of await this.#vault.outboxPeers()) void this.#flush(peer)
    void this.#announce()
  }

  async stop(): Promise<void> {
    this.#running = false
    const { libp2p } = this.#init
    libp2p.removeEventListener('peer:connect', this.#onConnect)
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    await Promise.allSettled([libp2p.unhandle(WREN_MSG_PROTOCOL), libp2p.unhandle(WREN_PREKEY_PROTOCOL)])
    // let a critical section in progress finish before the store closes
    await this.#lock.run(async () => {})
  }

  /** Dial known contacts after start so they notice we are back and flush their outboxes. */
  async #announce(): Promise<void> {
    const contacts = await this.#vault.listContacts()
    await Promise.allSettled(
      contacts
        .filter((c) => c.devicePeerId !== null)
        .map((c) =>
          this.#init.libp2p
            .dial(peerIdFromBytes(c.devicePeerId as Uint8Array), {
              signal: AbortSignal.timeout(CONTACT_DIAL_TIMEOUT_MS),
            })
            .catch(() => {}),
        ),
    )
  }

  #rememberPeer(contact: ContactRecord): void {
    if (contact.devicePeerId === null) return
    const peerId = peerIdFromBytes(contact.devicePeerId)
    this.#peerToUser.set(peerId.toString(), contact.userId)
  }

  // ---- contacts

  async addContact(card: ContactCard, name: string | undefined): Promise<ContactRecord> {
    const userId = formatUserId(card.userId)
    if (userId === this.#userIdString) throw appError('INVALID_INPUT', 'this is your own card')
    const after: Array<() => void> = []
    const contact = await this.#lock.run(async () => {
      const existing = await this.#vault.getContact(userId)
      let next: ContactRecord
      if (existing === undefined) {
        next = {
          userId,
          displayName: name ?? card.displayName,
          identityKey: card.identityKey,
          verified: false,
          keyChanged: false,
          pendingIdentityKey: null,
          addedAt: this.#init.now(),
          devicePeerId: card.devicePeerId,
          addrs: [...card.addrs],
        }
      } else {
        next = {
          ...existing,
          displayName: name ?? existing.displayName,
          devicePeerId: card.devicePeerId,
          addrs: [...card.addrs],
        }
        next = this.#inbound.observeIdentityKey(next, card.identityKey, after)
      }
      await this.#vault.store.batch([this.#vault.putContactOp(next)])
      return next
    })
    for (const emit of after) emit()
    this.#rememberPeer(contact)
    await this.#learnAddresses(contact)
    return contact
  }

  async #learnAddresses(contact: ContactRecord): Promise<void> {
    if (contact.devicePeerId === null || contact.addrs.length === 0) return
    const peerId = peerIdFromBytes(contact.devicePeerId)
    const multiaddrs = contact.addrs.flatMap((bytes) => {
      try {
        return [multiaddr(bytes)]
      } catch {
        return []
      }
    })
    await this.#init.libp2p.peerStore.merge(peerId, { multiaddrs }).catch(() => {})
  }

  async requireContact(userId: string): Promise<ContactRecord> {
    const contact = await this.#vault.getContact(userId)
    if (contact === undefined) throw appError('NOT_FOUND', `no contact ${userId}`)
    return contact
  }

  async verifyContact(userId: string): Promise<ContactRecord> {
    return this.#lock.run(async () => {
      const contact = await this.requireContact(userId)
      if (contact.keyChanged)
        throw appError('KEY_CHANGED_UNACCEPTED', 'accept the new identity key before verifying it')
      const next = { ...contact, verified: true }
      await this.#vault.store.batch([this.#vault.putContactOp(next)])
      return next
    })
  }

  /** Trust the new identity key: it becomes the pinned key (unverified); old sessions are dropped. */
  async acceptKeyChange(userId: string): Promise<ContactRecord> {
    const next = await this.#lock.run(async () => {
      const contact = await this.requireContact(userId)
      if (!contact.keyChanged || contact.pendingIdentityKey === null) return contact
      const accepted: ContactRecord = {
        ...contact,
        identityKey: contact.pendingIdentityKey,
        pendingIdentityKey: null,
        keyChanged: false,
        verified: false,
      }
      const ops: BatchOp[] = [this.#vault.putContactOp(accepted)]
      const sessions = await this.#sessions.get(userId)
      const stale = sessions !== null && !bytesEqual(sessions.current.remoteIdentityKey, accepted.identityKey)
      if (stale) ops.push(...this.#sessions.deleteOps(userId))
      await this.#vault.store.batch(ops)
      if (stale) this.#sessions.commit(userId, null)
      await this.#clearEnvelopes(userId)
      return accepted
    })
    this.kick(userId)
    return next
  }

  // ---- sending

  async sendText(conversationId: string, text: string): Promise<Message> {
    const peer = peerOfConversation(conversationId)
    const message = await this.#lock.run(async () => {
      const contact = await this.requireContact(peer)
      if (contact.keyChanged) {
        throw appError(
          'KEY_CHANGED_UNACCEPTED',
          `${contact.displayName}'s identity key changed: accept it before sending`,
        )
      }
      const now = this.#init.now()
      const conversation =
        (await this.#vault.getConversation(conversationId)) ?? newConversation(conversationId, peer, now)
      const messageId = this.#suite.randomBytes(MESSAGE_ID_BYTES)
      const seq = conversation.lastSeq + 1
      const message: Message = {
        id: toHex(messageId),
        conversationId,
        seq,
        direction: 'out',
        sender: this.#userIdString,
        text,
        sentAt: now,
        receivedAt: null,
        status: 'queued',
        receipts: 0,
      }
      const content = encodeContent({
        kind: CONTENT_KIND_TEXT,
        messageId,
        text,
        sentAt: now,
        receiptIds: [],
        senderUserId: this.#init.userId,
        senderName: this.#init.displayName(),
        succession: this.#init.succession,
      })
      const order = await this.#vault.nextCounter('outbox')
      const item: OutboxItem = {
        order,
        peerUserId: peer,
        kind: 'text',
        messageId: message.id,
        conversationId,
        seq,
        content,
        envelope: null,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
      }
      await this.#vault.store.batch([
        { type: 'put', key: this.#vault.messageKey(conversationId, seq), value: message },
        {
          type: 'put',
          key: this.#vault.messageRefKey(this.#userIdString, message.id),
          value: { conversationId, seq },
        },
        {
          type: 'put',
          key: this.#vault.conversationKey(conversationId),
          value: { ...conversation, lastSeq: seq, updatedAt: now },
        },
        { type: 'put', key: this.#vault.outboxKey(peer, order), value: item },
        this.#vault.counterOp('outbox', order),
      ])
      return message
    })
    void this.#flush(peer)
    return message
  }

  /** Mark incoming messages read up to `upToSeq` and queue read receipts to the sender. */
  async markRead(conversationId: string, upToSeq: number | undefined): Promise<number> {
    const peer = peerOfConversation(conversationId)
    const updated = await this.#lock.run(async () => {
      const conversation = await this.#vault.getConversation(conversationId)
      if (conversation === undefined) throw appError('NOT_FOUND', `no conversation ${conversationId}`)
      const upTo = Math.min(upToSeq ?? conversation.lastSeq, conversation.lastSeq)
      const ops: BatchOp[] = []
      const ids: string[] = []
      const prefix = `m/${this.#vault.blind(conversationId)}/`
      for await (const [key, message] of this.#vault.store.iterate<Message>({ prefix })) {
        if (message.seq > upTo) break
        if (message.direction !== 'in' || message.status === 'read') continue
        ops.push({ type: 'put', key, value: { ...message, status: 'read' } })
        ids.push(message.id)
      }
      const unread = await this.#countUnread(conversationId, upTo)
      ops.push({
        type: 'put',
        key: this.#vault.conversationKey(conversationId),
        value: { ...conversation, lastReadSeq: Math.max(conversation.lastReadSeq, upTo), unread },
      })
      ops.push(...(await this.#queueReceiptOps(peer, conversationId, CONTENT_KIND_READ_RECEIPT, ids)))
      await this.#vault.store.batch(ops)
      return ids.length
    })
    if (updated > 0) void this.#flush(peer)
    return updated
  }

  async #countUnread(conversationId: string, afterSeq: number): Promise<number> {
    let unread = 0
    const prefix = `m/${this.#vault.blind(conversationId)}/`
    for await (const [, message] of this.#vault.store.iterate<Message>({
      prefix,
      gte: this.#vault.messageKey(conversationId, afterSeq + 1),
    })) {
      if (message.direction === 'in') unread++
    }
    return unread
  }

  /** Outbox items carrying receipts for `ids` (hex), split to the per-message limit. */
  async #queueReceiptOps(
    peer: string,
    conversationId: string,
    kind: number,
    ids: readonly string[],
  ): Promise<BatchOp[]> {
    const ops: BatchOp[] = []
    let order = await this.#vault.nextCounter('outbox')
    const now = this.#init.now()
    for (let i = 0; i < ids.length; i += MAX_RECEIPT_IDS) {
      const chunk = ids.slice(i, i + MAX_RECEIPT_IDS).map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')))
      const content = encodeContent({
        kind,
        messageId: this.#suite.randomBytes(MESSAGE_ID_BYTES),
        text: '',
        sentAt: now,
        receiptIds: chunk,
        senderUserId: this.#init.userId,
        senderName: this.#init.displayName(),
        succession: this.#init.succession,
      })
      const item: OutboxItem = {
        order,
        peerUserId: peer,
        kind: 'receipt',
        messageId: '',
        conversationId,
        content,
        envelope: null,
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
      }
      ops.push({ type: 'put', key: this.#vault.outboxKey(peer, order), value: item })
      ops.push(this.#vault.counterOp('outbox', order))
      order++
    }
    return ops
  }

  // ---- app payloads (groups and other layers over the pairwise sessions)

  /** Route incoming CONTENT_KIND_APP payloads of `appKind` to `handler` (see AppHandler). */
  registerApp(appKind: number, handler: AppHandler): void {
    this.#inbound.registerApp(appKind, handler)
  }

  /**
   * Queue an app payload to each of `peers` (contacts), delivered like messages: in order per
   * peer, retried, re-encrypted after session resets, de-duplicated by the receiver.
   */
  async sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void> {
    if (payload.length > MAX_APP_PAYLOAD_BYTES) throw appError('INVALID_INPUT', 'app payload is too large')
    const targets = [...new Set(peers)].filter((p) => p !== this.#userIdString)
    await this.#lock.run(async () => {
      const now = this.#init.now()
      let order = await this.#vault.nextCounter('outbox')
      const ops: BatchOp[] = []
      for (const peer of targets) {
        if ((await this.#vault.getContact(peer)) === undefined)
          throw appError('NOT_FOUND', `no contact ${peer}`)
        const content = encodeContent({
          kind: CONTENT_KIND_APP,
          messageId: this.#suite.randomBytes(MESSAGE_ID_BYTES),
          text: '',
          sentAt: now,
          receiptIds: [],
          senderUserId: this.#init.userId,
          senderName: this.#init.displayName(),
          succession: this.#init.succession,
          appKind,
          appPayload: payload,
        })
        const item: OutboxItem = {
          order,
          peerUserId: peer,
          kind: 'app',
          messageId: '',
          conversationId: '',
          content,
          envelope: null,
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
        }
        ops.push({ type: 'put', key: this.#vault.outboxKey(peer, order), value: item })
        ops.push(this.#vault.counterOp('outbox', order))
        order++
      }
      await this.#vault.store.batch(ops)
    })
    for (const peer of targets) void this.#flush(peer)
  }

  // ---- outbox

  /** Retry a peer's outbox now (it connected, or something changed). */
  kick(peer: string): void {
    this.#kicked.add(peer)
    void this.#flush(peer)
  }

  async #flush(peer: string): Promise<void> {
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
      this.#init.log.warn('outbox flush failed', {
        error: (error as Error)?.name,
        detail: (error as Error)?.message,
      })
      this.#schedule(peer, this.#init.retryMaxMs ?? RETRY_MAX_MS)
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
        void this.#flush(peer)
      },
      Math.max(0, delayMs),
    )
    timer.unref?.()
    this.#timers.set(peer, timer)
  }

  async #flushOnce(peer: string): Promise<void> {
    const items = await this.#vault.listOutbox(peer, MAX_DELIVERY_BATCH)
    const first = items[0]
    if (first === undefined) return
    const now = this.#init.now()
    const kicked = this.#kicked.delete(peer)
    if (!kicked && first.nextAttemptAt > now) {
      this.#schedule(peer, first.nextAttemptAt - now)
      return
    }
    const contact = await this.#vault.getContact(peer)
    if (contact === undefined || contact.keyChanged) return // held until the key change is accepted
    let sessions = await this.#sessions.get(peer)
    if (sessions === null) {
      const established = await this.#establish(contact)
      if (!established) {
        await this.#backoff(peer, items)
        return
      }
      sessions = await this.#sessions.get(peer)
      if (sessions === null) return
    }
    if (sessions.devicePeerId.length === 0) {
      // a session that started from a mailbox: learn the device from the contact's bundle
      const devicePeerId = (await this.#readBundle(contact))?.deviceCertificate.devicePeerId
      if (devicePeerId !== undefined) {
        sessions = await this.#lock.run(async () => {
          const current = (await this.#sessions.get(peer)) as DeviceSessions
          const next = { ...current, devicePeerId }
          await this.#vault.store.batch(this.#sessions.putOps(next))
          this.#sessions.commit(peer, next)
          return next
        })
      }
    }
    const encrypted = await this.#lock.run(() => this.#encryptPending(peer, items))
    if (encrypted === null) return
    const { items: prepared, emits } = encrypted
    for (const emit of emits) emit()
    const texts = prepared.filter((item) => item.kind === 'text' && item.attempts === 0)
    const envelopes = prepared.map((item) => item.envelope as Uint8Array)
    const result =
      sessions.devicePeerId.length === 0
        ? ({ ok: false, reason: 'unreachable', detail: 'device unknown' } as const)
        : await sendRequest(
            this.#init.libp2p,
            peerIdFromBytes(sessions.devicePeerId),
            WREN_MSG_PROTOCOL,
            encodeDeliveryRequest(envelopes),
            {
              timeoutMs: this.#mailboxes !== null ? DIRECT_ATTEMPT_TIMEOUT_MS : DELIVERY_TIMEOUT_MS,
              runOnLimitedConnection: true,
            },
          )
    if (!result.ok) {
      this.#init.log.debug('direct delivery failed', { reason: result.reason, items: prepared.length })
      if (this.#mailboxes !== null) {
        const hints = await this.#mailboxHints(contact)
        if (hints.length > 0) {
          const counts = await this.#mailboxes.deposit(hints, envelopes)
          if (counts.some((c) => c > 0)) {
            await this.#lock.run(() => this.#settleStored(peer, prepared, counts))
            if (items.length === MAX_DELIVERY_BATCH || counts.some((c) => c === 0)) this.#again.add(peer)
            return
          }
        }
      }
      if (texts.length > 0) await this.#setStatus(texts, 'queued')
      await this.#backoff(peer, prepared)
      return
    }
    let statuses: number[]
    try {
      statuses = decodeDeliveryResponse(result.response, prepared.length)
    } catch {
      await this.#backoff(peer, prepared)
      return
    }
    const more = await this.#lock.run(() => this.#settle(peer, prepared, statuses))
    if (more || items.length === MAX_DELIVERY_BATCH) this.#again.add(peer)
  }

  /** Fetch the contact's bundle, check its identity key, claim a one-time prekey, start a session. */
  async #establish(contact: ContactRecord): Promise<boolean> {
    const bundle = await this.#readBundle(contact)
    if (bundle === null) return false
    const devicePeerId = bundle.deviceCertificate.devicePeerId
    let claimed: Uint8Array | null = null
    const direct = await sendRequest(
      this.#init.libp2p,
      peerIdFromBytes(devicePeerId),
      WREN_PREKEY_PROTOCOL,
      new Uint8Array(0),
      {
        timeoutMs: PREKEY_CLAIM_TIMEOUT_MS,
        maxResponseBytes: MAX_PREKEY_RESPONSE_BYTES,
        runOnLimitedConnection: true,
      },
    )
    if (direct.ok) claimed = direct.response
    else if (this.#mailboxes !== null && bundle.mailboxes.length > 0) {
      claimed = await this.#mailboxes.claimPrekey(bundle.mailboxes)
    }
    let oneTime: { oneTimePrekey?: OneTimePrekey; oneTimeKemPrekey?: SignedKemPrekey } = {}
    if (claimed !== null) {
      try {
        const pair = decodePrekeyResponse(claimed)
        if (pair.oneTimePrekey.length > 0 && pair.oneTimeKemPrekey.length > 0) {
          oneTime = {
            oneTimePrekey: decodeOneTimePrekey(pair.oneTimePrekey),
            oneTimeKemPrekey: decodeSignedKemPrekey(pair.oneTimeKemPrekey),
          }
        }
      } catch {
        oneTime = {}
      }
    }
    return this.#lock.run(async () => {
      const existing = await this.#sessions.get(contact.userId)
      if (existing !== null) return true // a session arrived meanwhile (their prekey message)
      let record: ReturnType<typeof initiateSession>
      try {
        record = initiateSession(this.#suite, {
          identity: this.#init.identity,
          bundle,
          ...oneTime,
          now: this.#init.now(),
        })
      } catch (error) {
        // a bad one-time prekey from the peer: fall back to the signed and last-resort keys
        this.#init.log.debug('one-time prekey refused, using the fallback', { error: (error as Error)?.name })
        record = initiateSession(this.#suite, {
          identity: this.#init.identity,
          bundle,
          now: this.#init.now(),
        })
      }
      const sessions = SessionBook.replaceCurrent(null, {
        userId: contact.userId,
        current: record,
        deviceKey: bundle.deviceCertificate.deviceKey,
        devicePeerId,
      })
      await this.#vault.store.batch(this.#sessions.putOps(sessions))
      this.#sessions.commit(contact.userId, sessions)
      return true
    })
  }

  /** Encrypt items that have no envelope yet with the current session (one batch write). */
  async #encryptPending(
    peer: string,
    items: OutboxItem[],
  ): Promise<{ items: OutboxItem[]; emits: Array<() => void> } | null> {
    let sessions = await this.#sessions.get(peer)
    if (sessions === null) return null
    const ops: BatchOp[] = []
    const out: OutboxItem[] = []
    const emits: Array<() => void> = []
    const recipientKey = deviceDhPublicKey(this.#suite, sessions.deviceKey)
    for (const item of items) {
      // re-read: the item may have been settled by a concurrent flush
      if (item.envelope !== null) {
        out.push(item)
        continue
      }
      const { record, encrypted } = sessionEncrypt(this.#suite, sessions.current, item.content)
      sessions = { ...sessions, current: record }
      const envelope = sealEnvelope(this.#suite, {
        recipientKey,
        content: {
          type: encrypted.type,
          senderIdentityKey: this.#init.identity.publicKey,
          senderDeviceKey: this.#init.deviceKey.publicKey,
          body: encrypted.body,
        },
      })
      const next = { ...item, envelope }
      ops.push({ type: 'put', key: this.#vault.outboxKey(peer, item.order), value: next })
      // first transmission: the text is 'sent' in the same write as its ratchet state
      if (item.kind === 'text' && item.attempts === 0)
        emits.push(...(await this.#statusOps(item, 'sent', ops)))
      out.push(next)
    }
    if (ops.length > 0) {
      ops.push(...this.#sessions.putOps(sessions))
      try {
        await this.#vault.store.batch(ops)
      } catch (error) {
        this.#sessions.forget(peer)
        throw error
      }
      this.#sessions.commit(peer, sessions)
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
        ops.push({
          type: 'put',
          key: this.#vault.outboxKey(peer, item.order),
          value: { ...item, attempts, nextAttemptAt: this.#init.now() + this.#delay(attempts) },
        })
        continue
      }
      ops.push({ type: 'del', key: this.#vault.outboxKey(peer, item.order) })
      if (item.kind === 'text') events.push(...(await this.#statusOps(item, 'stored', ops, receipts)))
    }
    await this.#vault.store.batch(ops)
    for (const emit of events) emit()
  }

  /** The contact's mailboxes, from its bundle (re-read when older than BUNDLE_REFRESH_MS). */
  async #mailboxHints(contact: ContactRecord): Promise<MailboxHint[]> {
    const fresh =
      contact.bundleCheckedAt !== undefined && this.#init.now() - contact.bundleCheckedAt < BUNDLE_REFRESH_MS
    // an empty list is re-read every time: the contact may have registered mailboxes since
    if (fresh && contact.mailboxes !== undefined && contact.mailboxes.length > 0) return contact.mailboxes
    const bundle = await this.#readBundle(contact)
    return bundle?.mailboxes ? [...bundle.mailboxes] : (contact.mailboxes ?? [])
  }

  /**
   * Look the contact's bundle up in the DHT, verify it, and record what it says (device,
   * mailboxes; a different identity key goes through observeIdentityKey). Null when not found,
   * invalid, or when the contact is now held for a key change.
   */
  async #readBundle(contact: ContactRecord): Promise<PrekeyBundle | null> {
    const lookup = await getBundle(this.#init.libp2p, parseUserId(contact.userId), {
      timeoutMs: BUNDLE_LOOKUP_TIMEOUT_MS,
    })
    if (!lookup.ok) {
      this.#init.log.debug('bundle lookup failed', { reason: lookup.reason })
      return null
    }
    let bundle: PrekeyBundle
    try {
      bundle = this.#init.verifyBundle(lookup.value, parseUserId(contact.userId))
    } catch (error) {
      this.#init.log.warn('contact bundle rejected', { error: (error as Error)?.name })
      return null
    }
    const after: Array<() => void> = []
    const held = await this.#lock.run(async () => {
      let current = (await this.#vault.getContact(contact.userId)) ?? contact
      if (!bytesEqual(bundle.identityKey, current.identityKey))
        current = this.#inbound.observeIdentityKey(current, bundle.identityKey, after)
      current = {
        ...current,
        devicePeerId: bundle.deviceCertificate.devicePeerId,
        mailboxes: [...bundle.mailboxes],
        bundleCheckedAt: this.#init.now(),
      }
      await this.#vault.store.batch([this.#vault.putContactOp(current)])
      this.#rememberPeer(current)
      return current.keyChanged
    })
    for (const emit of after) emit()
    return held ? null : bundle
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
        ops.push({ type: 'del', key: this.#vault.outboxKey(peer, item.order) })
        if (item.kind === 'text') events.push(...(await this.#statusOps(item, 'delivered', ops)))
      } else if (status === DELIVERY_REJECTED) {
        ops.push({ type: 'del', key: this.#vault.outboxKey(peer, item.order) })
        if (item.kind === 'text') events.push(...(await this.#statusOps(item, 'failed', ops)))
      } else if (status === DELIVERY_NO_SESSION) {
        resetSession = true
      } else {
        const attempts = item.attempts + 1
        ops.push({
          type: 'put',
          key: this.#vault.outboxKey(peer, item.order),
          value: { ...item, attempts, nextAttemptAt: this.#init.now() + this.#delay(attempts) },
        })
      }
    }
    if (resetSession) {
      const resets = (this.#resets.get(peer) ?? 0) + 1
      this.#resets.set(peer, resets)
      ops.push(...this.#sessions.deleteOps(peer))
      for (const item of items) {
        if (statuses[items.indexOf(item)] !== DELIVERY_NO_SESSION) continue
        ops.push({
          type: 'put',
          key: this.#vault.outboxKey(peer, item.order),
          value: {
            ...item,
            envelope: null,
            attempts: item.attempts + 1,
            nextAttemptAt: this.#init.now() + (resets > MAX_SESSION_RESETS ? this.#delay(resets) : 0),
          },
        })
      }
      retryNow = resets <= MAX_SESSION_RESETS
    } else {
      this.#resets.delete(peer)
    }
    await this.#vault.store.batch(ops)
    if (resetSession) {
      this.#sessions.commit(peer, null)
      await this.#clearEnvelopes(peer)
    }
    for (const emit of events) emit()
    return retryNow
  }

  /** Every queued envelope of a peer was sealed with a session that is gone: re-encrypt later. */
  async #clearEnvelopes(peer: string): Promise<void> {
    const ops: BatchOp[] = []
    for await (const [key, item] of this.#vault.store.iterate<OutboxItem>({
      prefix: this.#vault.outboxPrefix(peer),
    })) {
      if (item.envelope !== null) ops.push({ type: 'put', key, value: { ...item, envelope: null } })
    }
    if (ops.length > 0) await this.#vault.store.batch(ops)
  }

  async #statusOps(
    item: OutboxItem,
    status: Message['status'],
    ops: BatchOp[],
    receipts?: number,
  ): Promise<Array<() => void>> {
    const ref =
      item.seq !== undefined
        ? { conversationId: item.conversationId, seq: item.seq }
        : await this.#vault.getMessageRef(this.#userIdString, item.messageId)
    if (ref === undefined) return []
    const message = await this.#vault.getMessage(ref.conversationId, ref.seq)
    if (message === undefined) return []
    if (message.status === 'read' && status === 'delivered') return []
    if (
      (message.status === 'delivered' || message.status === 'read') &&
      (status === 'stored' || status === 'sent')
    )
      return []
    const next = { ...message, status, receipts: receipts ?? message.receipts }
    ops.push({ type: 'put', key: this.#vault.messageKey(ref.conversationId, ref.seq), value: next })
    return [
      () =>
        this.#init.notify('message.status', {
          conversationId: next.conversationId,
          messageId: next.id,
          status: next.status,
          receipts: next.receipts,
        }),
    ]
  }

  async #setStatus(items: OutboxItem[], status: Message['status']): Promise<void> {
    const events = await this.#lock.run(async () => {
      const ops: BatchOp[] = []
      const emits: Array<() => void> = []
      for (const item of items) emits.push(...(await this.#statusOps(item, status, ops)))
      if (ops.length > 0) await this.#vault.store.batch(ops)
      return emits
    })
    for (const emit of events) emit()
  }

  #delay(attempts: number): number {
    const base = this.#init.retryBaseMs ?? RETRY_BASE_MS
    const max = this.#init.retryMaxMs ?? RETRY_MAX_MS
    return Math.min(max, base * 2 ** Math.min(attempts - 1, 20))
  }

  async #backoff(peer: string, items: OutboxItem[]): Promise<void> {
    const now = this.#init.now()
    const ops: BatchOp[] = items.map((item) => ({
      type: 'put' as const,
      key: this.#vault.outboxKey(peer, item.order),
      value: { ...item, attempts: item.attempts + 1, nextAttemptAt: now + this.#delay(item.attempts + 1) },
    }))
    await this.#lock.run(() => this.#vault.store.batch(ops))
    const first = items[0]
    if (first !== undefined) this.#schedule(peer, this.#delay(first.attempts + 1))
  }

  // ---- serving one-time prekeys

  async #servePrekey(): Promise<Uint8Array> {
    const claimed = await this.#init.prekeys.claim()
    if (claimed === null) return encodePrekeyResponse(new Uint8Array(0), new Uint8Array(0))
    if (this.#init.prekeys.available('one-time') === 0) void this.#init.prekeys.maintain(this.#init.now())
    return encodePrekeyResponse(claimed.oneTimePrekey, claimed.oneTimeKemPrekey)
  }

  // ---- reads

  async conversations(): Promise<ConversationRecord[]> {
    return this.#vault.listConversations()
  }

  sessionsOf(userId: string): Promise<DeviceSessions | null> {
    return this.#sessions.get(userId)
  }
}

export function newConversation(id: string, peerUserId: string, now: number): ConversationRecord {
  return { id, kind: 'direct', peerUserId, lastSeq: 0, lastReadSeq: 0, unread: 0, updatedAt: now }
}

export function peerOfConversation(conversationId: string): string {
  if (!conversationId.startsWith('dm:')) throw appError('NOT_FOUND', `no conversation ${conversationId}`)
  return conversationId.slice(3)
}

export function peerIdFromBytes(bytes: Uint8Array): PeerId {
  return peerIdFromMultihash(Digest.decode(bytes))
}

export { conversationIdFor, peerIdFromString }

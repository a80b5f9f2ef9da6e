/**
 * 1:1 messaging for one unlocked profile: the service that starts and stops the protocol
 * handlers and ties the parts together: contacts with pinned identity keys (contacts.ts),
 * sessions, composing texts (send-text.ts) and reading them (mark-read.ts), an outbox that
 * delivers over /wren/msg with retries (outbox.ts), and the receiving side that persists before
 * it acknowledges (inbound.ts). Sessions start from the contact's prekey bundle (establish.ts). Expected network failures are values; they only move a message's retry time.
 *
 * One mutex serialises every read-modify-write of sessions, conversations and the outbox;
 * network waits (DHT lookups, dials, deliveries) happen outside it. The parts share it, and the
 * stores, through a MessengerContext (messenger-context.ts).
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { WREN_MSG_PROTOCOL, WREN_PREKEY_PROTOCOL } from '../p2p/constants.ts'
import { handleRequests } from '../p2p/request-response.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { Announcer } from './announce.ts'
import type { AttachmentHandler, OutgoingAttachment } from './app-payloads.ts'
import { ClaimLimiter } from './claim-limiter.ts'
import { clearConversation } from './clear-conversation.ts'
import {
  CONTACT_DIAL_CONCURRENCY,
  CONTACT_DIAL_TIMEOUT_MS,
  DELIVERY_TIMEOUT_MS,
  HELD_SWEEP_INTERVAL_MS,
  MSG_PEER_LIMIT,
  PREKEY_PEER_LIMIT,
} from './constants.ts'
import { acceptKeyChange, addContact, learnAddresses, requireContact, verifyContact } from './contacts.ts'
import { encodePrekeyResponse, MAX_APP_PAYLOAD_BYTES, MAX_DELIVERY_REQUEST_BYTES } from './content.ts'
import { directConversationId, peerOfDirectConversation } from './conversation-id.ts'
import { resendToNewDevices } from './device-resend.ts'
import { dropRevokedDevices } from './device-revocation.ts'
import { deviceSlot } from './device-slots.ts'
import { peerOfConversation } from './direct-conversation.ts'
import {
  APP_CONVERSATION_TIMER,
  setOurTimer,
  sweepExpired,
  type TimerApplied,
  timerHandler,
} from './disappearing.ts'
import { AppPayloadTooLargeError, ContactNotFoundError, NotForwardableError } from './errors.ts'
import { establishSession } from './establish.ts'
import { dropExpiredHeld } from './held-actions.ts'
import { type AppHandler, Inbound } from './inbound.ts'
import { appendEntry } from './local-entry.ts'
import { markConversationRead } from './mark-read.ts'
import { type ActionRequest, actOnMessage, deleteForMe, locateMessage } from './message-actions.ts'
import type { MessageVia } from './message-path.ts'
import type { MessengerContext, MessengerInit } from './messenger-context.ts'
import { Mutex } from './mutex.ts'
import { NetworkRegained, type RegainedReason } from './network-regained.ts'
import { Outbox } from './outbox.ts'
import { appItem, receiptItemOps } from './outbox-items.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import { type TextOptions, TextSender } from './send-text.ts'
import { ownContactOf, ownOtherDevices } from './sent-transcripts.ts'
import { type DeviceSessions, SessionBook } from './session-book.ts'
import type { ContactRecord, ConversationRecord, MessageRecord, Vault } from './vault.ts'
import { type Waiting, WaitingBook } from './waiting.ts'

export type { MessengerInit, Notify } from './messenger-context.ts'

/** A /wren/prekey request is empty; anything up to this is tolerated (future fields). */
const MAX_PREKEY_REQUEST_BYTES = 16

export class Messenger {
  readonly #init: MessengerInit
  readonly #suite: CryptoSuite
  readonly #vault: Vault
  readonly #sessions: SessionBook
  readonly #lock = new Mutex()
  /** When expired held actions were last swept (sweepExpired does it every HELD_SWEEP_INTERVAL_MS). */
  #heldSweptAt = Number.NEGATIVE_INFINITY
  readonly #inbound: Inbound
  readonly #userIdString: string
  /** libp2p PeerId string → contact user id, for "peer connected: flush its outbox". */
  readonly #peerToUser = new Map<string, string>()
  readonly #ctx: MessengerContext
  readonly #outbox: Outbox
  readonly #texts: TextSender
  readonly #regained: NetworkRegained
  readonly #claims: ClaimLimiter
  readonly #announcer: Announcer<PeerId>
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
    this.#claims = new ClaimLimiter(init.now)
    this.#announcer = new Announcer({
      dial: (peer, options) => init.libp2p.dial(peer, options),
      concurrency: CONTACT_DIAL_CONCURRENCY,
      timeoutMs: CONTACT_DIAL_TIMEOUT_MS,
    })
    this.#inbound = new Inbound({
      suite: init.suite,
      vault: init.vault,
      sessions: this.#sessions,
      prekeys: init.prekeys,
      identity: init.identity,
      ourUserId: this.#userIdString,
      ownDeviceList: () => init.ownDeviceList?.() ?? null,
      onDeviceListStale: (userId) => init.onDeviceListStale?.(userId),
      deviceKey: init.deviceKey,
      notify: init.notify,
      now: init.now,
      log: init.log,
      onContactSeen: (contact) => this.#rememberPeer(contact),
      queueReceipt: (peer, conversationId, kind, ids) =>
        receiptItemOps(this.#ctx, peer, conversationId, kind, ids),
      afterCommit: (peer) => this.kick(peer),
    })
    this.#ctx = {
      init,
      suite: this.#suite,
      vault: this.#vault,
      sessions: this.#sessions,
      lock: this.#lock,
      inbound: this.#inbound,
      userIdString: this.#userIdString,
      mailboxes: init.mailboxes ?? null,
      rememberPeer: (contact) => this.#rememberPeer(contact),
      waiting: new WaitingBook((peer, waiting) =>
        init.notify('conversation.waiting', { conversationId: directConversationId(peer), waiting }),
      ),
    }
    this.#outbox = new Outbox(this.#ctx)
    this.#texts = new TextSender(this.#ctx)
    this.#inbound.registerApp(
      APP_CONVERSATION_TIMER,
      timerHandler(this.#ctx, (apply, via) =>
        this.#lock.run(apply).then(
          (applied) => this.#timerChanged(applied, via),
          (error) => init.log.warn('timer change not applied', { error: (error as Error)?.name }),
        ),
      ),
    )
    this.#regained = new NetworkRegained({
      libp2p: init.libp2p,
      isMailboxRelay: (peer) => this.#ctx.mailboxes?.isRelay(peer) ?? false,
      onRegained: (reason, peer) => this.#onNetworkRegained(reason, peer),
    })
  }

  get userId(): string {
    return this.#userIdString
  }

  /** Envelopes fetched from our mailboxes: processed like a direct delivery, statuses returned. */
  deliverFetched(envelopes: Uint8Array[]): Promise<number[]> {
    return this.#lock.run(() => this.#inbound.handleEnvelopes(envelopes, { peer: null, via: 'mailbox' }))
  }

  async start(): Promise<void> {
    const { libp2p } = this.#init
    this.#outbox.start()
    await handleRequests(
      libp2p,
      WREN_MSG_PROTOCOL,
      (request, ctx) => this.#lock.run(() => this.#inbound.handle(request, ctx.connection, ctx.malformed)),
      {
        maxRequestBytes: MAX_DELIVERY_REQUEST_BYTES,
        runOnLimitedConnection: true,
        timeoutMs: DELIVERY_TIMEOUT_MS,
        limit: MSG_PEER_LIMIT,
        onError: (err, ctx) =>
          this.#init.log.debug('delivery exchange failed', {
            peer: ctx.peerId.toString(),
            error: (err as Error)?.name,
          }),
      },
    )
    await handleRequests(
      libp2p,
      WREN_PREKEY_PROTOCOL,
      (_request, ctx) => this.#lock.run(() => this.#servePrekey(ctx.peerId)),
      {
        maxRequestBytes: MAX_PREKEY_REQUEST_BYTES,
        runOnLimitedConnection: true,
        limit: PREKEY_PEER_LIMIT,
      },
    )
    libp2p.addEventListener('peer:connect', this.#onConnect)
    this.#regained.start()
    for (const contact of await this.#vault.listContacts()) {
      this.#rememberPeer(contact)
      await learnAddresses(this.#ctx, contact)
    }
    for (const peer of await this.#vault.outboxPeers()) void this.#outbox.flush(peer)
    void this.#announce()
  }

  async stop(): Promise<void> {
    this.#announcer.stop()
    this.#outbox.stop()
    this.#regained.stop()
    const { libp2p } = this.#init
    libp2p.removeEventListener('peer:connect', this.#onConnect)
    await Promise.allSettled([libp2p.unhandle(WREN_MSG_PROTOCOL), libp2p.unhandle(WREN_PREKEY_PROTOCOL)])
    // let a critical section in progress finish before the store closes
    await this.#lock.run(async () => {})
  }

  /** Dial known contacts after start (CONTACT_DIAL_CONCURRENCY at a time) so they flush their outboxes. */
  async #announce(): Promise<void> {
    const contacts = await this.#vault.listContacts()
    const devices = contacts.flatMap((c) =>
      c.devicePeerId === null ? [] : [peerIdFromBytes(c.devicePeerId)],
    )
    await this.#announcer.announce(devices)
  }

  #rememberPeer(contact: ContactRecord): void {
    if (contact.devicePeerId === null) return
    const peerId = peerIdFromBytes(contact.devicePeerId)
    this.#peerToUser.set(peerId.toString(), contact.userId)
  }

  // ---- contacts

  /**
   * Add a contact from its card and, in the background, start the session at once while the
   * contact is likely reachable (it just handed its card over): messages written later, even
   * while it is offline, then go straight to its mailboxes instead of waiting for a bundle.
   */
  async addContact(card: ContactCard, name: string | undefined): Promise<ContactRecord> {
    const contact = await addContact(this.#ctx, card, name)
    void this.#warmSession(contact)
    this.#init.onContactAdded?.(contact.userId)
    return contact
  }

  async #warmSession(contact: ContactRecord): Promise<void> {
    try {
      if ((await this.#sessions.get(contact.userId)) !== null || contact.keyChanged) return
      await establishSession(this.#ctx, contact)
    } catch (error) {
      this.#init.log.debug('session not started on add', { error: (error as Error)?.name })
    }
  }

  /**
   * Change a contact record under the messenger's lock (fields other layers keep there, e.g. the
   * pinned device list of node/src/devices). `change` returns null to leave the record as it is.
   */
  updateContact(
    userId: string,
    change: (contact: ContactRecord) => ContactRecord | null,
  ): Promise<ContactRecord | null> {
    return this.#lock.run(async () => {
      const contact = await this.#vault.getContact(userId)
      const next = contact === undefined ? null : change(contact)
      if (next !== null) await this.#vault.store.batch([this.#vault.putContactOp(next)])
      return next
    })
  }

  requireContact(userId: string): Promise<ContactRecord> {
    return requireContact(this.#ctx, userId)
  }

  verifyContact(userId: string): Promise<ContactRecord> {
    return verifyContact(this.#ctx, userId)
  }

  /** Trust the new identity key: it becomes the pinned key (unverified); old sessions are dropped. */
  acceptKeyChange(userId: string): Promise<ContactRecord> {
    return acceptKeyChange(this.#ctx, this.#outbox, userId)
  }

  /** A contact's pinned device list changed: revoked devices lose their sessions and queues. */
  devicesChanged(userId: string): Promise<void> {
    return dropRevokedDevices(this.#ctx, this.#outbox, userId)
  }

  /** A contact's newly pinned list added a device: our recent texts go to it too (device-resend.ts). */
  resendToNewDevices(userId: string): Promise<number> {
    return resendToNewDevices(this.#ctx, this.#outbox, userId)
  }

  // ---- sending

  async sendText(
    conversationId: string,
    text: string,
    attachment?: OutgoingAttachment,
    options?: TextOptions,
  ): Promise<MessageRecord> {
    const peer = peerOfConversation(conversationId)
    const message = await this.#texts.send(conversationId, peer, text, attachment, options)
    void this.#outbox.flush(peer)
    // the copies for our other devices (sent-transcripts.ts)
    for (const device of ownOtherDevices(ownContactOf(this.#ctx), this.#init.deviceKey.publicKey))
      void this.#outbox.flush(deviceSlot(this.#userIdString, device.deviceKey))
    return message
  }

  // ---- disappearing messages (disappearing.ts)

  /** Set the timer of a direct conversation for both sides; its new line (null: unchanged). */
  async setTimer(conversationId: string, seconds: number): Promise<MessageRecord | null> {
    const peer = peerOfConversation(conversationId)
    await this.requireContact(peer)
    const applied = await this.#lock.run(() => setOurTimer(this.#ctx, peer, seconds))
    if (applied !== null) void this.#outbox.flush(peer)
    this.#timerChanged(applied, null)
    return applied?.line ?? null
  }

  #timerChanged(applied: TimerApplied | null, via: MessageVia | null): void {
    if (applied === null) return
    const { line, seconds, by } = applied
    this.#init.notify('conversation.timerChanged', { conversationId: line.conversationId, seconds, by, line })
    if (via !== null) this.#init.notify('message.received', { message: line, via })
  }

  /**
   * Delete the messages whose timer ran out (at `now`); returns them (their files go too). Also,
   * every HELD_SWEEP_INTERVAL_MS, the held actions past their TTL (held-actions.ts).
   */
  sweepExpired(now: number): Promise<MessageRecord[]> {
    return this.#lock.run(async () => {
      if (now - this.#heldSweptAt >= HELD_SWEEP_INTERVAL_MS) {
        this.#heldSweptAt = now
        const dropped = await dropExpiredHeld(this.#vault, now)
        if (dropped > 0) this.#init.log.info('expired held actions dropped', { count: dropped })
      }
      return sweepExpired(this.#ctx, now)
    })
  }

  // ---- actions on messages (message-actions.ts)

  /** React, edit, delete for everyone or pin: applied here and sent to the contact. */
  async act(messageId: string, request: ActionRequest): Promise<MessageRecord> {
    const result = await actOnMessage(this.#ctx, messageId, request)
    if (result.queuedTo !== null) void this.#outbox.flush(result.queuedTo)
    return result.message
  }

  /** Delete a message here only (nothing is sent); the tombstone clients are told about. */
  deleteForMe(messageId: string): Promise<MessageRecord> {
    return deleteForMe(this.#ctx, messageId)
  }

  /**
   * Send the text of message `messageId` as a new message, marked forwarded, to each direct
   * conversation of `conversationIds` (all checked before any is sent).
   */
  async forward(messageId: string, conversationIds: readonly string[]): Promise<MessageRecord[]> {
    const source = await this.message(messageId)
    if (source.deletedAt !== undefined) throw new NotForwardableError('it was deleted')
    if (source.attachment !== undefined) throw new NotForwardableError('it carries a file')
    const targets = [...new Set(conversationIds)]
    for (const id of targets) await this.requireContact(peerOfConversation(id))
    return Promise.all(targets.map((id) => this.sendText(id, source.text, undefined, { forwarded: true })))
  }

  /** A message of a direct conversation by id (MessageNotFoundError otherwise). */
  async message(messageId: string): Promise<MessageRecord> {
    return (await this.#lock.run(() => locateMessage(this.#ctx, messageId))).message
  }

  /** Erase every message of a direct conversation here (clear-conversation.ts); the erased ones. */
  clearConversation(conversationId: string): Promise<MessageRecord[]> {
    peerOfConversation(conversationId)
    return clearConversation(this.#ctx, conversationId)
  }

  /** The contact whose device is this libp2p peer (PeerId string), if it is one. */
  userOfPeer(peerId: string): string | undefined {
    return this.#peerToUser.get(peerId)
  }

  /** Mark incoming messages read up to `upToSeq` and queue read receipts to the sender. */
  async markRead(conversationId: string, upToSeq: number | undefined): Promise<number> {
    const peer = peerOfConversation(conversationId)
    const updated = await this.#lock.run(() => markConversationRead(this.#ctx, conversationId, peer, upToSeq))
    if (updated > 0) void this.#outbox.flush(peer)
    return updated
  }

  // ---- app payloads (groups and other layers over the pairwise sessions)

  /**
   * Append a line of another layer (a call's history entry) to the direct conversation with
   * `peer`, under the lock: `make` gets its conversation id and seq. An incoming line not yet
   * read counts as unread; with a `via` it is announced as message.received.
   */
  async appendEntry(
    peer: string,
    make: (conversationId: string, seq: number) => MessageRecord,
    via: MessageVia | null,
  ): Promise<MessageRecord> {
    const message = await this.#lock.run(() => appendEntry(this.#ctx, peer, make))
    if (via !== null) this.#init.notify('message.received', { message, via })
    return message
  }

  /** Incoming text messages with a file pointer go to `handler` (node/src/files). */
  registerAttachments(handler: AttachmentHandler): void {
    this.#inbound.registerAttachments(handler)
  }

  /**
   * Route incoming CONTENT_KIND_APP payloads of `appKind` to `handler` (see AppHandler).
   * `fromOwnDevices`: our own other devices may send it too (sendToOwnDevices); the handler then
   * sees our own user id as the sender.
   */
  registerApp(appKind: number, handler: AppHandler, fromOwnDevices = false): void {
    this.#inbound.registerApp(appKind, handler, fromOwnDevices)
  }

  /**
   * Queue an app payload to each of our own other devices (listed, not revoked), through their
   * device slots like sent transcripts (sent-transcripts.ts); the kind must be registered with
   * fromOwnDevices there. Returns how many devices it was queued for.
   */
  async sendToOwnDevices(appKind: number, payload: Uint8Array): Promise<number> {
    if (payload.length > MAX_APP_PAYLOAD_BYTES) throw new AppPayloadTooLargeError()
    const slots = ownOtherDevices(ownContactOf(this.#ctx), this.#init.deviceKey.publicKey).map((d) =>
      deviceSlot(this.#userIdString, d.deviceKey),
    )
    if (slots.length === 0) return 0
    await this.#lock.run(async () => {
      const now = this.#init.now()
      let order = await this.#vault.nextCounter('outbox')
      const ops: BatchOp[] = []
      for (const slot of slots) {
        ops.push(this.#vault.putOutboxOp(appItem(this.#ctx, slot, order, now, appKind, payload)))
        ops.push(this.#vault.counterOp('outbox', order))
        order++
      }
      await this.#vault.store.batch(ops)
    })
    for (const slot of slots) void this.#outbox.flush(slot)
    return slots.length
  }

  /**
   * Queue an app payload to each of `peers` (contacts), delivered like messages: in order per
   * peer, retried, re-encrypted after session resets, de-duplicated by the receiver.
   */
  async sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void> {
    if (payload.length > MAX_APP_PAYLOAD_BYTES) throw new AppPayloadTooLargeError()
    const targets = [...new Set(peers)].filter((p) => p !== this.#userIdString)
    await this.#lock.run(async () => {
      const now = this.#init.now()
      let order = await this.#vault.nextCounter('outbox')
      const ops: BatchOp[] = []
      for (const peer of targets) {
        if ((await this.#vault.getContact(peer)) === undefined) throw new ContactNotFoundError(peer)
        const item = appItem(this.#ctx, peer, order, now, appKind, payload)
        ops.push(this.#vault.putOutboxOp(item))
        ops.push(this.#vault.counterOp('outbox', order))
        order++
      }
      await this.#vault.store.batch(ops)
    })
    for (const peer of targets) void this.#outbox.flush(peer)
  }

  /** Retry a peer's outbox now (it connected, or something changed). */
  kick(peer: string): void {
    this.#outbox.kick(peer)
  }

  /** Retry every queued peer now (the network seems to be back). */
  async kickAll(): Promise<void> {
    for (const peer of await this.#ctx.vault.outboxPeers()) this.#outbox.kick(peer)
  }

  /** Times the network came back since start (first connection after none, or a mailbox relay). */
  get networkRegainedCount(): number {
    return this.#regained.count
  }

  /** Every queued peer is retried now; mailboxes are fetched (and re-registered while below k). */
  #onNetworkRegained(reason: RegainedReason, peer: PeerId): void {
    this.#init.log.debug('network regained', { reason, peer: peer.toString() })
    void this.kickAll().catch((error) =>
      this.#init.log.warn('outbox kick failed', { error: (error as Error)?.name }),
    )
    void this.#ctx.mailboxes
      ?.fetch()
      .catch((error) => this.#init.log.warn('mailbox fetch failed', { error: (error as Error)?.name }))
  }

  // ---- serving one-time prekeys

  /**
   * Answer a /wren/prekey request: always this device's current bundle (it is public), and a
   * one-time pair unless the claim limits say no (claim-limiter.ts).
   */
  async #servePrekey(peer: PeerId): Promise<Uint8Array> {
    const bundle = this.#init.currentBundle?.() ?? new Uint8Array(0)
    const none = encodePrekeyResponse(new Uint8Array(0), new Uint8Array(0), bundle)
    if (!this.#claims.allow(peer.toString())) return none
    const claimed = await this.#init.prekeys.claim(this.#init.now())
    if (claimed === null) return none
    return encodePrekeyResponse(claimed.oneTimePrekey, claimed.oneTimeKemPrekey, bundle)
  }

  // ---- reads

  /** Why `message` waits, when it is an undelivered outgoing direct message (else undefined). */
  waitingOf(message: MessageRecord): Waiting | undefined {
    const peer = peerOfDirectConversation(message.conversationId)
    return peer === null ? undefined : this.#ctx.waiting.of(message, peer)
  }

  async conversations(): Promise<ConversationRecord[]> {
    return this.#vault.listConversations()
  }

  sessionsOf(userId: string): Promise<DeviceSessions | null> {
    return this.#sessions.get(userId)
  }
}

export { newConversation, peerOfConversation } from './direct-conversation.ts'

export { peerIdFromBytes, peerIdFromString }

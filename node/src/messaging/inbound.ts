/**
 * The receiving side of /wren/msg: open each sealed envelope, decrypt it with the sender's
 * session (or accept a new one), apply the content, and write everything for the whole batch in
 * one atomic store write before the response leaves. Statuses go back per envelope.
 *
 * Runs inside the messenger's mutex (the caller holds it).
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { deviceDhSecretKey } from '../../../core/src/device-certificate.ts'
import {
  CONTENT_TYPE_PREKEY,
  decodePrekeyMessage,
  openEnvelope,
  type SealedContent,
} from '../../../core/src/envelope.ts'
import { DuplicateMessageError } from '../../../core/src/errors.ts'
import { formatUserId, type IdentityKeyPair } from '../../../core/src/identity.ts'
import { isUserBound } from '../../../core/src/identity-succession.ts'
import { acceptPrekeyMessage } from '../../../core/src/session.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import {
  CONTENT_KIND_APP,
  CONTENT_KIND_DELIVERY_RECEIPT,
  CONTENT_KIND_READ_RECEIPT,
  CONTENT_KIND_TEXT,
  type Content,
  DELIVERY_DUPLICATE,
  DELIVERY_NO_SESSION,
  DELIVERY_OK,
  DELIVERY_REJECTED,
  decodeContent,
  decodeDeliveryRequest,
  encodeDeliveryResponse,
} from './content.ts'
import { directConversationId } from './conversation-id.ts'
import type { Notify } from './events.ts'
import type { MessagingLogger } from './logger.ts'
import { connectionPath, type InboundSource, type MessageVia } from './message-path.ts'
import type { PrekeyManager } from './prekeys.ts'
import { type DeviceSessions, SessionBook } from './session-book.ts'
import type { ContactRecord, ConversationRecord, MessageRecord, Vault } from './vault.ts'

/** An app payload that arrived over a pairwise session (see Messenger.registerApp). */
export interface AppDelivery {
  readonly senderUserId: string
  readonly contact: ContactRecord
  readonly payload: Uint8Array
  readonly messageId: string
  readonly receivedAt: number
  /** The path of the envelope that carried it: direct, relayed or mailbox. */
  readonly via: MessageVia
}

/**
 * What an app handler wants written atomically with the message's session state, and what to
 * run after the write. Handlers run inside the messenger's lock: they must not await messenger
 * methods (fire and forget them in `after`).
 */
export interface AppEffect {
  readonly ops?: readonly BatchOp[]
  readonly after?: () => void
}

export type AppHandler = (delivery: AppDelivery) => Promise<AppEffect>

export interface InboundInit {
  suite: CryptoSuite
  vault: Vault
  sessions: SessionBook
  prekeys: PrekeyManager
  identity: IdentityKeyPair
  ourUserId: string
  deviceKey: { publicKey: Uint8Array; secretKey: Uint8Array }
  notify: Notify
  now: () => number
  log: MessagingLogger
  onContactSeen: (contact: ContactRecord) => void
  queueReceipt: (
    peer: string,
    conversationId: string,
    kind: number,
    ids: readonly string[],
  ) => Promise<BatchOp[]>
  afterCommit: (peer: string) => void
}

/** What one batch changes, kept in memory until the single write. */
interface Pending {
  ops: BatchOp[]
  sessions: Map<string, DeviceSessions>
  contacts: Map<string, ContactRecord>
  conversations: Map<string, ConversationRecord>
  messages: Map<string, MessageRecord>
  refs: Set<string>
  usedPrekeys: Array<[number | null, number | null]>
  events: Array<() => void>
  touchedPeers: Set<string>
  /** Text messages that came through a mailbox, to acknowledge to their senders. */
  receipts: Map<string, string[]>
  /** The path of this batch, reported with each message. */
  via: MessageVia
}

export class Inbound {
  readonly #init: InboundInit
  readonly #deviceDhSecret: Uint8Array
  readonly #apps = new Map<number, AppHandler>()

  registerApp(appKind: number, handler: AppHandler): void {
    if (this.#apps.has(appKind)) throw new Error(`app kind ${appKind} already registered`)
    this.#apps.set(appKind, handler)
  }

  constructor(init: InboundInit) {
    this.#init = init
    this.#deviceDhSecret = deviceDhSecretKey(init.suite, init.deviceKey.secretKey)
  }

  async handle(request: Uint8Array, connection: Connection): Promise<Uint8Array> {
    const source = { peer: connection.remotePeer, via: connectionPath(connection) }
    return encodeDeliveryResponse(await this.handleEnvelopes(decodeDeliveryRequest(request), source))
  }

  /**
   * Process envelopes in order and write the batch. `source.peer` is the sender's device for
   * delivery over a connection, null for envelopes fetched from our mailboxes (then text
   * messages are acknowledged to their senders with delivery receipts).
   */
  async handleEnvelopes(envelopes: readonly Uint8Array[], source: InboundSource): Promise<number[]> {
    const remotePeer = source.peer
    const pending: Pending = {
      ops: [],
      sessions: new Map(),
      contacts: new Map(),
      conversations: new Map(),
      messages: new Map(),
      refs: new Set(),
      usedPrekeys: [],
      events: [],
      touchedPeers: new Set(),
      receipts: new Map(),
      via: source.via,
    }
    const statuses: number[] = []
    for (const envelope of envelopes) statuses.push(await this.#receive(envelope, remotePeer, pending))
    const { vault, sessions, prekeys } = this.#init
    for (const [peer, ids] of pending.receipts) {
      pending.ops.push(
        ...(await this.#init.queueReceipt(
          peer,
          directConversationId(peer),
          CONTENT_KIND_DELIVERY_RECEIPT,
          ids,
        )),
      )
      pending.touchedPeers.add(peer)
    }
    for (const [userId, s] of pending.sessions) pending.ops.push(...sessions.putOps({ ...s, userId }))
    for (const contact of pending.contacts.values()) pending.ops.push(vault.putContactOp(contact))
    for (const conversation of pending.conversations.values()) {
      pending.ops.push(vault.putConversationOp(conversation))
    }
    try {
      await vault.store.batch(pending.ops)
    } catch (error) {
      for (const userId of pending.sessions.keys()) sessions.forget(userId)
      throw error
    }
    for (const [userId, s] of pending.sessions) sessions.commit(userId, s)
    for (const [otp, kem] of pending.usedPrekeys) await prekeys.consume(otp, kem)
    for (const contact of pending.contacts.values()) this.#init.onContactSeen(contact)
    for (const emit of pending.events) emit()
    for (const peer of pending.touchedPeers) this.#init.afterCommit(peer)
    return statuses
  }

  async #sessionsOf(userId: string, pending: Pending): Promise<DeviceSessions | null> {
    return pending.sessions.get(userId) ?? (await this.#init.sessions.get(userId))
  }

  async #contactOf(userId: string, pending: Pending): Promise<ContactRecord | undefined> {
    return pending.contacts.get(userId) ?? (await this.#init.vault.getContact(userId))
  }

  async #receive(envelope: Uint8Array, remotePeer: PeerId | null, pending: Pending): Promise<number> {
    const { suite, log } = this.#init
    let sealed: SealedContent
    try {
      sealed = openEnvelope(suite, { recipientSecretKey: this.#deviceDhSecret, envelope })
    } catch (error) {
      log.debug('envelope refused', { error: (error as Error)?.name })
      return DELIVERY_REJECTED
    }
    const knownUser = await this.#init.sessions.userIdForIdentityKey(sealed.senderIdentityKey)
    const existing = knownUser === null ? null : await this.#sessionsOf(knownUser, pending)
    let plaintext: Uint8Array
    let next: DeviceSessions
    try {
      if (sealed.type === CONTENT_TYPE_PREKEY) {
        const header = decodePrekeyMessage(sealed.body).header
        const all = existing === null ? [] : [existing.current, ...existing.previous]
        const match = all.find((r) => bytesEqual(r.baseKey, header.ephemeralKey)) ?? null
        const accepted = acceptPrekeyMessage(suite, {
          identity: this.#init.identity,
          body: sealed.body,
          existing: match,
          prekeys: this.#init.prekeys.secrets(),
          now: this.#init.now(),
        })
        plaintext = accepted.plaintext
        // through a mailbox the sender's device is unknown until its bundle is read
        const devicePeerId = remotePeer?.toMultihash().bytes ?? existing?.devicePeerId ?? new Uint8Array(0)
        if (accepted.newSession) {
          next = SessionBook.replaceCurrent(existing, {
            userId: knownUser ?? '',
            current: accepted.record,
            deviceKey: sealed.senderDeviceKey,
            devicePeerId,
          })
          pending.usedPrekeys.push([accepted.usedOneTimePrekeyId, accepted.usedOneTimeKemPrekeyId])
        } else {
          const base = existing as DeviceSessions
          const others = [base.current, ...base.previous].filter((r) => r !== match)
          next = { ...base, current: accepted.record, previous: others }
        }
      } else {
        if (existing === null) return DELIVERY_NO_SESSION
        const decrypted = SessionBook.decrypt(suite, existing, sealed.body)
        plaintext = decrypted.plaintext
        next = decrypted.sessions
      }
    } catch (error) {
      if (error instanceof DuplicateMessageError) return DELIVERY_DUPLICATE
      log.debug('could not decrypt', { error: (error as Error)?.name })
      return DELIVERY_NO_SESSION
    }

    let content: Content
    try {
      content = decodeContent(plaintext)
    } catch (error) {
      log.debug('content refused', { error: (error as Error)?.name })
      return DELIVERY_REJECTED
    }
    const userId = formatUserId(content.senderUserId)
    if (knownUser !== null && knownUser !== userId) return DELIVERY_REJECTED
    // The user id must belong to the identity key that authenticated the session: derived from
    // it, or proven by the origin key's succession signature.
    if (!isUserBound(suite, content.senderUserId, sealed.senderIdentityKey, content.succession)) {
      return DELIVERY_REJECTED
    }
    if (userId === this.#init.ourUserId) return DELIVERY_REJECTED

    let contact = await this.#contactOf(userId, pending)
    if (contact === undefined) {
      contact = {
        userId,
        displayName: content.senderName.length > 0 ? content.senderName : userId.slice(0, 10),
        identityKey: sealed.senderIdentityKey,
        verified: false,
        keyChanged: false,
        pendingIdentityKey: null,
        addedAt: this.#init.now(),
        devicePeerId: next.devicePeerId,
        addrs: [],
      }
    } else if (!bytesEqual(contact.identityKey, sealed.senderIdentityKey)) {
      contact = this.observeIdentityKey(contact, sealed.senderIdentityKey, pending.events)
    }
    if (
      next.devicePeerId.length > 0 &&
      (contact.devicePeerId === null || !bytesEqual(contact.devicePeerId, next.devicePeerId))
    ) {
      contact = { ...contact, devicePeerId: next.devicePeerId }
    }
    pending.contacts.set(userId, contact)
    pending.sessions.set(userId, { ...next, userId })

    if (content.kind === CONTENT_KIND_TEXT) {
      const status = await this.#receiveText(userId, contact, content, pending)
      if (remotePeer === null) {
        const ids = pending.receipts.get(userId) ?? []
        ids.push(toHex(content.messageId))
        pending.receipts.set(userId, ids)
      }
      return status
    }
    if (content.kind === CONTENT_KIND_APP) return this.#receiveApp(userId, contact, content, pending)
    if (content.kind === CONTENT_KIND_DELIVERY_RECEIPT || content.kind === CONTENT_KIND_READ_RECEIPT) {
      await this.#receiveReceipt(content, pending)
    }
    return DELIVERY_OK
  }

  /** The record key naming this sender's message id, or null when it was already received. */
  async #newRef(userId: string, idHex: string, pending: Pending): Promise<string | null> {
    const refKey = this.#init.vault.messageRefKey(userId, idHex)
    if (pending.refs.has(refKey) || (await this.#init.vault.has(refKey))) return null
    return refKey
  }

  async #receiveText(
    userId: string,
    contact: ContactRecord,
    content: Content,
    pending: Pending,
  ): Promise<number> {
    const { vault } = this.#init
    const idHex = toHex(content.messageId)
    const refKey = await this.#newRef(userId, idHex, pending)
    if (refKey === null) return DELIVERY_DUPLICATE
    const conversationId = directConversationId(userId)
    const now = this.#init.now()
    const conversation = pending.conversations.get(conversationId) ??
      (await vault.getConversation(conversationId)) ?? {
        id: conversationId,
        kind: 'direct' as const,
        peerUserId: userId,
        lastSeq: 0,
        lastReadSeq: 0,
        unread: 0,
        updatedAt: now,
      }
    const seq = conversation.lastSeq + 1
    const message: MessageRecord = {
      id: idHex,
      conversationId,
      seq,
      direction: 'in',
      sender: userId,
      text: content.text,
      sentAt: content.sentAt,
      receivedAt: now,
      status: 'delivered',
      receipts: 0,
    }
    pending.refs.add(refKey)
    pending.ops.push(vault.putMessageOp(message))
    pending.ops.push(vault.putMessageRefOp(refKey, { conversationId, seq }))
    pending.conversations.set(conversationId, {
      ...conversation,
      lastSeq: seq,
      unread: conversation.unread + 1,
      updatedAt: now,
    })
    pending.events.push(() => this.#init.notify('message.received', { message, via: pending.via }))
    void contact
    return DELIVERY_OK
  }

  async #receiveApp(
    userId: string,
    contact: ContactRecord,
    content: Content,
    pending: Pending,
  ): Promise<number> {
    const idHex = toHex(content.messageId)
    const refKey = await this.#newRef(userId, idHex, pending)
    if (refKey === null) return DELIVERY_DUPLICATE
    pending.refs.add(refKey)
    pending.ops.push(this.#init.vault.putMessageRefOp(refKey, { conversationId: '', seq: 0 }))
    const handler = this.#apps.get(content.appKind ?? 0)
    if (handler === undefined) {
      this.#init.log.debug('app payload for an unknown app kind dropped', { appKind: content.appKind })
      return DELIVERY_OK
    }
    try {
      const effect = await handler({
        senderUserId: userId,
        contact,
        payload: content.appPayload ?? new Uint8Array(0),
        messageId: idHex,
        receivedAt: this.#init.now(),
        via: pending.via,
      })
      if (effect.ops) pending.ops.push(...effect.ops)
      if (effect.after) pending.events.push(effect.after)
    } catch (error) {
      // a faulty payload must not block the sender's queue: it is acknowledged and logged
      this.#init.log.warn('app payload handler failed', {
        appKind: content.appKind,
        error: (error as Error)?.name,
      })
    }
    return DELIVERY_OK
  }

  async #receiveReceipt(content: Content, pending: Pending): Promise<void> {
    const { vault } = this.#init
    const status = content.kind === CONTENT_KIND_READ_RECEIPT ? 'read' : 'delivered'
    for (const id of content.receiptIds) {
      const ref = await vault.getMessageRef(this.#init.ourUserId, toHex(id))
      if (ref === undefined) continue
      const key = vault.messageKey(ref.conversationId, ref.seq)
      const message = pending.messages.get(key) ?? (await vault.getMessage(ref.conversationId, ref.seq))
      if (message === undefined || message.direction !== 'out') continue
      if (message.status === 'read' || (message.status === 'delivered' && status === 'delivered')) continue
      const next: MessageRecord = { ...message, status }
      pending.messages.set(key, next)
      pending.ops.push(vault.putMessageOp(next))
      pending.events.push(() =>
        this.#init.notify('message.status', {
          conversationId: next.conversationId,
          messageId: next.id,
          status: next.status,
          receipts: next.receipts,
        }),
      )
    }
  }

  /**
   * A contact shows an identity key other than the pinned one. A verified contact drops to
   * unverified and is held (sending refused) until the user accepts the new key; an unverified
   * contact moves to the new key (trust on first use, as Signal does) with the event as notice.
   */
  observeIdentityKey(
    contact: ContactRecord,
    identityKey: Uint8Array,
    after: Array<() => void>,
  ): ContactRecord {
    if (bytesEqual(contact.identityKey, identityKey)) return contact
    if (contact.pendingIdentityKey !== null && bytesEqual(contact.pendingIdentityKey, identityKey))
      return contact
    const verifiedBefore = contact.verified
    // the event goes out after the caller has written the contact
    after.push(() => this.#init.notify('contact.keyChanged', { userId: contact.userId, verifiedBefore }))
    this.#init.log.info('contact identity key changed', { verifiedBefore })
    if (verifiedBefore) {
      return { ...contact, verified: false, keyChanged: true, pendingIdentityKey: identityKey }
    }
    return { ...contact, identityKey, keyChanged: false, pendingIdentityKey: null }
  }
}

/**
 * The receiving side of /wren/msg: open each sealed envelope, decrypt it with the sender's
 * session (or accept a new one), apply the content, and write everything for the whole batch in
 * one atomic store write before the response leaves. Statuses go back per envelope. Decryption is
 * in inbound-decrypt.ts, applying each kind of content in inbound-content.ts, the batch state in
 * inbound-batch.ts.
 *
 * Runs inside the messenger's mutex (the caller holds it).
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import { deviceDhSecretKey } from '../../../core/src/device-certificate.ts'
import { openEnvelope, type SealedContent } from '../../../core/src/envelope.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import { isUserBound } from '../../../core/src/identity-succession.ts'
import type { AppHandler, AttachmentHandler } from './app-payloads.ts'
import {
  CONTENT_KIND_ACTION,
  CONTENT_KIND_APP,
  CONTENT_KIND_DELIVERY_RECEIPT,
  CONTENT_KIND_READ_RECEIPT,
  CONTENT_KIND_TEXT,
  type Content,
  DELIVERY_OK,
  DELIVERY_REJECTED,
  decodeContent,
  decodeDeliveryRequest,
  encodeDeliveryResponse,
} from './content.ts'
import { directConversationId } from './conversation-id.ts'
import { receiveAction } from './inbound-action.ts'
import { type InboundInit, newPending, type Pending } from './inbound-batch.ts'
import { newRef, receiveApp, receiveReceipt, receiveText } from './inbound-content.ts'
import { decryptSealed } from './inbound-decrypt.ts'
import { connectionPath, type InboundSource } from './message-path.ts'
import { ownContact } from './own-devices.ts'
import { receiveOwnDevice } from './sent-transcript-inbound.ts'
import type { ContactRecord } from './vault.ts'

export type { AppDelivery, AppEffect, AppHandler } from './app-payloads.ts'

/** A decrypted envelope whose sender checked out, waiting to be applied. */
interface Opened {
  readonly userId: string
  /** The device key of the session it came through. */
  readonly deviceKey: Uint8Array
  readonly contact: ContactRecord
  readonly content: Content
}

export type { InboundInit } from './inbound-batch.ts'

/** Contents taken once per sender and message id (receipts are not: they carry no message). */
const COUNTED_KINDS: ReadonlySet<number> = new Set([CONTENT_KIND_TEXT, CONTENT_KIND_APP, CONTENT_KIND_ACTION])

export class Inbound {
  readonly #init: InboundInit
  readonly #deviceDhSecret: Uint8Array
  readonly #deviceDhPublic: Uint8Array
  readonly #apps = new Map<number, AppHandler>()
  /** App kinds our own other devices may send us too (besides sent transcripts), e.g. our picture. */
  readonly #ownApps = new Set<number>()
  #attachments: AttachmentHandler | null = null

  registerAttachments(handler: AttachmentHandler): void {
    this.#attachments = handler
  }

  registerApp(appKind: number, handler: AppHandler, fromOwnDevices = false): void {
    if (this.#apps.has(appKind)) throw new Error(`app kind ${appKind} already registered`)
    this.#apps.set(appKind, handler)
    if (fromOwnDevices) this.#ownApps.add(appKind)
  }

  constructor(init: InboundInit) {
    this.#init = init
    this.#deviceDhSecret = deviceDhSecretKey(init.suite, init.deviceKey.secretKey)
    this.#deviceDhPublic = init.suite.x25519PublicKey(this.#deviceDhSecret)
  }

  /**
   * A /wren/msg request from a connected peer. `forged` is told when not one envelope of it opens
   * for this device: a real contact seals every envelope to our device key, so that counts
   * against the peer.
   */
  async handle(request: Uint8Array, connection: Connection, forged?: () => void): Promise<Uint8Array> {
    const source = { peer: connection.remotePeer, via: connectionPath(connection) }
    const statuses = await this.handleEnvelopes(decodeDeliveryRequest(request), source)
    if (statuses.every((status) => status === DELIVERY_REJECTED)) forged?.()
    return encodeDeliveryResponse(statuses)
  }

  /**
   * Process envelopes in order and write the batch. `source.peer` is the sender's device for
   * delivery over a connection, null for envelopes fetched from our mailboxes (then text
   * messages are acknowledged to their senders with delivery receipts).
   */
  async handleEnvelopes(envelopes: readonly Uint8Array[], source: InboundSource): Promise<number[]> {
    const remotePeer = source.peer
    const pending: Pending = newPending(source.via)
    const { vault, sessions, prekeys } = this.#init
    // decrypt every envelope first (session states follow one another), then learn in one lookup
    // which message ids were received before, then apply the contents in order
    const opened: Array<Opened | number> = []
    for (const envelope of envelopes) opened.push(await this.#open(envelope, remotePeer, pending))
    const refKeys = opened.flatMap((o) =>
      typeof o === 'number' || !COUNTED_KINDS.has(o.content.kind)
        ? []
        : [vault.messageRefKey(o.userId, toHex(o.content.messageId))],
    )
    // actions held for the batch's texts, looked up in the same round trip
    const heldKeys = opened.flatMap((o) =>
      typeof o === 'number' || o.content.kind !== CONTENT_KIND_TEXT
        ? []
        : [vault.heldActionsKey(o.userId, toHex(o.content.messageId))],
    )
    pending.checkedRefs = new Set(refKeys)
    const stored = await vault.store.existing([...refKeys, ...heldKeys])
    pending.storedRefs = new Set(refKeys.filter((k) => stored.has(k)))
    pending.storedHeld = new Set(heldKeys.filter((k) => stored.has(k)))
    const statuses: number[] = []
    for (const o of opened)
      statuses.push(typeof o === 'number' ? o : await this.#apply(o, remotePeer, pending))
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

  async #contactOf(userId: string, pending: Pending): Promise<ContactRecord | undefined> {
    return pending.contacts.get(userId) ?? (await this.#init.vault.getContact(userId))
  }

  /** Open and decrypt one envelope and check its sender: the content to apply, or a status. */
  async #open(envelope: Uint8Array, remotePeer: PeerId | null, pending: Pending): Promise<Opened | number> {
    const { suite, log } = this.#init
    let sealed: SealedContent
    try {
      sealed = openEnvelope(suite, {
        recipientSecretKey: this.#deviceDhSecret,
        recipientPublicKey: this.#deviceDhPublic,
        envelope,
      })
    } catch (error) {
      log.debug('envelope refused', { error: (error as Error)?.name })
      return DELIVERY_REJECTED
    }
    const decrypted = await decryptSealed(this.#init, sealed, remotePeer, pending)
    if ('status' in decrypted) return decrypted.status
    const { plaintext, next, knownUser, deviceChanged, sessionKey } = decrypted
    const slot = sessionKey !== null && sessionKey !== knownUser

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
    if (userId === this.#init.ourUserId) {
      // one of our own devices (decryptSealed let only a listed one through, in its slot): no
      // contact record is written for ourselves
      if (!slot) return DELIVERY_REJECTED
      const self = ownContact(userId, this.#init.identity.publicKey, this.#init.ownDeviceList())
      if (self === undefined) return DELIVERY_REJECTED
      pending.sessions.set(sessionKey as string, { ...next, userId: sessionKey as string })
      return { userId, deviceKey: sealed.senderDeviceKey, contact: self, content }
    }

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
      !slot &&
      next.devicePeerId.length > 0 &&
      (contact.devicePeerId === null || !bytesEqual(contact.devicePeerId, next.devicePeerId))
    ) {
      contact = { ...contact, devicePeerId: next.devicePeerId }
    }
    // the contact now speaks from another device: the old device's mailboxes are not its own,
    // so the next deposit reads the contact's bundle again first
    if (deviceChanged && !slot) {
      const { bundleCheckedAt: _stale, ...rest } = contact
      contact = { ...rest, mailboxes: [] }
    }
    pending.contacts.set(userId, contact)
    const key = slot ? (sessionKey as string) : userId
    pending.sessions.set(key, { ...next, userId: key })
    return { userId, deviceKey: sealed.senderDeviceKey, contact, content }
  }

  /** Apply one decrypted content to the batch; its delivery status. */
  async #apply(
    { userId, deviceKey, contact, content }: Opened,
    remotePeer: PeerId | null,
    pending: Pending,
  ): Promise<number> {
    if (userId === this.#init.ourUserId) {
      // from our own device: a sent transcript, or an app payload registered for own devices
      if (content.kind !== CONTENT_KIND_APP) return DELIVERY_REJECTED
      if (content.appKind !== undefined && this.#ownApps.has(content.appKind))
        return receiveApp(this.#init, this.#apps, { userId, deviceKey }, contact, content, pending)
      return receiveOwnDevice(this.#init, content, pending)
    }
    if (content.kind === CONTENT_KIND_TEXT) {
      const status = await receiveText(this.#init, userId, contact, content, pending, this.#attachments)
      if (remotePeer === null) {
        const ids = pending.receipts.get(userId) ?? []
        ids.push(toHex(content.messageId))
        pending.receipts.set(userId, ids)
      }
      return status
    }
    if (content.kind === CONTENT_KIND_APP)
      return receiveApp(this.#init, this.#apps, { userId, deviceKey }, contact, content, pending)
    if (content.kind === CONTENT_KIND_ACTION)
      return receiveAction(this.#init, userId, content, pending, (idHex) =>
        newRef(this.#init, userId, idHex, pending),
      )
    if (content.kind === CONTENT_KIND_DELIVERY_RECEIPT || content.kind === CONTENT_KIND_READ_RECEIPT) {
      await receiveReceipt(this.#init, content, pending)
    }
    return DELIVERY_OK
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

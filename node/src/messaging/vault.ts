/**
 * The messaging layer's view of the profile database: typed records (records.ts, checked on
 * read) under the key layout of storage/layout.ts, on the SealedStore (every value sealed with
 * the storage key). Keys hold no user ids in clear: per-contact and per-conversation parts are
 * blinded with an HMAC keyed from the storage key, so the db files reveal neither who the user
 * talks to nor what was said.
 */
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import { PREFIXES } from '../storage/layout.ts'
import { type BatchOp, orderedCounter, putRecord, type SealedStore } from '../storage/sealed-store.ts'
import {
  CONTACT_RECORD,
  CONVERSATION_RECORD,
  COUNTER,
  type ContactRecord,
  type ConversationRecord,
  HELD_ACTIONS,
  type HeldActions,
  MESSAGE_RECORD,
  MESSAGE_REF,
  type MessageRecord,
  type MessageRef,
  OUTBOX_ITEM,
  type OutboxItem,
} from './records.ts'

export type {
  ContactRecord,
  ConversationRecord,
  HeldActions,
  MessageRecord,
  MessageRef,
  OutboxItem,
} from './records.ts'

/** Blinded ids are 96-bit HMAC prefixes: unique for any realistic number of contacts. */
const BLIND_ID_BYTES = 12
const BLIND_KEY_INFO = 'wren/storage/blind-keys/v1'
/**
 * Blinded ids remembered (id → HMAC): a profile blinds the same few ids (its contacts, their
 * conversations, its own user id) on every message; beyond this many the oldest are dropped, so
 * the memo stays small however many ids pass through (least recently used dropped first).
 */
const BLIND_MEMO_ENTRIES = 1024

export class Vault {
  readonly store: SealedStore
  /** A KeyObject: raw key bytes cost a thrown-exception probe in every createHmac. */
  readonly #blindKey: KeyObject
  readonly #blinded = new Map<string, string>()
  /**
   * The earliest `nextExpiry` of any conversation, for the expiry sweep: unknown (null) until a
   * sweep has read every conversation, then lowered by each conversation written with one, so a
   * sweep reads the list only when something may be due (it ran every second over every
   * conversation of the profile, expiring or not).
   */
  #earliestExpiry: number | null = null
  /** Lowest `nextExpiry` written while a sweep reads the list (undefined: none, or no sweep). */
  #expiryWrittenDuringScan: number | undefined

  constructor(store: SealedStore, storageKey: Uint8Array) {
    this.store = store
    const key = new Uint8Array(hkdfSync('sha256', storageKey, new Uint8Array(32), BLIND_KEY_INFO, 32))
    this.#blindKey = createSecretKey(key)
    key.fill(0)
  }

  blind(id: string): string {
    const known = this.#blinded.get(id)
    if (known !== undefined) {
      // most recently used last: per-message ids (groups blind some) push out old ones first
      this.#blinded.delete(id)
      this.#blinded.set(id, known)
      return known
    }
    const blinded = createHmac('sha256', this.#blindKey)
      .update(id)
      .digest('hex')
      .slice(0, BLIND_ID_BYTES * 2)
    if (this.#blinded.size >= BLIND_MEMO_ENTRIES)
      this.#blinded.delete(this.#blinded.keys().next().value as string)
    this.#blinded.set(id, blinded)
    return blinded
  }

  contactKey(userId: string): string {
    return `${PREFIXES.contact}${this.blind(userId)}`
  }
  sessionKey(userId: string): string {
    return `${PREFIXES.session}${this.blind(userId)}`
  }
  /** Index from a remote identity key (hex) to the user whose session uses it. */
  identityIndexKey(identityKeyHex: string): string {
    return `${PREFIXES.identityIndex}${this.blind(identityKeyHex)}`
  }
  /** The message a messages.send call with this client id created (de-duplicates retried calls). */
  clientIdKey(conversationId: string, clientId: string): string {
    return `${PREFIXES.clientId}${this.blind(`${conversationId}\n${clientId}`)}`
  }
  conversationKey(conversationId: string): string {
    return `${PREFIXES.conversation}${this.blind(conversationId)}`
  }
  /** The prefix of every message of a conversation. */
  messagePrefix(conversationId: string): string {
    return `${PREFIXES.message}${this.blind(conversationId)}/`
  }
  messageKey(conversationId: string, seq: number): string {
    return `${this.messagePrefix(conversationId)}${orderedCounter(seq)}`
  }
  messageRefKey(senderUserId: string, messageIdHex: string): string {
    return `${PREFIXES.messageRef}${this.blind(senderUserId)}/${messageIdHex}`
  }
  outboxPrefix(peerUserId: string): string {
    return `${PREFIXES.outbox}${this.blind(peerUserId)}/`
  }
  /** Actions held for the message `messageIdHex` of `authorUserId`, which has not arrived yet. */
  heldActionsKey(authorUserId: string, messageIdHex: string): string {
    return `${PREFIXES.heldActions}${this.blind(authorUserId)}/${messageIdHex}`
  }
  outboxKey(peerUserId: string, order: number): string {
    return `${this.outboxPrefix(peerUserId)}${orderedCounter(order)}`
  }

  getContact(userId: string): Promise<ContactRecord | undefined> {
    return this.store.read(this.contactKey(userId), CONTACT_RECORD)
  }

  async listContacts(): Promise<ContactRecord[]> {
    const out: ContactRecord[] = []
    for await (const [, value] of this.store.scan(CONTACT_RECORD, { prefix: PREFIXES.contact }))
      out.push(value)
    return out.sort((a, b) => a.addedAt - b.addedAt)
  }

  putContactOp(contact: ContactRecord): BatchOp {
    return putRecord(this.contactKey(contact.userId), CONTACT_RECORD, contact)
  }

  getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    return this.store.read(this.conversationKey(conversationId), CONVERSATION_RECORD)
  }

  async listConversations(): Promise<ConversationRecord[]> {
    const out: ConversationRecord[] = []
    for await (const [, value] of this.store.scan(CONVERSATION_RECORD, { prefix: PREFIXES.conversation }))
      out.push(value)
    return out.sort((a, b) => b.updatedAt - a.updatedAt)
  }

  /** Whether a conversation may have messages due at `now` (true while nothing is known yet). */
  expiryMayBeDue(now: number): boolean {
    return this.#earliestExpiry === null || this.#earliestExpiry <= now
  }

  /** A sweep starts reading every conversation: writes from now on are kept aside for its end. */
  expiryScanStarted(): void {
    this.#expiryWrittenDuringScan = Number.POSITIVE_INFINITY
  }

  /** The sweep read every conversation: `earliest` is the lowest nextExpiry left (Infinity: none). */
  expiryScanned(earliest: number): void {
    this.#earliestExpiry = Math.min(earliest, this.#expiryWrittenDuringScan ?? Number.POSITIVE_INFINITY)
    this.#expiryWrittenDuringScan = undefined
  }

  putConversationOp(conversation: ConversationRecord): BatchOp {
    const next = conversation.nextExpiry
    if (next !== undefined) {
      if (this.#earliestExpiry !== null) this.#earliestExpiry = Math.min(this.#earliestExpiry, next)
      if (this.#expiryWrittenDuringScan !== undefined)
        this.#expiryWrittenDuringScan = Math.min(this.#expiryWrittenDuringScan, next)
    }
    return putRecord(this.conversationKey(conversation.id), CONVERSATION_RECORD, conversation)
  }

  getMessage(conversationId: string, seq: number): Promise<MessageRecord | undefined> {
    return this.store.read(this.messageKey(conversationId, seq), MESSAGE_RECORD)
  }

  putMessageOp(message: MessageRecord): BatchOp {
    return putRecord(this.messageKey(message.conversationId, message.seq), MESSAGE_RECORD, message)
  }

  /** A conversation's messages in order, from `fromSeq` on when given (each with its record key). */
  messages(conversationId: string, fromSeq?: number): AsyncGenerator<[key: string, message: MessageRecord]> {
    const prefix = this.messagePrefix(conversationId)
    return this.store.scan(
      MESSAGE_RECORD,
      fromSeq === undefined ? { prefix } : { prefix, gte: this.messageKey(conversationId, fromSeq) },
    )
  }

  /** Messages before `beforeSeq` (exclusive), newest first up to `limit`, returned oldest first. */
  async listMessages(
    conversationId: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
    const prefix = this.messagePrefix(conversationId)
    const out: MessageRecord[] = []
    const options =
      beforeSeq === undefined
        ? { prefix, reverse: true, limit: limit + 1 }
        : { prefix, lt: `${prefix}${orderedCounter(beforeSeq)}`, reverse: true, limit: limit + 1 }
    for await (const [, value] of this.store.scan(MESSAGE_RECORD, options)) out.push(value)
    const hasMore = out.length > limit
    return { messages: out.slice(0, limit).reverse(), hasMore }
  }

  getMessageRef(senderUserId: string, messageIdHex: string): Promise<MessageRef | undefined> {
    return this.store.read(this.messageRefKey(senderUserId, messageIdHex), MESSAGE_REF)
  }

  /** The message ref at `key` (messageRefKey), if any. */
  getMessageRefAt(key: string): Promise<MessageRef | undefined> {
    return this.store.read(key, MESSAGE_REF)
  }

  getHeldActions(key: string): Promise<HeldActions | undefined> {
    return this.store.read(key, HELD_ACTIONS)
  }

  putHeldActionsOp(key: string, held: HeldActions): BatchOp {
    return putRecord(key, HELD_ACTIONS, held)
  }

  /** Every held record (few: capped by MAX_HELD_ACTIONS), each with its key. */
  heldActions(): AsyncGenerator<[key: string, held: HeldActions]> {
    return this.store.scan(HELD_ACTIONS, { prefix: PREFIXES.heldActions })
  }

  /** A peer's first `limit` queued items in order (after the item `afterOrder` when given). */
  async listOutbox(peerUserId: string, limit: number, afterOrder?: number): Promise<OutboxItem[]> {
    const out: OutboxItem[] = []
    const prefix = this.outboxPrefix(peerUserId)
    for await (const [, value] of this.store.scan(
      OUTBOX_ITEM,
      afterOrder === undefined
        ? { prefix, limit }
        : { prefix, gte: this.outboxKey(peerUserId, afterOrder + 1), limit },
    ))
      out.push(value)
    return out
  }

  /** Whether a record exists at `key` (a message ref: de-duplication), without reading it. */
  async has(key: string): Promise<boolean> {
    return (await this.store.get(key)) !== undefined
  }

  putMessageRefOp(key: string, ref: MessageRef): BatchOp {
    return putRecord(key, MESSAGE_REF, ref)
  }

  /** The message ref stored under a client id (clientIdKey), if any. */
  getClientIdRef(key: string): Promise<MessageRef | undefined> {
    return this.store.read(key, MESSAGE_REF)
  }

  /** A peer's queued items in order, each with its record key. */
  outboxItems(peerUserId: string): AsyncGenerator<[key: string, item: OutboxItem]> {
    return this.store.scan(OUTBOX_ITEM, { prefix: this.outboxPrefix(peerUserId) })
  }

  putOutboxOp(item: OutboxItem): BatchOp {
    return putRecord(this.outboxKey(item.peerUserId, item.order), OUTBOX_ITEM, item)
  }

  /** Peers with anything waiting in the outbox (blinded keys → read one item each). */
  async outboxPeers(): Promise<Set<string>> {
    const peers = new Set<string>()
    for await (const [, value] of this.store.scan(OUTBOX_ITEM, { prefix: PREFIXES.outbox }))
      peers.add(value.peerUserId)
    return peers
  }

  async nextCounter(name: string): Promise<number> {
    const current = (await this.store.read(`${PREFIXES.counter}${name}`, COUNTER)) ?? 0
    return current + 1
  }

  counterOp(name: string, value: number): BatchOp {
    return putRecord(`${PREFIXES.counter}${name}`, COUNTER, value)
  }
}

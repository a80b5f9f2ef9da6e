/**
 * The messaging layer's view of the profile database: typed records under a fixed key layout on
 * the SealedStore (every value sealed with the storage key). Keys hold no user ids in clear:
 * per-contact and per-conversation parts are blinded with an HMAC keyed from the storage key,
 * so the db files reveal neither who the user talks to nor what was said.
 *
 * Layout (b(x) = blinded id):
 *   k/b(userId)                 ContactRecord
 *   s/b(userId)                 SessionEntry (encoded core SessionRecord + device keys)
 *   c/b(conversationId)         ConversationRecord
 *   m/b(conversationId)/seq     Message (the API shape)
 *   i/b(senderUserId)/msgIdHex  MessageRef (de-duplication and receipts by message id)
 *   o/b(peerUserId)/order       OutboxItem (per-peer FIFO)
 *   pk/<id>                     one-time prekey secret (prekey-store.ts)
 *   meta/*                      counters and profile metadata
 */
import { createHmac, hkdfSync } from 'node:crypto'
import type { MailboxHint } from '../../../core/src/prekey-bundle.ts'
import type { Message } from '../rpc/api.ts'
import { type BatchOp, orderedCounter, type SealedStore } from '../storage/sealed-store.ts'

/** Blinded ids are 96-bit HMAC prefixes: unique for any realistic number of contacts. */
const BLIND_ID_BYTES = 12
const BLIND_KEY_INFO = 'wren/storage/blind-keys/v1'

export interface ContactRecord {
  userId: string
  displayName: string
  /** The pinned (trusted) identity key. */
  identityKey: Uint8Array
  verified: boolean
  /** A different identity key was seen and is waiting for contacts.acceptKeyChange. */
  keyChanged: boolean
  pendingIdentityKey: Uint8Array | null
  addedAt: number
  /** Reachability hints from the card or the latest bundle. */
  devicePeerId: Uint8Array | null
  addrs: Uint8Array[]
  /** The contact's mailboxes from its latest bundle, and when that bundle was read. */
  mailboxes?: MailboxHint[]
  bundleCheckedAt?: number
}

export interface SessionEntry {
  /** core SessionRecord, encoded. */
  record: Uint8Array
  /** Ed25519 device key of the remote device (its X25519 form seals envelopes to it). */
  deviceKey: Uint8Array
  devicePeerId: Uint8Array
}

export interface ConversationRecord {
  id: string
  kind: 'direct'
  peerUserId: string
  lastSeq: number
  lastReadSeq: number
  /** Incoming messages after lastReadSeq. */
  unread: number
  updatedAt: number
}

export interface MessageRef {
  conversationId: string
  seq: number
}

export interface OutboxItem {
  order: number
  peerUserId: string
  /** Text messages show in history; receipts and app payloads do not. */
  kind: 'text' | 'receipt' | 'app'
  /** Hex message id of the text message (for status updates); '' for receipts. */
  messageId: string
  conversationId: string
  /** Position of the text message in its conversation (saves an index read per status change). */
  seq?: number
  /** Encoded Content, encrypted when the item is first sent. */
  content: Uint8Array
  /** The sealed envelope once encrypted: retries resend these exact bytes. */
  envelope: Uint8Array | null
  attempts: number
  nextAttemptAt: number
  createdAt: number
}

export class Vault {
  readonly store: SealedStore
  readonly #blindKey: Uint8Array

  constructor(store: SealedStore, storageKey: Uint8Array) {
    this.store = store
    this.#blindKey = new Uint8Array(hkdfSync('sha256', storageKey, new Uint8Array(32), BLIND_KEY_INFO, 32))
  }

  blind(id: string): string {
    return createHmac('sha256', this.#blindKey)
      .update(id)
      .digest('hex')
      .slice(0, BLIND_ID_BYTES * 2)
  }

  contactKey(userId: string): string {
    return `k/${this.blind(userId)}`
  }
  sessionKey(userId: string): string {
    return `s/${this.blind(userId)}`
  }
  conversationKey(conversationId: string): string {
    return `c/${this.blind(conversationId)}`
  }
  messageKey(conversationId: string, seq: number): string {
    return `m/${this.blind(conversationId)}/${orderedCounter(seq)}`
  }
  messageRefKey(senderUserId: string, messageIdHex: string): string {
    return `i/${this.blind(senderUserId)}/${messageIdHex}`
  }
  outboxPrefix(peerUserId: string): string {
    return `o/${this.blind(peerUserId)}/`
  }
  outboxKey(peerUserId: string, order: number): string {
    return `${this.outboxPrefix(peerUserId)}${orderedCounter(order)}`
  }

  getContact(userId: string): Promise<ContactRecord | undefined> {
    return this.store.get<ContactRecord>(this.contactKey(userId))
  }

  async listContacts(): Promise<ContactRecord[]> {
    const out: ContactRecord[] = []
    for await (const [, value] of this.store.iterate<ContactRecord>({ prefix: 'k/' })) out.push(value)
    return out.sort((a, b) => a.addedAt - b.addedAt)
  }

  putContactOp(contact: ContactRecord): BatchOp {
    return { type: 'put', key: this.contactKey(contact.userId), value: contact }
  }

  getSession(userId: string): Promise<SessionEntry | undefined> {
    return this.store.get<SessionEntry>(this.sessionKey(userId))
  }

  getConversation(conversationId: string): Promise<ConversationRecord | undefined> {
    return this.store.get<ConversationRecord>(this.conversationKey(conversationId))
  }

  async listConversations(): Promise<ConversationRecord[]> {
    const out: ConversationRecord[] = []
    for await (const [, value] of this.store.iterate<ConversationRecord>({ prefix: 'c/' })) out.push(value)
    return out.sort((a, b) => b.updatedAt - a.updatedAt)
  }

  getMessage(conversationId: string, seq: number): Promise<Message | undefined> {
    return this.store.get<Message>(this.messageKey(conversationId, seq))
  }

  /** Messages before `beforeSeq` (exclusive), newest first up to `limit`, returned oldest first. */
  async listMessages(
    conversationId: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const prefix = `m/${this.blind(conversationId)}/`
    const out: Message[] = []
    const options =
      beforeSeq === undefined
        ? { prefix, reverse: true, limit: limit + 1 }
        : { prefix, lt: `${prefix}${orderedCounter(beforeSeq)}`, reverse: true, limit: limit + 1 }
    for await (const [, value] of this.store.iterate<Message>(options)) out.push(value)
    const hasMore = out.length > limit
    return { messages: out.slice(0, limit).reverse(), hasMore }
  }

  getMessageRef(senderUserId: string, messageIdHex: string): Promise<MessageRef | undefined> {
    return this.store.get<MessageRef>(this.messageRefKey(senderUserId, messageIdHex))
  }

  async listOutbox(peerUserId: string, limit: number): Promise<OutboxItem[]> {
    const out: OutboxItem[] = []
    for await (const [, value] of this.store.iterate<OutboxItem>({
      prefix: this.outboxPrefix(peerUserId),
      limit,
    })) {
      out.push(value)
    }
    return out
  }

  /** Peers with anything waiting in the outbox (blinded keys → read one item each). */
  async outboxPeers(): Promise<Set<string>> {
    const peers = new Set<string>()
    for await (const [, value] of this.store.iterate<OutboxItem>({ prefix: 'o/' }))
      peers.add(value.peerUserId)
    return peers
  }

  async nextCounter(name: string): Promise<number> {
    const key = `meta/counter/${name}`
    const current = (await this.store.get<number>(key)) ?? 0
    return current + 1
  }

  counterOp(name: string, value: number): BatchOp {
    return { type: 'put', key: `meta/counter/${name}`, value }
  }
}

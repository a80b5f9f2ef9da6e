/**
 * The group layer's records in the profile's sealed store (every value sealed; keys hold only
 * blinded ids, counters and random message ids):
 *   g/b(groupIdHex)              GroupRecord (status, encoded op log, member cards, conversation)
 *   gk/b(groupIdHex)             OwnSenderKey (our Sender Key for the current epoch)
 *   gr/b(distributionIdHex)      PeerSenderKey (a member's Sender Key, receiver copy)
 *   gd/b(messageIdHex)           DeliveryRecord (per-member state of one of our group messages)
 *   gp/b(messageIdHex)           pending-fallback index: members that may still need the copy
 *   gi/b(senderUserId)/msgIdHex  received message ref (de-duplication)
 *   gs/b(distHex:chain:iter)     received Sender Key position → message id (re-acknowledge)
 *   gj/b(groupIdHex)/msgIdHex    HeldPost (one of our posts held for pending invitees)
 *   gm/b(msgIdHex)/b(author)     GroupMessageRef (a group message by id: ours and members')
 *   gh/b(author)/msgIdHex        HeldGroupActions (actions that overtook their message)
 * Group messages themselves live in the messenger's layout (m/b(conversationId)/seq) so
 * messages.list reads both kinds the same way.
 */
import type { Vault } from '../messaging/vault.ts'
import { GROUP_PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { StoredMessage } from './types.ts'

export type GroupStatus = 'invited' | 'member' | 'left' | 'removed'
export type MemberDelivery = 'gossip' | 'queued' | 'delivered' | 'read'

export interface GroupConversation {
  lastSeq: number
  lastReadSeq: number
  unread: number
  /** Unread messages that mention us (counted even when the group is muted); absent: 0. */
  mentionUnread?: number
  updatedAt: number
  // ---- disappearing messages (issue 19; group-timer.ts). Optional: older records read as is.
  /** The timer in seconds; absent: off. */
  timerSeconds?: number
  /** The setter's clock when the timer last changed: an older change is stale. */
  timerSetAt?: number
  /** The earliest expiresAt of a line here: the sweep reads only groups that are due. */
  nextExpiry?: number
}

export interface GroupRecord {
  groupId: string
  status: GroupStatus
  /** encodeGroupLog bytes. */
  log: Uint8Array
  /** Signed contact cards of members and invitees, by user id (so a newcomer can reach them). */
  cards: Record<string, string>
  invitedBy: string | null
  conversation: GroupConversation
  createdAt: number
}

export interface OwnSenderKey {
  groupId: string
  epoch: number
  /** encodeSenderKeyState bytes (with the signing secret). */
  state: Uint8Array
  createdAt: number
  /** Messages sent on the current chain. */
  sent: number
  /** Members that were sent the current chain's distribution. */
  distributedTo: string[]
}

export interface PeerSenderKey {
  groupId: string
  sender: string
  epoch: number
  state: Uint8Array
  /**
   * Hex of the device key whose pairwise session brought the distribution (issue 18): the key is
   * forgotten when that device is revoked. Absent for keys copied by a link or a restore.
   */
  device?: string
}

export interface DeliveryRecord {
  groupId: string
  conversationId: string
  seq: number
  members: Record<string, MemberDelivery>
  /** The topic payload, kept while some member may still need the pairwise copy. */
  wire: Uint8Array | null
}

export interface ReceivedRef {
  conversationId: string
  seq: number
  sender: string
  messageId: string
}

export class GroupStore {
  readonly vault: Vault

  constructor(vault: Vault) {
    this.vault = vault
  }

  groupKey(groupId: string): string {
    return `${GROUP_PREFIXES.group}${this.vault.blind(`grp:${groupId}`)}`
  }
  ownKeyKey(groupId: string): string {
    return `${GROUP_PREFIXES.ownSenderKey}${this.vault.blind(`grp:${groupId}`)}`
  }
  peerKeyKey(distributionIdHex: string): string {
    return `${GROUP_PREFIXES.peerSenderKey}${this.vault.blind(`dist:${distributionIdHex}`)}`
  }
  deliveryKey(messageIdHex: string): string {
    return `${GROUP_PREFIXES.delivery}${this.vault.blind(`msg:${messageIdHex}`)}`
  }
  pendingKey(messageIdHex: string): string {
    return `${GROUP_PREFIXES.pending}${this.vault.blind(`msg:${messageIdHex}`)}`
  }
  receivedKey(sender: string, messageIdHex: string): string {
    return `${GROUP_PREFIXES.received}${this.vault.blind(sender)}/${messageIdHex}`
  }
  heldKey(groupId: string, messageIdHex: string): string {
    return `${GROUP_PREFIXES.held}${this.vault.blind(`grp:${groupId}`)}/${messageIdHex}`
  }
  /** Every author's message with this id sits under this prefix (ids are random, per sender). */
  messageIndexPrefix(messageIdHex: string): string {
    return `${GROUP_PREFIXES.messageIndex}${this.vault.blind(`msg:${messageIdHex}`)}/`
  }
  messageIndexKey(messageIdHex: string, author: string): string {
    return `${this.messageIndexPrefix(messageIdHex)}${this.vault.blind(author)}`
  }
  heldActionsKey(author: string, messageIdHex: string): string {
    return `${GROUP_PREFIXES.heldActions}${this.vault.blind(author)}/${messageIdHex}`
  }
  positionKey(distributionIdHex: string, chainId: number, iteration: number): string {
    return `${GROUP_PREFIXES.position}${this.vault.blind(`pos:${distributionIdHex}:${chainId}:${iteration}`)}`
  }

  async *all<T>(prefix: string): AsyncGenerator<T> {
    for await (const [, value] of this.vault.store.iterate<T>({ prefix })) yield value
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.vault.store.get<T>(key)
  }

  batch(ops: readonly BatchOp[]): Promise<void> {
    return ops.length === 0 ? Promise.resolve() : this.vault.store.batch(ops)
  }

  put(key: string, value: unknown): BatchOp {
    return { type: 'put', key, value }
  }

  del(key: string): BatchOp {
    return { type: 'del', key }
  }

  messageOp(message: StoredMessage): BatchOp {
    return { type: 'put', key: this.vault.messageKey(message.conversationId, message.seq), value: message }
  }

  getMessage(conversationId: string, seq: number): Promise<StoredMessage | undefined> {
    return this.vault.getMessage(conversationId, seq)
  }

  /** Every stored message of a conversation with its key, in seq order. */
  async *messages(conversationId: string): AsyncGenerator<[string, StoredMessage]> {
    const prefix = this.vault.messagePrefix(conversationId)
    yield* this.vault.store.iterate<StoredMessage>({ prefix })
  }
}

export {
  groupConversationId,
  groupOfConversationId as groupOfConversation,
} from '../messaging/conversation-id.ts'

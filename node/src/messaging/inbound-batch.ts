/**
 * What the receiving side works with: its init (stores, keys, callbacks) and the changes of one
 * delivery batch, kept in memory until the single write.
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import type { Notify } from './events.ts'
import type { MessagingLogger } from './logger.ts'
import type { MessageVia } from './message-path.ts'
import type { PrekeyManager } from './prekeys.ts'
import type { DeviceSessions, SessionBook } from './session-book.ts'
import type {
  ContactRecord,
  ConversationRecord,
  HeldActions,
  MessageRecord,
  MessageRef,
  Vault,
} from './vault.ts'

export interface InboundInit {
  suite: CryptoSuite
  vault: Vault
  sessions: SessionBook
  prekeys: PrekeyManager
  identity: IdentityKeyPair
  ourUserId: string
  /** Our own device list (MessengerInit.ownDeviceList): its other devices may write to us. */
  ownDeviceList: () => DeviceList | null
  /** MessengerInit.onDeviceListStale: a session error that a newer device list may explain. */
  onDeviceListStale: (userId: string) => void
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
export interface Pending {
  ops: BatchOp[]
  sessions: Map<string, DeviceSessions>
  contacts: Map<string, ContactRecord>
  conversations: Map<string, ConversationRecord>
  messages: Map<string, MessageRecord>
  refs: Set<string>
  /** Refs of the messages this batch stores, by ref key (actions later in the batch find them). */
  newRefs: Map<string, MessageRef>
  /** Held-action records this batch changed, by key (null: taken, deleted in this batch). */
  held: Map<string, HeldActions | null>
  /** Held-action keys looked up for the batch's texts at once, and those of them stored. */
  storedHeld: Set<string>
  /** Message ref keys looked up for the whole batch at once, and those of them already stored. */
  checkedRefs: Set<string>
  storedRefs: Set<string>
  usedPrekeys: Array<[number | null, number | null]>
  events: Array<() => void>
  touchedPeers: Set<string>
  /** Text messages that came through a mailbox, to acknowledge to their senders. */
  receipts: Map<string, string[]>
  /** The path of this batch, reported with each message. */
  via: MessageVia
}

/** An empty batch arriving by `via`. */
export function newPending(via: MessageVia): Pending {
  return {
    ops: [],
    sessions: new Map(),
    contacts: new Map(),
    conversations: new Map(),
    messages: new Map(),
    refs: new Set(),
    newRefs: new Map(),
    held: new Map(),
    storedHeld: new Set(),
    checkedRefs: new Set(),
    storedRefs: new Set(),
    usedPrekeys: [],
    events: [],
    touchedPeers: new Set(),
    receipts: new Map(),
    via,
  }
}

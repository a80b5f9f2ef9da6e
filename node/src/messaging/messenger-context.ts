/**
 * What the parts of the messenger share: the init, the stores and the one mutex that serialises
 * every read-modify-write of sessions, conversations and the outbox. Passed explicitly to the
 * outbox and to session establishment instead of letting them reach into Messenger's fields.
 */
import type { Libp2p } from '@libp2p/interface'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import type { PrekeyBundle } from '../../../core/src/prekey-bundle.ts'
import type { WrenServices } from '../p2p/host.ts'
import type { Notify } from './events.ts'
import type { Inbound } from './inbound.ts'
import type { MessagingLogger } from './logger.ts'
import type { Mailboxes } from './mailboxes.ts'
import type { Mutex } from './mutex.ts'
import type { PrekeyManager } from './prekeys.ts'
import type { SessionBook } from './session-book.ts'
import type { ContactRecord, Vault } from './vault.ts'
import type { WaitingBook } from './waiting.ts'

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
  /** Relay mailboxes (deposit when a contact is unreachable, claim prekeys there); null without relays. */
  mailboxes?: Mailboxes | null
  /**
   * This device's current signed prekey bundle, served with every `/wren/prekey` answer so a
   * contact that can reach the device never waits on the DHT; null while there is none.
   */
  currentBundle?: () => Uint8Array | null
  /** Decode + verify a bundle fetched from the DHT or a device (same checks as the DHT validator). */
  verifyBundle: (bytes: Uint8Array, userId: Uint8Array) => PrekeyBundle
  /** A contact's bundle was read and accepted (a lookup of the contact): device lists refresh here. */
  onContactLookedUp?: (userId: string) => void
  /** A contact was added (from a card: contacts.add, or a group's member card); it is stored. */
  onContactAdded?: (userId: string) => void
  /**
   * An envelope from `userId` (a contact, or our own user id) came from a device its list as held
   * here does not have, or did not decrypt: the list may be stale (devices/device-list-refresh.ts).
   */
  onDeviceListStale?: (userId: string) => void
  /**
   * This identity's own device list as this device holds it (devices/own-device-list.ts): our
   * other devices get copies of what we send (sent-transcripts.ts) and may write to us. Absent or
   * null: this device is the only one.
   */
  ownDeviceList?: () => DeviceList | null
  /** Announce an event (the daemon forwards it to RPC clients). */
  notify: Notify
  now: () => number
  log: MessagingLogger
  retryBaseMs?: number
  retryMaxMs?: number
}

export type { Notify }

export interface MessengerContext {
  readonly init: MessengerInit
  readonly suite: CryptoSuite
  readonly vault: Vault
  readonly sessions: SessionBook
  readonly lock: Mutex
  readonly inbound: Inbound
  /** Our user id as a string (formatUserId). */
  readonly userIdString: string
  /** Relay mailboxes (MessengerInit.mailboxes), else null. */
  mailboxes: Mailboxes | null
  /** Map the contact's device to its user id, for "peer connected: flush its outbox". */
  readonly rememberPeer: (contact: ContactRecord) => void
  /**
   * Why each contact's messages wait. Session establishment may record a precise reason with
   * `waiting.record(contact.userId, reason)` when it fails; otherwise the outbox says 'no-bundle'.
   */
  readonly waiting: WaitingBook
}

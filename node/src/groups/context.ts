/**
 * What the parts of the group layer (membership, key distribution, send, receive, receipts)
 * share, built once by the GroupService: who we are, the group records and keys with the lock
 * that guards them, the groups we hold, and the ways out (the pairwise queue, the topic, events,
 * the log). A part gets this and the few other parts it calls, never the service itself.
 *
 * Locking: `lock` serialises every read-modify-write of group records and keys. Messenger app
 * handlers run inside the messenger's lock and take ours; so code holding our lock never waits
 * for the messenger: every pairwise send goes through `enqueue`, after the lock is released.
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import type { Mutex } from '../messaging/mutex.ts'
import type { GroupStore } from './group-store.ts'
import type { HeldPosts } from './join-catch-up.ts'
import type { Outgoing } from './op-sync.ts'
import type { GroupRegistry } from './registry.ts'
import type { SenderKeyBook } from './sender-keys.ts'
import type { GroupContacts, GroupLogger, GroupNotify, GroupTransport } from './types.ts'

export interface GroupContext {
  readonly suite: CryptoSuite
  /** Our identity: the key pair that signs our ops, our user id (binary and formatted). */
  readonly identity: IdentityKeyPair
  readonly userId: Uint8Array
  readonly me: string
  readonly succession: IdentitySuccession | null
  /** Our signed contact card (string form), given to the members we join. */
  readonly card: () => string
  readonly contacts: GroupContacts
  readonly store: GroupStore
  readonly keys: SenderKeyBook
  /** Our posts held for pending invitees (a post in flight while someone joins). */
  readonly held: HeldPosts
  readonly lock: Mutex
  readonly groups: GroupRegistry
  readonly transport: GroupTransport
  /** Queue pairwise payloads in order; resolves once they are in the messenger's outbox (or failed). */
  readonly enqueue: (sends: readonly Outgoing[]) => Promise<void>
  readonly notify: GroupNotify
  readonly now: () => number
  readonly log: GroupLogger
}

/**
 * The ordered background queue of the group layer's pairwise sends. Payloads are queued under
 * the service's lock and sent after it is released, in order, so the messenger (whose handlers
 * take our lock) is never awaited while we hold it. A member we hold no contact for is added from
 * the signed card the group carries; one still unreachable is skipped (and, for our Sender Key
 * distribution, marked as not distributed so a later reconcile retries it). Our own user id
 * among the peers (only our Sender Key distribution names it) stands for our own other devices.
 */
import { parseContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { Mutex } from '../messaging/mutex.ts'
import type { GroupStore } from './group-store.ts'
import type { Outgoing } from './op-sync.ts'
import type { GroupRegistry } from './registry.ts'
import type { SenderKeyBook } from './sender-keys.ts'
import type { GroupContacts, GroupLogger, GroupPairwise } from './types.ts'

export interface PairwiseQueueInit {
  readonly suite: CryptoSuite
  readonly contacts: GroupContacts
  readonly pairwise: GroupPairwise
  readonly groups: GroupRegistry
  readonly store: GroupStore
  readonly keys: SenderKeyBook
  readonly lock: Mutex
  readonly log: GroupLogger
  /** Our own user id: a distribution to it goes to our own other devices (issue 18). */
  readonly me: string
}

export class PairwiseQueue {
  readonly #init: PairwiseQueueInit
  #queue: Promise<void> = Promise.resolve()

  constructor(init: PairwiseQueueInit) {
    this.#init = init
  }

  /** Queue payloads in order; resolves once they are in the messenger's outbox (or failed). */
  enqueue(sends: readonly Outgoing[]): Promise<void> {
    if (sends.length === 0) return this.#queue
    const run = async () => {
      for (const send of sends) await this.#sendOne(send)
    }
    this.#queue = this.#queue
      .then(run, run)
      .catch((error) => this.#init.log.warn('group send failed', { error: (error as Error)?.name }))
    return this.#queue
  }

  /** Resolves once everything queued so far was handled. */
  drained(): Promise<void> {
    return this.#queue
  }

  async #sendOne(send: Outgoing): Promise<void> {
    const { contacts, pairwise, lock, store, keys, log, me } = this.#init
    const reachable: string[] = []
    const unreachable: string[] = []
    if (send.peers.includes(me)) await pairwise.sendToOwnDevices(send.appKind, send.payload)
    for (const peer of send.peers) {
      if (peer === me) continue
      if ((await contacts.getContact(peer)) === undefined) await this.#addCardContact(send.groupId, peer)
      if ((await contacts.getContact(peer)) === undefined) unreachable.push(peer)
      else reachable.push(peer)
    }
    if (reachable.length > 0) await pairwise.sendApp(reachable, send.appKind, send.payload)
    if (unreachable.length > 0) {
      log.info('group payload for members without a card skipped', { count: unreachable.length })
      if (send.distribution) await lock.run(() => store.batch(keys.undistribute(send.groupId, unreachable)))
    }
  }

  async #addCardContact(groupId: string, userId: string): Promise<void> {
    const text = this.#init.groups.group(groupId)?.record.cards[userId]
    if (text === undefined) return
    try {
      await this.#init.pairwise.addContact(parseContactCard(this.#init.suite, text), undefined)
    } catch (error) {
      this.#init.log.debug('member card refused', { error: (error as Error)?.name })
    }
  }
}

/**
 * This device's mailboxes on relay nodes (the layer above MailboxClient): keep k inboxes on
 * distinct relays, re-home when a relay keeps failing, fetch on start / relay (re)connect /
 * periodically and hand the envelopes to the messenger, ack what was persisted, and keep a pool
 * of one-time prekeys at each mailbox. The sender side (deposit to a contact's mailboxes) is in
 * mailbox-deposit.ts, the stored records in mailbox-record.ts, the merged order in
 * mailbox-order.ts.
 *
 * Inbox keys are per inbox (so inboxes on different relays cannot be linked) and live in the
 * sealed profile store.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite, KeyPair } from '../../../core/src/crypto/suite.ts'
import { MAILBOX_TTL_MS, MAX_ACK_HASHES, MAX_FETCH_LIMIT } from '../../../core/src/mailbox/constants.ts'
import type { MailboxHint } from '../../../core/src/prekey-bundle.ts'
import { MailboxClient } from '../mailbox/mailbox-client.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import type { MessagingLogger } from './logger.ts'
import { claimMailboxPrekey, depositToMailboxes } from './mailbox-deposit.ts'
import { type FetchSource, fetchRound } from './mailbox-fetch.ts'
import { listenForNewMail } from './mailbox-notify.ts'
import { MAILBOX_LIST, MAILBOXES_KEY, type MailboxRecord, relayOf } from './mailbox-record.ts'
import type { PrekeyManager } from './prekeys.ts'

export { mergeMailboxOrder } from './mailbox-order.ts'

/** Mailboxes per device: losing k-1 relays loses nothing (DESIGN.md). */
export const DEFAULT_MAILBOX_COUNT = 3
/**
 * Periodic fetch, on top of fetching at start and when the network comes back (a mailbox relay
 * connects, or the first connection after none: Messenger's NetworkRegained calls fetch()).
 */
export const MAILBOX_FETCH_INTERVAL_MS = 30_000
/** Consecutive failed fetches before a mailbox is given up and another relay is chosen. */
export const MAILBOX_REHOME_FAILURES = 5
/** One-time prekeys kept at each mailbox, and the level under which they are topped up. */
export const MAILBOX_PREKEY_POOL = 10
export const MAILBOX_PREKEY_LOW_WATER = 3
/** Pages read from one mailbox per fetch round (MAX_FETCH_LIMIT = 256 envelopes each): bounds one round's work (4,096 envelopes). */
const MAX_PAGES_PER_FETCH = 16
/**
 * Fetched envelopes handed to the messenger at once: one sealed write, one delivery receipt per
 * sender and one ack request per mailbox for this many (a catch-up of 1,000 paid those per 64
 * before: 16 acks, each a challenge and a request, per mailbox). One ack request's worth, and
 * within one receipt message's ids (MAX_RECEIPT_IDS, 512).
 */
export const MAILBOX_DELIVER_BATCH = MAX_ACK_HASHES

export interface MailboxesInit {
  suite: CryptoSuite
  store: SealedStore
  libp2p: Libp2p
  /** Candidate relays: multiaddrs ending in /p2p/<relay id>. */
  relays: readonly string[]
  count?: number
  fetchIntervalMs?: number
  /**
   * Fetch when a relay announces new mail (default true). false: the poll only — for a test that
   * drives every fetch itself and must not race an announced one.
   */
  announcedFetch?: boolean
  prekeys: PrekeyManager
  log: MessagingLogger
  now: () => number
  /** Persist and process fetched envelopes in order; one status per envelope (content.ts codes). */
  deliver: (envelopes: Uint8Array[]) => Promise<number[]>
  /** The set of mailboxes changed: the bundle must be re-published. */
  onChange: () => void
}

export class Mailboxes {
  readonly #init: MailboxesInit
  #records: MailboxRecord[] = []
  #timer: ReturnType<typeof setInterval> | undefined
  #fetching: Promise<void> | null = null
  #again = false
  #running = false
  #ensuring: Promise<void> | null = null
  #unlisten: (() => Promise<void>) | null = null

  constructor(init: MailboxesInit) {
    this.#init = init
  }

  #active(): MailboxRecord[] {
    return this.#records.filter((r) => r.retiredAt === undefined)
  }

  /** Whether this peer holds one of our mailboxes (retired ones too: they are still drained). */
  isRelay(peer: PeerId): boolean {
    const id = peer.toString()
    return this.#records.some((r) => r.relay === id)
  }

  /** Bundle hints for our mailboxes (retired ones are not advertised). */
  hints(): MailboxHint[] {
    return this.#active().map((r) => ({
      relayPeerId: peerIdFromString(r.relay).toMultihash().bytes,
      inboxId: r.inboxId,
      addrs: r.addrs.slice(0, 4).flatMap((a) => {
        try {
          return [multiaddr(a).bytes]
        } catch {
          return []
        }
      }),
    }))
  }

  async start(): Promise<void> {
    this.#running = true
    this.#records = (await this.#init.store.read(MAILBOXES_KEY, MAILBOX_LIST)) ?? []
    await this.#ensure()
    this.#timer = setInterval(
      () => void this.fetch(),
      this.#init.fetchIntervalMs ?? MAILBOX_FETCH_INTERVAL_MS,
    )
    this.#timer.unref?.()
    // a relay holding one of our inboxes says when new mail arrives: fetch then, not at the poll
    if (this.#init.announcedFetch !== false)
      this.#unlisten = await listenForNewMail({
        libp2p: this.#init.libp2p,
        holds: (relay, inboxId) => {
          const id = relay.toString()
          const hex = toHex(inboxId)
          return this.#records.some((r) => r.relay === id && toHex(r.inboxId) === hex)
        },
        onNewMail: () => void this.fetch(),
      })
    void this.fetch()
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#timer) clearInterval(this.#timer)
    await this.#unlisten?.().catch(() => {})
    this.#unlisten = null
    await this.#fetching?.catch(() => {})
  }

  #client(record: { relay: string; addrs: string[] }): MailboxClient {
    return new MailboxClient({
      libp2p: this.#init.libp2p,
      suite: this.#init.suite,
      relay: peerIdFromString(record.relay),
      addrs: record.addrs.flatMap((a) => {
        try {
          return [multiaddr(a)]
        } catch {
          return []
        }
      }),
    })
  }

  #inboxKey(record: MailboxRecord): KeyPair {
    return { publicKey: this.#init.suite.ed25519PublicKey(record.inboxSeed), secretKey: record.inboxSeed }
  }

  /**
   * Keep k mailboxes on distinct relays. A mailbox that failed MAILBOX_REHOME_FAILURES fetches in
   * a row (while other relays answered) is retired only once a replacement is registered, so a
   * device that is itself cut off never gives up its mailboxes; retired ones are still drained.
   */
  #ensure(): Promise<void> {
    // start, a fetch and the network-regained signal may all ask at once: two passes in parallel
    // would both register on the same relay (neither sees the other's record yet)
    if (this.#ensuring === null) {
      this.#ensuring = this.#ensureOnce().finally(() => {
        this.#ensuring = null
      })
    }
    return this.#ensuring
  }

  async #ensureOnce(): Promise<void> {
    const want = this.#init.count ?? DEFAULT_MAILBOX_COUNT
    const before = this.#active()
      .map((r) => r.relay)
      .join()
    const now = this.#init.now()
    // drained or long-expired retired mailboxes go
    this.#records = this.#records.filter(
      (r) => r.retiredAt === undefined || now - r.retiredAt < MAILBOX_TTL_MS,
    )
    const healthy = () => this.#active().filter((r) => r.failures < MAILBOX_REHOME_FAILURES)
    for (const candidate of this.#init.relays) {
      if (healthy().length >= want) break
      const relay = relayOf(candidate)
      if (relay === null || this.#records.some((r) => r.relay === relay.peerId.toString())) continue
      const inbox = this.#init.suite.ed25519Generate()
      const record: MailboxRecord = {
        relay: relay.peerId.toString(),
        addrs: [relay.addr.decapsulateCode(421).toString()],
        inboxSeed: inbox.secretKey,
        inboxId: new Uint8Array(0),
        registeredAt: now,
        failures: 0,
      }
      const result = await this.#client(record).register(inbox)
      if (!result.ok) {
        this.#init.log.debug('mailbox registration failed', { relay: record.relay, reason: result.reason })
        continue
      }
      this.#records.push({ ...record, inboxId: result.value.inboxId })
    }
    // retire failing mailboxes only once k healthy ones replace them
    if (healthy().length >= want) {
      for (const record of this.#records) {
        if (record.retiredAt === undefined && record.failures >= MAILBOX_REHOME_FAILURES)
          record.retiredAt = now
      }
    }
    await this.#init.store.write(MAILBOXES_KEY, MAILBOX_LIST, this.#records)
    const after = this.#active()
      .map((r) => r.relay)
      .join()
    if (after !== before) this.#init.onChange()
  }

  /** Fetch every mailbox, deliver in a merged order, ack what was handled. Serialised. */
  fetch(): Promise<void> {
    if (!this.#running) return Promise.resolve()
    if (this.#fetching !== null) {
      this.#again = true
      return this.#fetching
    }
    this.#fetching = (async () => {
      try {
        do {
          this.#again = false
          await this.#fetchOnce()
        } while (this.#again && this.#running)
      } finally {
        this.#fetching = null
      }
    })()
    return this.#fetching
  }

  async #fetchOnce(): Promise<void> {
    await this.#dropDrainedRetired()
    // every mailbox at once, pages pipelined with processing (mailbox-fetch.ts): a catch-up
    // waits for the slowest relay's first page, not for every page of every relay
    const { outcomes, delivered } = await fetchRound(
      this.#records.map((record) => this.#source(record)),
      {
        maxPages: MAX_PAGES_PER_FETCH,
        deliverBatch: MAILBOX_DELIVER_BATCH,
        deliver: (envelopes) => this.#init.deliver(envelopes),
      },
    )
    for (const { record, ok, empty } of outcomes)
      if (ok && empty && record.retiredAt !== undefined) this.#drained.add(record)
    // A failure counts against a relay only when another one answered: if none did, this device
    // is the one cut off, and its mailboxes are kept as they are.
    const anyAnswered = outcomes.some((o) => o.ok)
    let changed = false
    for (const { record, ok } of outcomes) {
      const failures = ok ? 0 : anyAnswered ? record.failures + 1 : record.failures
      if (failures !== record.failures) changed = true
      record.failures = failures
    }
    const want = this.#init.count ?? DEFAULT_MAILBOX_COUNT
    const belowK = this.#active().filter((r) => r.failures < MAILBOX_REHOME_FAILURES).length < want
    // with no mailbox at all (every registration failed, e.g. the device started offline) there
    // is nothing to answer: registering is the only way to learn whether the relays are back
    if (belowK && (anyAnswered || outcomes.length === 0)) await this.#ensure()
    else if (changed) await this.#init.store.write(MAILBOXES_KEY, MAILBOX_LIST, this.#records)
    if (delivered > 0) this.#init.log.info('mailbox envelopes processed', { count: delivered })
  }

  /** One mailbox as a fetch round reads it: pages (topping up its prekeys when low), acks. */
  #source(record: MailboxRecord): FetchSource<MailboxRecord> {
    const client = this.#client(record)
    const key = this.#inboxKey(record)
    return {
      record,
      fetchPage: async (cursor, hashesOnly) => {
        const result = await client.fetch(key, cursor, MAX_FETCH_LIMIT, { hashesOnly })
        if (!result.ok) {
          this.#init.log.debug('mailbox fetch failed', { relay: record.relay, reason: result.reason })
          return { ok: false }
        }
        if (result.value.prekeysRemaining < MAILBOX_PREKEY_LOW_WATER && record.retiredAt === undefined)
          await this.#topUp(record, client, key)
        return {
          ok: true,
          envelopes: result.value.envelopes,
          more: result.value.more,
          nextCursor: result.value.nextCursor,
        }
      },
      ack: (hashes) => this.#ack(record, hashes),
    }
  }

  /** Acknowledge persisted envelopes to one mailbox (MAX_ACK_HASHES per request); failures are logged. */
  async #ack(record: MailboxRecord, hashes: Uint8Array[]): Promise<void> {
    const client = this.#client(record)
    for (let i = 0; i < hashes.length; i += MAX_ACK_HASHES) {
      const result = await client.ack(this.#inboxKey(record), hashes.slice(i, i + MAX_ACK_HASHES))
      if (!result.ok)
        this.#init.log.debug('mailbox ack failed', { relay: record.relay, reason: result.reason })
    }
  }

  /** A retired mailbox that answered a fetch with nothing left in it is forgotten. */
  #drained = new Set<MailboxRecord>()

  async #dropDrainedRetired(): Promise<void> {
    if (this.#drained.size === 0) return
    this.#records = this.#records.filter((r) => !this.#drained.has(r))
    this.#drained.clear()
    await this.#init.store.write(MAILBOXES_KEY, MAILBOX_LIST, this.#records)
  }

  async #topUp(record: MailboxRecord, client: MailboxClient, key: KeyPair): Promise<void> {
    const items = await this.#init.prekeys.handOut(MAILBOX_PREKEY_POOL, this.#init.now())
    const result = await client.uploadPrekeys(key, items)
    if (!result.ok)
      this.#init.log.debug('prekey upload failed', { relay: record.relay, reason: result.reason })
  }

  // ---- sender side

  /**
   * Deposit envelopes (in order) to each of a contact's mailboxes, mailboxes in parallel.
   * Returns, per envelope, the number of verified storage receipts.
   */
  deposit(hints: readonly MailboxHint[], envelopes: readonly Uint8Array[]): Promise<number[]> {
    return depositToMailboxes(this.#init, hints, envelopes)
  }

  /** Claim a one-time prekey item from one of a contact's mailboxes; null when none is left. */
  claimPrekey(hints: readonly MailboxHint[]): Promise<Uint8Array | null> {
    return claimMailboxPrekey(this.#init, hints)
  }
}

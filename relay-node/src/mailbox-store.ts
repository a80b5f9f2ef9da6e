/**
 * LevelDB storage of a relay's inboxes, envelopes and one-time prekeys (`level`, one database
 * per relay data dir). Every change is one atomic batch, so a crash or restart never leaves
 * counters and contents out of step. Methods touching one inbox are NOT self-serializing: the
 * mailbox service runs them under a per-inbox lock.
 *
 * Key layout (strings; ids and hashes lowercase hex, numbers 16-digit hex so they sort):
 *   meta                          → JSON { schema }
 *   inbox!<inboxId>               → JSON InboxRecord
 *   env!<inboxId>!<seq>           → storedAt u64 ‖ expiresAt u64 ‖ hash (32) ‖ envelope bytes
 *   hash!<inboxId>!<hash>         → seq (dedup and ack by hash)
 *   exp!<expiresAt>!<inboxId>!<seq> → empty (TTL index)
 *   pk!<inboxId>!<seq>            → one-time prekey bytes
 */
import { Level } from 'level'
import { fromHex, fromUtf8, toHex, u64be, utf8 } from '../../core/src/bytes.ts'
import { ENVELOPE_HASH_BYTES } from '../../core/src/mailbox/constants.ts'
import { StoreError } from './errors.ts'

/** On-disk schema version; a store of any other version is refused rather than misread. */
export const MAILBOX_STORE_SCHEMA = 1
/** Expired entries deleted per sweep step: keeps each batch and lock hold short. */
export const SWEEP_BATCH_ENTRIES = 500
/** Bytes of fixed header before the envelope in an `env!` value: two u64 and a hash. */
const ENVELOPE_HEADER_BYTES = 8 + 8 + ENVELOPE_HASH_BYTES
/** Sorts after every hex digit: the upper bound of a key-prefix range. */
const RANGE_END = '~'

export interface InboxRecord {
  readonly inboxId: Uint8Array
  readonly publicKey: Uint8Array
  readonly createdAt: number
  /** Sequence number of the last deposit (0 = none yet). */
  readonly lastSeq: number
  readonly envelopes: number
  readonly bytes: number
  readonly prekeys: number
  /** Sequence number of the last uploaded prekey. */
  readonly lastPrekeySeq: number
}

export interface StoredEnvelopeRecord {
  readonly seq: number
  readonly hash: Uint8Array
  readonly envelope: Uint8Array
  readonly storedAt: number
  readonly expiresAt: number
}

export interface StoreTotals {
  inboxes: number
  envelopes: number
  bytes: number
  prekeys: number
}

export interface ExpiredEntry {
  readonly inboxHex: string
  readonly seq: number
  readonly key: string
}

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }

const seqHex = (n: number): string => n.toString(16).padStart(16, '0')
const inboxKey = (id: string) => `inbox!${id}`
const envKey = (id: string, seq: number) => `env!${id}!${seqHex(seq)}`
const hashKey = (id: string, hash: string) => `hash!${id}!${hash}`
const expKey = (expiresAt: number, id: string, seq: number) => `exp!${seqHex(expiresAt)}!${id}!${seqHex(seq)}`
const prekeyKey = (id: string, seq: number) => `pk!${id}!${seqHex(seq)}`

function encodeInbox(record: InboxRecord): Uint8Array {
  return utf8(
    JSON.stringify({
      v: MAILBOX_STORE_SCHEMA,
      publicKey: toHex(record.publicKey),
      createdAt: record.createdAt,
      lastSeq: record.lastSeq,
      envelopes: record.envelopes,
      bytes: record.bytes,
      prekeys: record.prekeys,
      lastPrekeySeq: record.lastPrekeySeq,
    }),
  )
}

function decodeInbox(inboxId: Uint8Array, value: Uint8Array): InboxRecord {
  try {
    const o = JSON.parse(fromUtf8(value))
    if (o.v !== MAILBOX_STORE_SCHEMA) throw new StoreError(`inbox record schema ${o.v}`)
    return {
      inboxId,
      publicKey: fromHex(o.publicKey),
      createdAt: o.createdAt,
      lastSeq: o.lastSeq,
      envelopes: o.envelopes,
      bytes: o.bytes,
      prekeys: o.prekeys,
      lastPrekeySeq: o.lastPrekeySeq,
    }
  } catch (err) {
    if (err instanceof StoreError) throw err
    throw new StoreError('corrupt inbox record', { cause: err })
  }
}

function encodeEnvelope(record: Omit<StoredEnvelopeRecord, 'seq'>): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + record.envelope.length)
  out.set(u64be(record.storedAt), 0)
  out.set(u64be(record.expiresAt), 8)
  out.set(record.hash, 16)
  out.set(record.envelope, ENVELOPE_HEADER_BYTES)
  return out
}

function decodeEnvelope(seq: number, value: Uint8Array): StoredEnvelopeRecord {
  if (value.length <= ENVELOPE_HEADER_BYTES) throw new StoreError('corrupt envelope record')
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  return {
    seq,
    storedAt: Number(view.getBigUint64(0, false)),
    expiresAt: Number(view.getBigUint64(8, false)),
    hash: value.slice(16, ENVELOPE_HEADER_BYTES),
    envelope: value.slice(ENVELOPE_HEADER_BYTES),
  }
}

export class MailboxStore {
  readonly #db: Level<string, Uint8Array>
  readonly #totals: StoreTotals

  private constructor(db: Level<string, Uint8Array>, totals: StoreTotals) {
    this.#db = db
    this.#totals = totals
  }

  /** Open (or create) the store at `path` and load the totals. */
  static async open(path: string): Promise<MailboxStore> {
    const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    try {
      const meta = await db.get('meta')
      if (meta === undefined) {
        await db.put('meta', utf8(JSON.stringify({ schema: MAILBOX_STORE_SCHEMA })))
      } else if (JSON.parse(fromUtf8(meta)).schema !== MAILBOX_STORE_SCHEMA) {
        throw new StoreError('mailbox store has an unknown schema version')
      }
      const totals: StoreTotals = { inboxes: 0, envelopes: 0, bytes: 0, prekeys: 0 }
      for await (const [key, value] of db.iterator({ gt: 'inbox!', lt: `inbox!${RANGE_END}` })) {
        const record = decodeInbox(fromHex(key.slice('inbox!'.length)), value)
        totals.inboxes++
        totals.envelopes += record.envelopes
        totals.bytes += record.bytes
        totals.prekeys += record.prekeys
      }
      return new MailboxStore(db, totals)
    } catch (err) {
      await db.close()
      if (err instanceof StoreError) throw err
      throw new StoreError('cannot open mailbox store', { cause: err })
    }
  }

  async close(): Promise<void> {
    await this.#db.close()
  }

  totals(): Readonly<StoreTotals> {
    return { ...this.#totals }
  }

  async getInbox(inboxId: Uint8Array): Promise<InboxRecord | undefined> {
    const value = await this.#db.get(inboxKey(toHex(inboxId)))
    return value === undefined ? undefined : decodeInbox(inboxId, value)
  }

  async createInbox(inboxId: Uint8Array, publicKey: Uint8Array, now: number): Promise<InboxRecord> {
    const record: InboxRecord = {
      inboxId,
      publicKey,
      createdAt: now,
      lastSeq: 0,
      envelopes: 0,
      bytes: 0,
      prekeys: 0,
      lastPrekeySeq: 0,
    }
    await this.#db.put(inboxKey(toHex(inboxId)), encodeInbox(record))
    this.#totals.inboxes++
    return record
  }

  async findByHash(inboxId: Uint8Array, hash: Uint8Array): Promise<StoredEnvelopeRecord | undefined> {
    const id = toHex(inboxId)
    const seq = await this.#db.get(hashKey(id, toHex(hash)))
    if (seq === undefined) return undefined
    const n = Number.parseInt(fromUtf8(seq), 16)
    const value = await this.#db.get(envKey(id, n))
    return value === undefined ? undefined : decodeEnvelope(n, value)
  }

  /** Append an envelope (caller checked quotas and duplicates); returns the updated inbox. */
  async putEnvelope(inbox: InboxRecord, envelope: Omit<StoredEnvelopeRecord, 'seq'>): Promise<InboxRecord> {
    const id = toHex(inbox.inboxId)
    const seq = inbox.lastSeq + 1
    const updated: InboxRecord = {
      ...inbox,
      lastSeq: seq,
      envelopes: inbox.envelopes + 1,
      bytes: inbox.bytes + envelope.envelope.length,
    }
    await this.#db.batch([
      { type: 'put', key: envKey(id, seq), value: encodeEnvelope(envelope) },
      { type: 'put', key: hashKey(id, toHex(envelope.hash)), value: utf8(seqHex(seq)) },
      { type: 'put', key: expKey(envelope.expiresAt, id, seq), value: new Uint8Array(0) },
      { type: 'put', key: inboxKey(id), value: encodeInbox(updated) },
    ])
    this.#totals.envelopes++
    this.#totals.bytes += envelope.envelope.length
    return updated
  }

  /** Envelopes after `afterSeq` in deposit order: at most `limit`, stopping past `maxBytes` (≥ 1 returned). */
  async listEnvelopes(
    inboxId: Uint8Array,
    afterSeq: number,
    limit: number,
    maxBytes: number,
  ): Promise<{ envelopes: StoredEnvelopeRecord[]; more: boolean }> {
    const id = toHex(inboxId)
    const envelopes: StoredEnvelopeRecord[] = []
    let bytes = 0
    let more = false
    for await (const [key, value] of this.#db.iterator({
      gt: envKey(id, afterSeq),
      lt: `env!${id}!${RANGE_END}`,
    })) {
      if (envelopes.length >= limit || (envelopes.length > 0 && bytes + value.length > maxBytes)) {
        more = true
        break
      }
      const record = decodeEnvelope(Number.parseInt(key.slice(key.lastIndexOf('!') + 1), 16), value)
      envelopes.push(record)
      bytes += record.envelope.length
    }
    return { envelopes, more }
  }

  /** Delete the envelopes with these hashes (unknown hashes are ignored); returns how many went. */
  async deleteByHashes(
    inbox: InboxRecord,
    hashes: Uint8Array[],
  ): Promise<{ deleted: number; inbox: InboxRecord }> {
    const id = toHex(inbox.inboxId)
    const seqs = new Set<number>()
    for (const hash of hashes) {
      const seq = await this.#db.get(hashKey(id, toHex(hash)))
      if (seq !== undefined) seqs.add(Number.parseInt(fromUtf8(seq), 16))
    }
    return this.#deleteSeqs(inbox, [...seqs])
  }

  /** Delete envelopes by sequence number, in one batch with the updated counters. */
  async deleteSeqs(inbox: InboxRecord, seqs: number[]): Promise<{ deleted: number; inbox: InboxRecord }> {
    return this.#deleteSeqs(inbox, seqs)
  }

  async #deleteSeqs(inbox: InboxRecord, seqs: number[]): Promise<{ deleted: number; inbox: InboxRecord }> {
    const id = toHex(inbox.inboxId)
    const ops: Op[] = []
    let deleted = 0
    let bytes = 0
    for (const seq of seqs) {
      const value = await this.#db.get(envKey(id, seq))
      if (value === undefined) continue
      const record = decodeEnvelope(seq, value)
      ops.push(
        { type: 'del', key: envKey(id, seq) },
        { type: 'del', key: hashKey(id, toHex(record.hash)) },
        { type: 'del', key: expKey(record.expiresAt, id, seq) },
      )
      deleted++
      bytes += record.envelope.length
    }
    if (deleted === 0) return { deleted, inbox }
    const updated: InboxRecord = {
      ...inbox,
      envelopes: inbox.envelopes - deleted,
      bytes: inbox.bytes - bytes,
    }
    ops.push({ type: 'put', key: inboxKey(id), value: encodeInbox(updated) })
    await this.#db.batch(ops)
    this.#totals.envelopes -= deleted
    this.#totals.bytes -= bytes
    return { deleted, inbox: updated }
  }

  /** Up to `max` TTL index entries with expiresAt ≤ now, oldest first. */
  async expiredEntries(now: number, max = SWEEP_BATCH_ENTRIES): Promise<ExpiredEntry[]> {
    const out: ExpiredEntry[] = []
    for await (const key of this.#db.keys({ gt: 'exp!', lt: `exp!${seqHex(now + 1)}`, limit: max })) {
      const [, , inboxHex, seq] = key.split('!')
      out.push({ key, inboxHex: inboxHex as string, seq: Number.parseInt(seq as string, 16) })
    }
    return out
  }

  /** Drop a TTL index entry whose envelope is already gone (acked between listing and deleting). */
  async dropIndexEntry(key: string): Promise<void> {
    await this.#db.del(key)
  }

  /** Append one-time prekeys (caller checked the pool cap); returns the updated inbox. */
  async addPrekeys(inbox: InboxRecord, items: Uint8Array[]): Promise<InboxRecord> {
    const id = toHex(inbox.inboxId)
    const ops: Op[] = items.map((item, i) => ({
      type: 'put',
      key: prekeyKey(id, inbox.lastPrekeySeq + 1 + i),
      value: item,
    }))
    const updated: InboxRecord = {
      ...inbox,
      prekeys: inbox.prekeys + items.length,
      lastPrekeySeq: inbox.lastPrekeySeq + items.length,
    }
    ops.push({ type: 'put', key: inboxKey(id), value: encodeInbox(updated) })
    await this.#db.batch(ops)
    this.#totals.prekeys += items.length
    return updated
  }

  /**
   * Take the oldest prekey: its deletion and the decremented count are one batch, so once this
   * resolves the item can never be handed out again (claims are serialized per inbox by the caller).
   */
  async takePrekey(inbox: InboxRecord): Promise<{ prekey: Uint8Array; inbox: InboxRecord } | undefined> {
    const id = toHex(inbox.inboxId)
    for await (const [key, value] of this.#db.iterator({
      gt: `pk!${id}!`,
      lt: `pk!${id}!${RANGE_END}`,
      limit: 1,
    })) {
      const updated: InboxRecord = { ...inbox, prekeys: inbox.prekeys - 1 }
      await this.#db.batch([
        { type: 'del', key },
        { type: 'put', key: inboxKey(id), value: encodeInbox(updated) },
      ])
      this.#totals.prekeys--
      return { prekey: value, inbox: updated }
    }
    return undefined
  }
}

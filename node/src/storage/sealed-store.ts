/**
 * The profile's app database: LevelDB where EVERY value is sealed with AES-256-GCM under the
 * storage key (from the keystore). Sealed value = version (1 B) ‖ nonce (12 B) ‖ ciphertext ‖ tag
 * (16 B); the associated data is version ‖ the record key, so a value copied under another key
 * does not open.
 *
 * Keys are stored in the clear, so they must be opaque ids and counters only — never a secret,
 * a display name, message text or anything else a user wrote. A key is printable ASCII without
 * spaces (0x21–0x7e), at most MAX_RECORD_KEY_LENGTH characters; use `/` to build hierarchies
 * (`msg/<conversation-id-hash>/<orderedCounter(seq)>`) and `orderedCounter` for numbers so
 * lexicographic order equals numeric order.
 *
 * Large byte values (file chunks) are sealed as they are, under their own version byte
 * (SEALED_BYTES_VERSION), with `putBytes` / `getBytes`: no JSON, no base64, and they never enter
 * the read cache (a cache of 2048 entries of 256 KiB chunks held hundreds of MB while a file was
 * sent or received: docs/benchmarks.md, bench:files).
 *
 * Nonces are random: AES-GCM stays within its bounds for far more than 2^32 writes per key,
 * which a personal profile does not approach.
 *
 * Recently read or written values are kept opened in memory (READ_CACHE_ENTRIES, least recently
 * used dropped first), so the records read on every message (a contact, its conversation, a
 * counter, the message just written) cost no LevelDB read and no AES-GCM open. This store is the
 * only writer of its database, so the cache follows every write once it has committed. Values
 * handed out by `get` may be shared between callers: treat them as read-only (records are
 * replaced with spread copies, never changed in place).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto'
import { Level } from 'level'
import { InvalidRecordKeyError, SealedValueError, StorageError } from './errors.ts'
import { decodeJson, encodeJson } from './json-codec.ts'
import type { RecordType } from './stored-record.ts'

/** Version byte of the sealed value format (a JSON value, json-codec.ts). */
export const SEALED_VALUE_VERSION = 1
/** Version byte of a sealed byte value (putBytes): the plaintext is the bytes themselves. */
export const SEALED_BYTES_VERSION = 2
/** Longest record key in characters: ids and counters are short; this bounds index size. */
export const MAX_RECORD_KEY_LENGTH = 512
/** Digits of an ordered counter: 16 decimal digits hold every safe integer used as a sequence. */
export const ORDERED_COUNTER_DIGITS = 16
/** Storage key length in bytes (AES-256). */
export const STORAGE_KEY_BYTES = 32
/**
 * Opened values kept in memory: the records one message touches, for a few hundred messages in
 * flight; a few MB at most whatever the traffic (records are small).
 */
export const READ_CACHE_ENTRIES = 2048
const NONCE_BYTES = 12
const TAG_BYTES = 16
/**
 * Random bytes drawn at once for nonces (341 of them): a draw per sealed value cost about a
 * quarter of sealing one (a busy send path seals several values per message). Nonces are not
 * secret; each slice is used once.
 */
const NONCE_POOL_BYTES = 4096
/** One past the highest allowed key character: the exclusive upper bound of a prefix range. */
const KEY_CHAR_CEILING = '\x7f'
const KEY_PATTERN = /^[\x21-\x7e]+$/

export type BatchOp =
  | { readonly type: 'put'; readonly key: string; readonly value: unknown }
  /** Bytes sealed as they are (no JSON) and kept out of the read cache: for large values. */
  | { readonly type: 'putBytes'; readonly key: string; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: string }

/**
 * A committed write seen by a store observer: the value as the writer passed it (before JSON and
 * sealing), or null for a delete. Observers are in-memory views (the search index) that follow
 * every write of one key prefix, whichever code path wrote it.
 */
export interface ObservedWrite {
  readonly key: string
  readonly value: unknown | null
}
export type StoreObserver = (writes: readonly ObservedWrite[]) => void

export interface IterateOptions {
  /** Only keys starting with this prefix. Combined with gte/lt (the narrower bound wins). */
  readonly prefix?: string
  readonly gte?: string
  readonly lt?: string
  readonly reverse?: boolean
  readonly limit?: number
}

/** A batch operation storing `value` as a record of `type` (with its schema version). */
export function putRecord<T>(key: string, type: RecordType<T>, value: T): BatchOp {
  return { type: 'put', key, value: type.encode(value) }
}

/** A number as a fixed-width decimal key segment, so lexicographic order is numeric order. */
export function orderedCounter(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('counter must be a non-negative safe integer')
  return n.toString().padStart(ORDERED_COUNTER_DIGITS, '0')
}

export function checkRecordKey(key: string): void {
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    key.length > MAX_RECORD_KEY_LENGTH ||
    !KEY_PATTERN.test(key)
  )
    throw new InvalidRecordKeyError(
      `record keys are 1..${MAX_RECORD_KEY_LENGTH} printable ASCII characters without spaces`,
    )
}

export class SealedStore {
  readonly location: string
  readonly #db: Level<string, Uint8Array>
  /** Own copy of the storage key (the caller may wipe theirs), wiped on close. */
  readonly #keyBytes: Buffer
  /**
   * The same key as a KeyObject: with raw bytes, every createCipheriv/createDecipheriv first
   * probes them for a KeyObject or CryptoKey, and that probe (two thrown exceptions) cost more
   * than sealing a small record.
   */
  readonly #key: KeyObject
  /** key → opened value, or the JSON just written (parsed on first read), in LRU order. */
  readonly #cache = new Map<string, { value: unknown } | { json: string }>()
  /** Bumped by every write: a read that raced a write does not fill the cache. */
  #writes = 0
  /** Random bytes for nonces, used from #nonceAt on (see NONCE_POOL_BYTES). */
  #noncePool: Buffer = Buffer.alloc(0)
  #nonceAt = 0
  /** prefix → observers told of every committed write under it (see observe). */
  readonly #observers: Array<{ prefix: string; observer: StoreObserver }> = []

  private constructor(location: string, db: Level<string, Uint8Array>, key: Uint8Array) {
    this.location = location
    this.#db = db
    this.#keyBytes = Buffer.from(key)
    this.#key = createSecretKey(this.#keyBytes)
  }

  /** Open (creating if needed) the LevelDB at `location`, sealing values under `storageKey`. */
  static async open(location: string, storageKey: Uint8Array): Promise<SealedStore> {
    if (!(storageKey instanceof Uint8Array) || storageKey.length !== STORAGE_KEY_BYTES)
      throw new StorageError('ERR_INVALID_KEY', `storage key must be ${STORAGE_KEY_BYTES} bytes`)
    const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.open()
    return new SealedStore(location, db, storageKey)
  }

  #nonce(): Buffer {
    if (this.#noncePool.length - this.#nonceAt < NONCE_BYTES) {
      this.#noncePool = randomBytes(NONCE_POOL_BYTES)
      this.#nonceAt = 0
    }
    const nonce = this.#noncePool.subarray(this.#nonceAt, this.#nonceAt + NONCE_BYTES)
    this.#nonceAt += NONCE_BYTES
    return nonce
  }

  #seal(key: string, json: string): Uint8Array {
    const plaintext = Buffer.from(json)
    const out = this.#sealBytes(key, plaintext, SEALED_VALUE_VERSION)
    plaintext.fill(0)
    return out
  }

  #sealBytes(key: string, plaintext: Uint8Array, version: number): Uint8Array {
    const nonce = this.#nonce()
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(aad(key, version))
    const body = cipher.update(plaintext)
    const tail = cipher.final() // empty for GCM (a stream mode)
    // version ‖ nonce ‖ ciphertext ‖ tag, in one allocation
    const length = body.length + tail.length
    const out = Buffer.allocUnsafe(1 + NONCE_BYTES + length + TAG_BYTES)
    out[0] = version
    nonce.copy(out, 1)
    body.copy(out, 1 + NONCE_BYTES)
    tail.copy(out, 1 + NONCE_BYTES + body.length)
    cipher.getAuthTag().copy(out, 1 + NONCE_BYTES + length)
    return out
  }

  /** A sealed value opened: a JSON value, or the bytes of a putBytes value. */
  #open(key: string, sealed: Uint8Array): unknown {
    const version = sealed[0]
    if (
      sealed.length < 1 + NONCE_BYTES + TAG_BYTES ||
      (version !== SEALED_VALUE_VERSION && version !== SEALED_BYTES_VERSION)
    )
      throw new SealedValueError(key)
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
    let plaintext: Buffer
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(1, 1 + NONCE_BYTES), {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(aad(key, version))
      decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES))
      const body = decipher.update(buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES))
      const tail = decipher.final() // empty for GCM (a stream mode): no copy of a large value then
      plaintext = tail.length === 0 ? body : Buffer.concat([body, tail])
    } catch (error) {
      throw new SealedValueError(key, { cause: error })
    }
    if (version === SEALED_BYTES_VERSION)
      return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length)
    try {
      return decodeJson(plaintext.toString('utf8'))
    } catch (error) {
      throw new SealedValueError(key, { cause: error })
    }
  }

  /** The value at `key`, or undefined. T is the caller's claim about what it stored there. */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    checkRecordKey(key)
    const cached = this.#cache.get(key)
    if (cached !== undefined) {
      const value = 'value' in cached ? cached.value : this.#parse(key, cached.json)
      this.#remember(key, { value })
      return value as T
    }
    const writes = this.#writes
    const sealed = await this.#db.get(key)
    if (sealed === undefined) return undefined
    const value = this.#open(key, sealed)
    if (writes === this.#writes) this.#remember(key, { value })
    return value as T
  }

  #remember(key: string, entry: { value: unknown } | { json: string }): void {
    this.#cache.delete(key)
    if (this.#cache.size >= READ_CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string)
    this.#cache.set(key, entry)
  }

  #parse(key: string, json: string): unknown {
    try {
      return decodeJson(json)
    } catch (error) {
      throw new SealedValueError(key, { cause: error })
    }
  }

  /**
   * Which of `keys` hold a value, in one LevelDB call (values are not opened): existence checks
   * for a whole batch cost one round trip to LevelDB's thread instead of one each.
   */
  async existing(keys: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>()
    const unknown: string[] = []
    for (const key of keys) {
      checkRecordKey(key)
      if (this.#cache.has(key)) out.add(key)
      else unknown.push(key)
    }
    if (unknown.length === 0) return out
    const values = await this.#db.getMany(unknown)
    values.forEach((value, i) => {
      if (value !== undefined) out.add(unknown[i] as string)
    })
    return out
  }

  /**
   * Read `keys` that are not in memory yet in one LevelDB call and keep them opened in memory, so
   * that the `get`s that follow (a batch's records, read one by one) do not go to LevelDB each.
   */
  async warm(keys: readonly string[]): Promise<void> {
    const missing = keys.filter((key) => {
      checkRecordKey(key)
      return !this.#cache.has(key)
    })
    if (missing.length === 0) return
    const writes = this.#writes
    const values = await this.#db.getMany(missing)
    if (writes !== this.#writes) return // a write raced the read: the gets will read afresh
    values.forEach((sealed, i) => {
      const key = missing[i] as string
      if (sealed !== undefined) this.#remember(key, { value: this.#open(key, sealed) })
    })
  }

  /**
   * The bytes at `key` (written by putBytes, or as a Uint8Array JSON value by an older build), or
   * undefined; read from LevelDB every time, never cached. Anything else there is a SealedValueError.
   */
  async getBytes(key: string): Promise<Uint8Array | undefined> {
    checkRecordKey(key)
    const cached = this.#cache.get(key)
    const value =
      cached !== undefined
        ? 'value' in cached
          ? cached.value
          : this.#parse(key, cached.json)
        : await this.#db
            .get(key)
            .then((sealed) => (sealed === undefined ? undefined : this.#open(key, sealed)))
    if (value === undefined || value instanceof Uint8Array) return value
    throw new SealedValueError(key)
  }

  /** The record at `key`, checked against its record type (stored-record.ts), or undefined. */
  async read<T>(key: string, type: RecordType<T>): Promise<T | undefined> {
    const value = await this.get(key)
    return value === undefined ? undefined : type.decode(key, value)
  }

  /** Store `value` as a record of `type` (with its schema version). */
  async write<T>(key: string, type: RecordType<T>, value: T): Promise<void> {
    await this.put(key, type.encode(value))
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.batch([{ type: 'put', key, value }])
  }

  async del(key: string): Promise<void> {
    await this.batch([{ type: 'del', key }])
  }

  /**
   * Call `observer` after every committed batch with its writes under `prefix` (in batch order).
   * Synchronous and after the commit, so the observer sees exactly what the store holds; an
   * observer that throws is dropped from that call, never failing the write. Returns the undo.
   */
  observe(prefix: string, observer: StoreObserver): () => void {
    const entry = { prefix, observer }
    this.#observers.push(entry)
    return () => {
      const at = this.#observers.indexOf(entry)
      if (at >= 0) this.#observers.splice(at, 1)
    }
  }

  #tellObservers(ops: readonly BatchOp[]): void {
    for (const { prefix, observer } of this.#observers) {
      const writes: ObservedWrite[] = []
      for (const op of ops)
        if (op.key.startsWith(prefix))
          writes.push({ key: op.key, value: op.type === 'put' ? op.value : null })
      if (writes.length === 0) continue
      try {
        observer(writes)
      } catch {
        // a view that fails to follow must not fail the write that already committed
      }
    }
  }

  /** Apply all operations atomically: either every one is written or none is. */
  async batch(ops: readonly BatchOp[]): Promise<void> {
    const written: Array<[key: string, json: string | null]> = []
    const sealed = ops.map((op) => {
      checkRecordKey(op.key)
      if (op.type === 'del') {
        written.push([op.key, null])
        return { type: 'del' as const, key: op.key }
      }
      if (op.type === 'putBytes') {
        written.push([op.key, null]) // not cached: the next read goes to LevelDB
        return {
          type: 'put' as const,
          key: op.key,
          value: this.#sealBytes(op.key, op.value, SEALED_BYTES_VERSION),
        }
      }
      const json = encodeJson(op.value)
      written.push([op.key, json])
      return { type: 'put' as const, key: op.key, value: this.#seal(op.key, json) }
    })
    this.#writes++
    try {
      await this.#db.batch(sealed)
    } finally {
      this.#writes++
    }
    // committed: later reads see these values (later ops on the same key win, as in LevelDB)
    for (const [key, json] of written) {
      if (json === null) this.#cache.delete(key)
      else this.#remember(key, { json })
    }
    if (this.#observers.length > 0) this.#tellObservers(ops)
  }

  /** Entries in key order (or reverse), opened one by one as they are read. */
  async *iterate<T = unknown>(options: IterateOptions = {}): AsyncGenerator<[key: string, value: T]> {
    let { gte, lt } = options
    if (options.prefix !== undefined) {
      const prefixEnd = options.prefix + KEY_CHAR_CEILING
      if (gte === undefined || gte < options.prefix) gte = options.prefix
      if (lt === undefined || lt > prefixEnd) lt = prefixEnd
    }
    const range: { gte?: string; lt?: string; reverse?: boolean; limit?: number } = {}
    if (gte !== undefined) range.gte = gte
    if (lt !== undefined) range.lt = lt
    if (options.reverse) range.reverse = true
    if (options.limit !== undefined) range.limit = options.limit
    const iterator = this.#db.iterator(range)
    try {
      for await (const [key, sealed] of iterator) yield [key, this.#open(key, sealed) as T]
    } finally {
      await iterator.close()
    }
  }

  /** Records of one type in key order (or reverse), each checked as it is read. */
  async *scan<T>(type: RecordType<T>, options: IterateOptions = {}): AsyncGenerator<[key: string, value: T]> {
    for await (const [key, value] of this.iterate(options)) yield [key, type.decode(key, value)]
  }

  async close(): Promise<void> {
    await this.#db.close()
    this.#cache.clear()
    this.#keyBytes.fill(0)
  }
}

function aad(key: string, version: number): Buffer {
  return Buffer.concat([Uint8Array.of(version), Buffer.from(key, 'utf8')])
}

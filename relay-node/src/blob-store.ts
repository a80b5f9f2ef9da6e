/**
 * The relay's blob store (issue 16, offline path): one file per blob under `<dataDir>/blobs`,
 * beside the mailbox store and never inside it. A file is a fixed header then the blob:
 *
 *   u8 version ‖ u64be expiresAt ‖ readTokenHash[32] ‖ deleteTokenHash[32] ‖ senderHash[32] ‖ data
 *
 * Only hashes of the tokens are kept; the sender is the SHA-256 of its PeerId (for quotas). A
 * blob is written to a temporary file and renamed, so a crash never leaves half a blob under its
 * id. An index of ids, sizes, senders and expiries is kept in memory (read from the headers at
 * open), so quota checks and the sweep never read blob data. Quota checks and the index update
 * happen together, synchronously, before the write: concurrent puts cannot overshoot a quota.
 */
import { open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BLOB_TOKEN_HASH_BYTES } from '../../core/src/blob/constants.ts'
import { toHex } from '../../core/src/bytes.ts'
import { DATA_FILE_MODE } from './constants.ts'
import { StoreError } from './errors.ts'

/** Version of the blob file header; a file with another is skipped (and removed) at open. */
const BLOB_FILE_VERSION = 1
/** Header bytes: version, expiry, two token hashes, the sender hash. */
const HEADER_BYTES = 1 + 8 + 3 * BLOB_TOKEN_HASH_BYTES
const TMP_SUFFIX = '.tmp'
const ID_NAME = /^[0-9a-f]{32}$/

export interface BlobMeta {
  readonly expiresAt: number
  readonly readTokenHash: Uint8Array
  readonly deleteTokenHash: Uint8Array
  /** SHA-256 of the uploader's PeerId. */
  readonly senderHash: Uint8Array
}

interface IndexEntry {
  readonly sender: string
  readonly bytes: number
  readonly expiresAt: number
}

export interface BlobLimits {
  readonly maxBytesPerSender: number
  readonly maxBlobsPerSender: number
  readonly maxStoreBytes: number
}

export type PutResult = 'ok' | 'exists' | 'quota_bytes' | 'quota_count' | 'relay_full'

function encodeHeader(meta: BlobMeta): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES)
  const view = new DataView(header.buffer)
  header[0] = BLOB_FILE_VERSION
  view.setBigUint64(1, BigInt(meta.expiresAt))
  header.set(meta.readTokenHash, 9)
  header.set(meta.deleteTokenHash, 9 + BLOB_TOKEN_HASH_BYTES)
  header.set(meta.senderHash, 9 + 2 * BLOB_TOKEN_HASH_BYTES)
  return header
}

function decodeHeader(bytes: Uint8Array): BlobMeta | undefined {
  if (bytes.length < HEADER_BYTES || bytes[0] !== BLOB_FILE_VERSION) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES)
  const at = (i: number) => bytes.slice(9 + i * BLOB_TOKEN_HASH_BYTES, 9 + (i + 1) * BLOB_TOKEN_HASH_BYTES)
  return {
    expiresAt: Number(view.getBigUint64(1)),
    readTokenHash: at(0),
    deleteTokenHash: at(1),
    senderHash: at(2),
  }
}

export class BlobStore {
  readonly dir: string
  readonly #index = new Map<string, IndexEntry>()
  readonly #senders = new Map<string, { count: number; bytes: number }>()
  #bytes = 0

  private constructor(dir: string) {
    this.dir = dir
  }

  /** Open the store in `dir` (created by the caller, 0700) and index the blobs found there. */
  static async open(dir: string): Promise<BlobStore> {
    const store = new BlobStore(dir)
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (err) {
      throw new StoreError(`cannot read the blob store ${dir}`, { cause: err })
    }
    for (const name of names) {
      const path = join(dir, name)
      // a temporary file is a put that never finished; a foreign name is not ours to keep
      if (!ID_NAME.test(name)) {
        if (name.endsWith(TMP_SUFFIX)) await unlink(path).catch(() => {})
        continue
      }
      const handle = await open(path, 'r')
      try {
        const header = new Uint8Array(HEADER_BYTES)
        const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0)
        const meta = bytesRead === HEADER_BYTES ? decodeHeader(header) : undefined
        const size = (await handle.stat()).size
        if (meta === undefined) await unlink(path).catch(() => {})
        else store.#add(name, toHex(meta.senderHash), size - HEADER_BYTES, meta.expiresAt)
      } finally {
        await handle.close()
      }
    }
    return store
  }

  #path(idHex: string): string {
    return join(this.dir, idHex)
  }

  #add(idHex: string, sender: string, bytes: number, expiresAt: number): void {
    this.#index.set(idHex, { sender, bytes, expiresAt })
    const totals = this.#senders.get(sender) ?? { count: 0, bytes: 0 }
    totals.count++
    totals.bytes += bytes
    this.#senders.set(sender, totals)
    this.#bytes += bytes
  }

  #remove(idHex: string): boolean {
    const entry = this.#index.get(idHex)
    if (entry === undefined) return false
    this.#index.delete(idHex)
    const totals = this.#senders.get(entry.sender)
    if (totals !== undefined) {
      totals.count--
      totals.bytes -= entry.bytes
      if (totals.count === 0) this.#senders.delete(entry.sender)
    }
    this.#bytes -= entry.bytes
    return true
  }

  /** Store a blob unless a quota or the id forbids it (checked and reserved before the write). */
  async put(idHex: string, meta: BlobMeta, data: Uint8Array, limits: BlobLimits): Promise<PutResult> {
    if (this.#index.has(idHex)) return 'exists'
    const sender = toHex(meta.senderHash)
    const totals = this.#senders.get(sender) ?? { count: 0, bytes: 0 }
    if (totals.count + 1 > limits.maxBlobsPerSender) return 'quota_count'
    if (totals.bytes + data.length > limits.maxBytesPerSender) return 'quota_bytes'
    if (this.#bytes + data.length > limits.maxStoreBytes) return 'relay_full'
    this.#add(idHex, sender, data.length, meta.expiresAt)
    const tmp = `${this.#path(idHex)}${TMP_SUFFIX}`
    try {
      await writeFile(tmp, Buffer.concat([encodeHeader(meta), data]), { mode: DATA_FILE_MODE, flag: 'wx' })
      await rename(tmp, this.#path(idHex))
    } catch (err) {
      this.#remove(idHex)
      await unlink(tmp).catch(() => {})
      throw new StoreError('cannot write a blob', { cause: err })
    }
    return 'ok'
  }

  /** A blob and its header, or undefined when there is none (or its file is unreadable). */
  async get(idHex: string): Promise<{ meta: BlobMeta; data: Uint8Array } | undefined> {
    if (!this.#index.has(idHex)) return undefined
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await readFile(this.#path(idHex)))
    } catch {
      return undefined
    }
    const meta = decodeHeader(bytes)
    return meta === undefined ? undefined : { meta, data: bytes.subarray(HEADER_BYTES) }
  }

  /** Remove a blob; false when there was none. */
  async delete(idHex: string): Promise<boolean> {
    if (!this.#remove(idHex)) return false
    await unlink(this.#path(idHex)).catch(() => {})
    return true
  }

  /** Ids of the blobs whose expiry is at or before `now`. */
  expired(now: number): string[] {
    const out: string[] = []
    for (const [id, entry] of this.#index) if (entry.expiresAt <= now) out.push(id)
    return out
  }

  totals(): { blobs: number; bytes: number; senders: number } {
    return { blobs: this.#index.size, bytes: this.#bytes, senders: this.#senders.size }
  }

  /** What one sender holds (for tests and metrics). */
  senderTotals(senderHash: Uint8Array): { count: number; bytes: number } {
    return { ...(this.#senders.get(toHex(senderHash)) ?? { count: 0, bytes: 0 }) }
  }
}

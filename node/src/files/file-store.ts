/**
 * The files layer's view of the profile: attachment records, the message → file index, manifests
 * and the receiver's bitmaps in the database, under storage/layout.ts FILE_PREFIXES; the
 * ciphertext chunks in files beside it (fileChunksDir: <chunks>/<file id hex>/<index>, folders
 * 0700, files 0600), stored as they travel: sealed under the file's key (AES-256-GCM, the chunk
 * index and last-chunk flag in the nonce), each checked against the manifest's hash before it is
 * stored and again when it is read back whole (save-file.ts). The key is in the pointer, in the
 * sealed attachment record. File ids are random, so they appear in keys and names as hex.
 * Manifests and bitmaps are byte values (SealedStore putBytes/getBytes: no JSON, never in the read
 * cache): a file streams through without piling up in memory.
 *
 * Chunks in the database (a second seal under the storage key, a log write and LevelDB compactions
 * that rewrote every chunk several times) cost the receiver most of its CPU time per MiB
 * (bench:files). Chunks written there by an older build (FILE_PREFIXES.chunk) are still read.
 *
 * ChunkSource is the narrow part the server reads: a test can hand the server a modified one.
 */
import { type FileHandle, mkdir, open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FILE_PREFIXES, fileChunksDir } from '../storage/layout.ts'
import { type BatchOp, orderedCounter, putRecord, type SealedStore } from '../storage/sealed-store.ts'
import { ATTACHMENT_INDEX, ATTACHMENT_RECORD, type AttachmentRecord } from './records.ts'

/** What serving a file needs: its record, its manifest and its chunks. */
export interface ChunkSource {
  attachment(fileIdHex: string): Promise<AttachmentRecord | undefined>
  manifest(fileIdHex: string): Promise<Uint8Array | undefined>
  chunk(fileIdHex: string, index: number): Promise<Uint8Array | undefined>
  /**
   * Chunk `index` read into a buffer `headroom` bytes longer, the chunk after the headroom (the
   * server writes its frame header there: no copy of the chunk into a frame); optional.
   */
  chunkAfter?(
    fileIdHex: string,
    index: number,
    headroom: number,
    length?: number,
  ): Promise<Uint8Array | undefined>
}

/** Mode of a file's chunk folder and of the chunk folder itself: the owner only. */
const CHUNK_DIR_MODE = 0o700
/** Mode of a chunk file: the owner only. */
const CHUNK_FILE_MODE = 0o600
/** A file id as it names a folder: lowercase hex (toHex of FILE_ID_BYTES), never a path. */
const FILE_ID_HEX = /^[0-9a-f]{1,64}$/

export class FileStore implements ChunkSource {
  readonly store: SealedStore
  /** Where the chunks are (default: fileChunksDir of the store's database). */
  readonly chunksDir: string

  constructor(store: SealedStore, chunksDir: string = fileChunksDir(store.location)) {
    this.store = store
    this.chunksDir = chunksDir
  }

  #fileDir(fileIdHex: string): string {
    if (!FILE_ID_HEX.test(fileIdHex)) throw new TypeError('a file id is lowercase hex')
    return join(this.chunksDir, fileIdHex)
  }
  #chunkPath(fileIdHex: string, index: number): string {
    return join(this.#fileDir(fileIdHex), String(index))
  }

  attachmentKey(fileIdHex: string): string {
    return `${FILE_PREFIXES.attachment}${fileIdHex}`
  }
  indexKey(messageId: string): string {
    return `${FILE_PREFIXES.byMessage}${messageId}`
  }
  manifestKey(fileIdHex: string): string {
    return `${FILE_PREFIXES.manifest}${fileIdHex}`
  }
  bitmapKey(fileIdHex: string): string {
    return `${FILE_PREFIXES.bitmap}${fileIdHex}`
  }
  chunkKey(fileIdHex: string, index: number): string {
    return `${FILE_PREFIXES.chunk}${fileIdHex}/${orderedCounter(index)}`
  }

  attachment(fileIdHex: string): Promise<AttachmentRecord | undefined> {
    return this.store.read(this.attachmentKey(fileIdHex), ATTACHMENT_RECORD)
  }

  async byMessage(messageId: string): Promise<AttachmentRecord | undefined> {
    const index = await this.store.read(this.indexKey(messageId), ATTACHMENT_INDEX)
    return index === undefined ? undefined : this.attachment(index.fileId)
  }

  async listAttachments(): Promise<AttachmentRecord[]> {
    const out: AttachmentRecord[] = []
    for await (const [, value] of this.store.scan(ATTACHMENT_RECORD, { prefix: FILE_PREFIXES.attachment }))
      out.push(value)
    return out
  }

  /** The record and its message index, to write with the message that carries the pointer. */
  newAttachmentOps(record: AttachmentRecord): BatchOp[] {
    return [
      putRecord(this.attachmentKey(record.fileId), ATTACHMENT_RECORD, record),
      putRecord(this.indexKey(record.messageId), ATTACHMENT_INDEX, { fileId: record.fileId }),
    ]
  }

  putAttachment(record: AttachmentRecord): Promise<void> {
    return this.store.write(this.attachmentKey(record.fileId), ATTACHMENT_RECORD, record)
  }

  manifest(fileIdHex: string): Promise<Uint8Array | undefined> {
    return this.store.getBytes(this.manifestKey(fileIdHex))
  }
  manifestOp(fileIdHex: string, manifest: Uint8Array): BatchOp {
    return { type: 'putBytes', key: this.manifestKey(fileIdHex), value: manifest }
  }

  bitmap(fileIdHex: string): Promise<Uint8Array | undefined> {
    return this.store.getBytes(this.bitmapKey(fileIdHex))
  }
  bitmapOp(fileIdHex: string, bitmap: Uint8Array): BatchOp {
    return { type: 'putBytes', key: this.bitmapKey(fileIdHex), value: bitmap }
  }

  /** Chunk `index` as stored (sealed under the file key), or undefined when it is not here. */
  chunk(fileIdHex: string, index: number): Promise<Uint8Array | undefined> {
    return this.chunkAfter(fileIdHex, index, 0)
  }

  /**
   * Chunk `index` after `headroom` free bytes in one buffer, or undefined when it is not here: one
   * open and read into a buffer of the chunk's size (no second copy to frame it). `length`, when
   * the caller knows it from the pointer, saves an fstat; a chunk file of another length comes back
   * shorter or cut, and fails its hash check where it is checked.
   */
  async chunkAfter(
    fileIdHex: string,
    index: number,
    headroom: number,
    length?: number,
  ): Promise<Uint8Array | undefined> {
    let handle: FileHandle
    try {
      handle = await open(this.#chunkPath(fileIdHex, index), 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      // a chunk stored in the database by an older build
      const stored = await this.store.getBytes(this.chunkKey(fileIdHex, index))
      if (stored === undefined || headroom === 0) return stored
      const out = new Uint8Array(headroom + stored.length)
      out.set(stored, headroom)
      return out
    }
    try {
      const size = length ?? (await handle.stat()).size
      const out = Buffer.allocUnsafeSlow(headroom + size)
      out.fill(0, 0, headroom) // no stale memory before the chunk, even where the frame leaves it
      let filled = 0
      while (filled < size) {
        const { bytesRead } = await handle.read(out, headroom + filled, size - filled, filled)
        if (bytesRead === 0) break // shortened under us: a short chunk fails its hash check
        filled += bytesRead
      }
      return new Uint8Array(out.buffer, out.byteOffset, headroom + filled)
    } finally {
      await handle.close()
    }
  }

  /**
   * Store chunks as they are; a receiver records them in its bitmap only after this returned (a
   * kill in between leaves a chunk the bitmap lacks: fetched again, written over).
   */
  async writeChunks(
    fileIdHex: string,
    chunks: ReadonlyArray<{ readonly index: number; readonly ciphertext: Uint8Array }>,
  ): Promise<void> {
    // side by side: each chunk is a file of its own, and the batch is done when the last one is
    const write = async ({
      index,
      ciphertext,
    }: {
      readonly index: number
      readonly ciphertext: Uint8Array
    }) => {
      const path = this.#chunkPath(fileIdHex, index)
      try {
        await writeFile(path, ciphertext, { mode: CHUNK_FILE_MODE })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        // the file's first chunk here: its folder is made once, not before every write
        await mkdir(this.#fileDir(fileIdHex), { recursive: true, mode: CHUNK_DIR_MODE })
        await writeFile(path, ciphertext, { mode: CHUNK_FILE_MODE })
      }
    }
    const results = await Promise.allSettled(chunks.map(write))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  }

  /** Drop a file's chunks, manifest and bitmap (cancel); the record stays, with its state. */
  async dropContents(fileIdHex: string, chunkCount: number): Promise<void> {
    const ops: BatchOp[] = [
      { type: 'del', key: this.manifestKey(fileIdHex) },
      { type: 'del', key: this.bitmapKey(fileIdHex) },
    ]
    // chunks an older build stored in the database
    for (let i = 0; i < chunkCount; i++) ops.push({ type: 'del', key: this.chunkKey(fileIdHex, i) })
    await this.store.batch(ops)
    await rm(this.#fileDir(fileIdHex), { recursive: true, force: true })
  }
}

// ---- the receiver's bitmap: bit i set once chunk i is stored after its hash check

export function newBitmap(chunkCount: number): Uint8Array {
  return new Uint8Array(Math.ceil(chunkCount / 8))
}
export function hasChunk(bitmap: Uint8Array, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0
}
export function setChunk(bitmap: Uint8Array, index: number, on: boolean): void {
  const byte = bitmap[index >> 3] ?? 0
  bitmap[index >> 3] = on ? byte | (1 << (index & 7)) : byte & ~(1 << (index & 7))
}
export function countChunks(bitmap: Uint8Array, chunkCount: number): number {
  let n = 0
  for (let i = 0; i < chunkCount; i++) if (hasChunk(bitmap, i)) n++
  return n
}

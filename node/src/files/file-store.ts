/**
 * The files layer's view of the profile database: attachment records, the message → file index,
 * manifests, the receiver's bitmaps and the ciphertext chunks, under storage/layout.ts
 * FILE_PREFIXES. Chunks are stored as they travel (sealed under the file key) and sealed again
 * by the store under the storage key; file ids are random, so they appear in keys as hex.
 * Manifests, bitmaps and chunks are byte values (SealedStore putBytes/getBytes: no JSON, never
 * in the read cache): a file streams through the store without piling up in memory.
 *
 * ChunkSource is the narrow part the server reads: a test can hand the server a modified one.
 */
import { FILE_PREFIXES } from '../storage/layout.ts'
import { type BatchOp, orderedCounter, putRecord, type SealedStore } from '../storage/sealed-store.ts'
import { ATTACHMENT_INDEX, ATTACHMENT_RECORD, type AttachmentRecord } from './records.ts'

/** What serving a file needs: its record, its manifest and its chunks. */
export interface ChunkSource {
  attachment(fileIdHex: string): Promise<AttachmentRecord | undefined>
  manifest(fileIdHex: string): Promise<Uint8Array | undefined>
  chunk(fileIdHex: string, index: number): Promise<Uint8Array | undefined>
}

export class FileStore implements ChunkSource {
  readonly store: SealedStore

  constructor(store: SealedStore) {
    this.store = store
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

  chunk(fileIdHex: string, index: number): Promise<Uint8Array | undefined> {
    return this.store.getBytes(this.chunkKey(fileIdHex, index))
  }
  chunkOp(fileIdHex: string, index: number, ciphertext: Uint8Array): BatchOp {
    return { type: 'putBytes', key: this.chunkKey(fileIdHex, index), value: ciphertext }
  }

  /** Drop a file's chunks, manifest and bitmap (cancel); the record stays, with its state. */
  async dropContents(fileIdHex: string, chunkCount: number): Promise<void> {
    const ops: BatchOp[] = [
      { type: 'del', key: this.manifestKey(fileIdHex) },
      { type: 'del', key: this.bitmapKey(fileIdHex) },
    ]
    for (let i = 0; i < chunkCount; i++) ops.push({ type: 'del', key: this.chunkKey(fileIdHex, i) })
    await this.store.batch(ops)
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

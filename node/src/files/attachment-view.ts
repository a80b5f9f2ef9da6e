/**
 * What attachments.get shows of a file: its record, its pointer's facts, the chunks held here
 * (from the bitmap) and the counters of this daemon's transfers.
 */
import type { Libp2p } from '@libp2p/interface'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { chunkPlainLength } from '../../../core/src/file/chunks.ts'
import { decodeFilePointer } from '../../../core/src/file/pointer.ts'
import type { TransferStats } from './downloads.ts'
import type { TransferPath } from './events.ts'
import { countChunks, type FileStore, hasChunk } from './file-store.ts'
import type { AttachmentRecord, AttachmentState } from './records.ts'
import { replicasOf } from './relay-blobs.ts'

/** An attachment as attachments.get shows it. */
export interface AttachmentView {
  readonly messageId: string
  readonly fileId: string
  readonly conversationId: string
  readonly direction: 'in' | 'out'
  readonly name: string
  readonly mediaType: string
  readonly size: number
  readonly state: AttachmentState
  /** PeerIds of the relays the pointer names for the offline path (none: direct only). */
  readonly relays: readonly string[]
  /** A received file: where its chunks are coming from in the current (or last) run. */
  readonly via?: TransferPath
  /** Chunks held here (checked), of chunkCount. */
  readonly chunks: number
  readonly chunkCount: number
  /** Plaintext bytes those chunks hold. */
  readonly bytes: number
  /** Chunks fetched over the network by this daemon since it started, and chunks refused (bad hash). */
  readonly fetchedChunks: number
  readonly refusedChunks: number
  /** A sent file: chunks served over the direct path since this daemon started (re-fetches count again). */
  readonly servedChunks: number
  readonly error?: string
}

export interface ViewDeps {
  readonly suite: CryptoSuite
  readonly libp2p: Libp2p
  readonly files: FileStore
}

/** The view of `record`, with its transfer's counters (absent: none since this daemon started). */
export async function attachmentView(
  deps: ViewDeps,
  record: AttachmentRecord,
  counters: { transfer: TransferStats | undefined; served: number },
): Promise<AttachmentView> {
  const pointer = decodeFilePointer(record.pointer)
  const t = counters.transfer
  let chunks = 0
  let bytes = 0
  if (record.direction === 'out' && record.state !== 'cancelled') {
    chunks = pointer.chunkCount
    bytes = pointer.size
  } else if (record.direction === 'in' && record.state !== 'cancelled') {
    const bitmap = await deps.files.bitmap(record.fileId)
    if (bitmap !== undefined) {
      for (let i = 0; i < pointer.chunkCount; i++)
        if (hasChunk(bitmap, i)) bytes += chunkPlainLength(pointer, i)
      chunks = countChunks(bitmap, pointer.chunkCount)
    }
  }
  return {
    messageId: record.messageId,
    fileId: record.fileId,
    conversationId: record.conversationId,
    direction: record.direction,
    name: pointer.name,
    mediaType: pointer.mediaType,
    size: pointer.size,
    state: record.state,
    relays: replicasOf({ suite: deps.suite, libp2p: deps.libp2p }, pointer).map((r) => r.relay.toString()),
    ...(t?.via != null ? { via: t.via } : {}),
    chunks,
    chunkCount: pointer.chunkCount,
    bytes,
    fetchedChunks: t?.fetched ?? 0,
    refusedChunks: t?.refused ?? 0,
    servedChunks: counters.served,
    ...(record.error !== undefined ? { error: record.error } : {}),
  }
}

/**
 * The plaintext of a stored file, chunk by chunk, for a reader that streams it (the daemon's HTTP
 * endpoint): every chunk is checked against the manifest and opened under the file key as it is
 * read, so at most one chunk is in memory. A chunk that fails its check ends the stream with
 * StoredChunkCorruptError after `onCorrupt` (which asks for it again), never with bad bytes.
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { chunkMatches, openChunk, readManifest } from '../../../core/src/file/chunks.ts'
import { decodeFilePointer, type FilePointer } from '../../../core/src/file/pointer.ts'
import { AttachmentNotReadyError, StoredChunkCorruptError } from './errors.ts'
import type { FileStore } from './file-store.ts'
import type { AttachmentRecord, AttachmentState } from './records.ts'

/** A message's file as a reader sees it. */
export interface FileContent {
  readonly messageId: string
  readonly direction: 'in' | 'out'
  readonly state: AttachmentState
  /** The sender's name and media type (shown, never trusted for a type: sniff the bytes). */
  readonly name: string
  readonly mediaType: string
  /** Plaintext bytes. */
  readonly size: number
  /** The pointer's inline thumbnail (empty when the sender put none). */
  readonly thumbnail: Uint8Array
  /** Whole here: a received file that completed, or one we sent (and did not cancel). */
  readonly ready: boolean
  /** The plaintext in order; throws AttachmentNotReadyError when not ready. */
  chunks(): AsyncGenerator<Uint8Array>
}

/** Whether the file of `record` is whole in the store. */
export function isReady(record: Pick<AttachmentRecord, 'direction' | 'state'>): boolean {
  return record.direction === 'in' ? record.state === 'complete' : record.state !== 'cancelled'
}

export function fileContent(
  suite: CryptoSuite,
  files: FileStore,
  record: AttachmentRecord,
  onCorrupt: (index: number) => Promise<void>,
): FileContent {
  const pointer: FilePointer = decodeFilePointer(record.pointer)
  const ready = isReady(record)
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!ready) throw new AttachmentNotReadyError(record.messageId, record.state)
    const manifest = await files.manifest(record.fileId)
    if (manifest === undefined) throw new StoredChunkCorruptError(0)
    const hashes = readManifest(suite, pointer, pointer.manifestHash, manifest)
    for (let index = 0; index < pointer.chunkCount; index++) {
      const sealed = await files.chunk(record.fileId, index)
      if (sealed === undefined || !chunkMatches(suite, hashes[index] as Uint8Array, sealed)) {
        await onCorrupt(index)
        throw new StoredChunkCorruptError(index)
      }
      yield openChunk(suite, pointer.fileKey, pointer, index, sealed)
    }
  }
  return {
    messageId: record.messageId,
    direction: record.direction,
    state: record.state,
    name: pointer.name,
    mediaType: pointer.mediaType,
    size: pointer.size,
    thumbnail: pointer.thumbnail,
    ready,
    chunks,
  }
}

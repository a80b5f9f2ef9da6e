/**
 * attachments.send's first half: a local file, read one chunk at a time (never whole in
 * memory), sealed once under a fresh file key (core/src/file/chunks.ts), each chunk stored as it
 * is sealed, then the manifest; returns the pointer that travels in the message. Paths that do
 * not name a readable regular file get their own errors; on any failure the chunks written so far
 * are dropped.
 */
import { type FileHandle, open } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import { concatBytes, toHex, wipe } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  type ChunkLayout,
  chunkCountFor,
  chunkHash,
  chunkPlainLength,
  manifestHash,
  newFileSecrets,
  sealChunk,
} from '../../../core/src/file/chunks.ts'
import { FILE_CHUNK_BYTES, MAX_FILE_CHUNKS, MAX_FILE_NAME_BYTES } from '../../../core/src/file/constants.ts'
import type { FilePointer } from '../../../core/src/file/pointer.ts'
import {
  FileChangedError,
  FilePathNotFoundError,
  FileTooLargeError,
  FileUnreadableError,
  NotARegularFileError,
} from './errors.ts'
import type { FileStore } from './file-store.ts'
import { type PreparedImage, prepareImage } from './images/prepare-image.ts'
import { releaseBytes } from './release-bytes.ts'

/** Largest file, in bytes: the chunk count the format allows (1 TiB); direct transfers have no other cap. */
export const MAX_SEND_FILE_BYTES = MAX_FILE_CHUNKS * FILE_CHUNK_BYTES

/** Media types by extension, for the common kinds; anything else is application/octet-stream. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.zip': 'application/zip',
}
const DEFAULT_MEDIA_TYPE = 'application/octet-stream'

export interface SealedFile {
  readonly pointer: FilePointer
  readonly fileIdHex: string
}

async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FilePathNotFoundError(path)
    if (code === 'EISDIR') throw new NotARegularFileError(path, 'a directory')
    throw new FileUnreadableError(path, code)
  }
  const stat = await handle.stat()
  if (!stat.isFile()) {
    await handle.close()
    throw new NotARegularFileError(path, stat.isDirectory() ? 'a directory' : 'not a regular file')
  }
  if (stat.size > MAX_SEND_FILE_BYTES) {
    await handle.close()
    throw new FileTooLargeError(path, stat.size, MAX_SEND_FILE_BYTES)
  }
  return { handle, size: stat.size }
}

/** A name that fits the pointer: the last path component, cut to MAX_FILE_NAME_BYTES of UTF-8. */
function pointerName(path: string): string {
  let name = basename(path)
  while (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) name = name.slice(0, -1)
  return name
}

/**
 * Seal the file at `path` into `files`; the caller writes the attachment record with the message.
 * An image (by its bytes) is sealed without its metadata and with a thumbnail (images/).
 */
export async function sealFile(suite: CryptoSuite, files: FileStore, path: string): Promise<SealedFile> {
  const { handle, size: fileSize } = await openRegularFile(path)
  let image: PreparedImage | null
  try {
    image = await prepareImage(handle, fileSize, path)
  } catch (error) {
    await handle.close()
    throw error
  }
  const size = image?.bytes.length ?? fileSize
  const { fileId, fileKey } = newFileSecrets(suite)
  const fileIdHex = toHex(fileId)
  const layout: ChunkLayout = {
    fileId,
    size,
    chunkBytes: FILE_CHUNK_BYTES,
    chunkCount: chunkCountFor(size, FILE_CHUNK_BYTES),
  }
  const buffer = new Uint8Array(FILE_CHUNK_BYTES)
  const hashes: Uint8Array[] = []
  try {
    for (let index = 0; index < layout.chunkCount; index++) {
      const length = chunkPlainLength(layout, index)
      let filled = 0
      if (image !== null) {
        buffer.set(image.bytes.subarray(index * FILE_CHUNK_BYTES, index * FILE_CHUNK_BYTES + length))
        filled = length
      }
      while (filled < length) {
        let bytesRead: number
        try {
          ;({ bytesRead } = await handle.read(
            buffer,
            filled,
            length - filled,
            index * FILE_CHUNK_BYTES + filled,
          ))
        } catch (error) {
          throw new FileUnreadableError(path, (error as NodeJS.ErrnoException).code ?? 'EIO')
        }
        if (bytesRead === 0) throw new FileChangedError(path)
        filled += bytesRead
      }
      const sealed = sealChunk(suite, fileKey, layout, index, buffer.subarray(0, length))
      hashes.push(chunkHash(suite, sealed))
      await files.writeChunks(fileIdHex, [{ index, ciphertext: sealed }])
      releaseBytes(sealed) // written and hashed: nothing else holds it
    }
    if ((await handle.stat()).size !== fileSize) throw new FileChangedError(path)
    const manifest = concatBytes(...hashes)
    await files.store.batch([files.manifestOp(fileIdHex, manifest)])
    const pointer: FilePointer = {
      fileId,
      size,
      mediaType: image?.mediaType ?? MEDIA_TYPES[extname(path).toLowerCase()] ?? DEFAULT_MEDIA_TYPE,
      name: pointerName(path),
      fileKey,
      chunkBytes: FILE_CHUNK_BYTES,
      chunkCount: layout.chunkCount,
      manifestHash: manifestHash(suite, manifest),
      thumbnail: image?.thumbnail ?? new Uint8Array(0),
      width: image?.width ?? 0,
      height: image?.height ?? 0,
      replicas: [],
    }
    return { pointer, fileIdHex }
  } catch (error) {
    await files.dropContents(fileIdHex, Math.min(hashes.length + 1, layout.chunkCount)).catch(() => {})
    wipe(fileKey)
    throw error
  } finally {
    wipe(buffer)
    if (image !== null) wipe(image.bytes)
    await handle.close()
  }
}

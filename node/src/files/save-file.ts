/**
 * attachments.save: the stored chunks of a complete file, each checked against the manifest and
 * opened under the file key, written to a temporary file beside the target (mode 0600), which
 * then takes the target's name: by link (refused when the target exists) or, when asked to
 * overwrite, by rename. A partial file never carries the target's name.
 */
import { randomBytes } from 'node:crypto'
import { link, open, rename, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { chunkMatches, openChunk, readManifest } from '../../../core/src/file/chunks.ts'
import type { FilePointer } from '../../../core/src/file/pointer.ts'
import { SaveTargetExistsError, SaveTargetInvalidError, StoredChunkCorruptError } from './errors.ts'
import type { FileStore } from './file-store.ts'
import { releaseBytes } from './release-bytes.ts'

/** Owner-only: a received file is as private as the message that carried it. */
const SAVED_FILE_MODE = 0o600

export interface SaveTarget {
  readonly path: string
  readonly overwrite: boolean
}

/** Write the file to `target`; throws StoredChunkCorruptError (with the index) when a chunk fails. */
export async function saveFile(
  suite: CryptoSuite,
  files: FileStore,
  pointer: FilePointer,
  fileIdHex: string,
  target: SaveTarget,
): Promise<{ bytes: number; corruptChunk?: number }> {
  const manifest = await files.manifest(fileIdHex)
  if (manifest === undefined) throw new StoredChunkCorruptError(0)
  const hashes = readManifest(suite, pointer, pointer.manifestHash, manifest)
  const temp = join(dirname(target.path), `.${randomBytes(6).toString('hex')}.wren-part`)
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(temp, 'wx', SAVED_FILE_MODE)
  } catch (error) {
    throw new SaveTargetInvalidError(target.path, (error as NodeJS.ErrnoException).code ?? 'EIO')
  }
  let written = 0
  try {
    for (let index = 0; index < pointer.chunkCount; index++) {
      const sealed = await files.chunk(fileIdHex, index)
      if (sealed === undefined || !chunkMatches(suite, hashes[index] as Uint8Array, sealed)) {
        await handle.close()
        await unlink(temp).catch(() => {})
        return { bytes: 0, corruptChunk: index }
      }
      const plain = openChunk(suite, pointer.fileKey, pointer, index, sealed)
      releaseBytes(sealed) // read from the store for this loop alone
      await handle.write(plain, 0, plain.length, written)
      written += plain.length
      plain.fill(0)
      releaseBytes(plain)
    }
    await handle.sync()
    await handle.close()
  } catch (error) {
    await handle.close().catch(() => {})
    await unlink(temp).catch(() => {})
    throw error
  }
  try {
    if (target.overwrite) await rename(temp, target.path)
    else {
      await link(temp, target.path)
      await unlink(temp)
    }
  } catch (error) {
    await unlink(temp).catch(() => {})
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    if (code === 'EEXIST') throw new SaveTargetExistsError(target.path)
    throw new SaveTargetInvalidError(target.path, code)
  }
  return { bytes: written }
}

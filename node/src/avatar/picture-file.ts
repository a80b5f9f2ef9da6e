/** The bytes of a picture file the user named (identity.setPicture {path}), within the source cap. */
import { open } from 'node:fs/promises'
import { NotFoundError } from '../errors.ts'
import { PICTURE_SOURCE_MAX_BYTES } from './constants.ts'
import { PictureNotUsableError } from './errors.ts'

export async function readPictureFile(path: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') throw new NotFoundError('no file at that path')
    throw new PictureNotUsableError(`unreadable (${(error as NodeJS.ErrnoException)?.code ?? 'error'})`)
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new PictureNotUsableError('not a regular file')
    if (info.size > PICTURE_SOURCE_MAX_BYTES)
      throw new PictureNotUsableError(`over the ${PICTURE_SOURCE_MAX_BYTES}-byte limit`)
    // read at most one byte past the cap: a file that grows meanwhile is still bounded
    const buffer = Buffer.alloc(PICTURE_SOURCE_MAX_BYTES + 1)
    let length = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length === buffer.length)
        throw new PictureNotUsableError(`over the ${PICTURE_SOURCE_MAX_BYTES}-byte limit`)
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
  } finally {
    await handle.close()
  }
}

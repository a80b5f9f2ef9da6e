/**
 * The send path's image step: a file whose bytes are an image (by magic bytes) is read whole
 * (≤ MAX_IMAGE_STRIP_BYTES), its metadata stripped, and a thumbnail made; the stripped bytes are
 * what is sealed and sent, the user's file is not touched. An image that cannot be stripped is
 * refused (ImageNotStrippableError): issue 16 promises that no EXIF or location leaves with an
 * image, and a malformed one may still be shown by a viewer with its metadata. A thumbnail that
 * cannot be made is only left out.
 */
import type { FileHandle } from 'node:fs/promises'
import { MAX_IMAGE_SIDE_PX } from '../../../../core/src/file/constants.ts'
import { type InlineImageType, SNIFF_BYTES, sniffImageType } from '../image-sniff.ts'
import { MAX_IMAGE_STRIP_BYTES } from './constants.ts'
import { ImageNotStrippableError, MalformedImageError } from './errors.ts'
import { stripImageMetadata } from './strip-metadata.ts'
import { makeThumbnail } from './thumbnail.ts'

export interface PreparedImage {
  /** The bytes to seal: the image without its metadata. */
  readonly bytes: Uint8Array
  readonly mediaType: InlineImageType
  /** Pixels; 0 when over what a pointer carries. */
  readonly width: number
  readonly height: number
  /** A JPEG ≤ 16 KiB and ≤ 320 px, or empty. */
  readonly thumbnail: Uint8Array
  /** Why there is no thumbnail, when making one failed (an error name, never content). */
  readonly thumbnailError?: string
}

async function readAll(handle: FileHandle, size: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(size)
  let filled = 0
  while (filled < size) {
    const { bytesRead } = await handle.read(bytes, filled, size - filled, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return bytes.subarray(0, filled)
}

/** The image at `handle` ready to seal, or null when its bytes are not an image. */
export async function prepareImage(
  handle: FileHandle,
  size: number,
  path: string,
): Promise<PreparedImage | null> {
  const head = new Uint8Array(SNIFF_BYTES)
  const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0)
  if (sniffImageType(head.subarray(0, bytesRead)) === null) return null
  if (size > MAX_IMAGE_STRIP_BYTES)
    throw new ImageNotStrippableError(path, `over the ${MAX_IMAGE_STRIP_BYTES}-byte limit for images`)
  const original = await readAll(handle, size)
  let stripped: ReturnType<typeof stripImageMetadata>
  try {
    stripped = stripImageMetadata(original)
  } catch (error) {
    if (error instanceof MalformedImageError) throw new ImageNotStrippableError(path, error.message)
    throw error
  } finally {
    original.fill(0)
  }
  if (stripped === null) return null // changed under us between the two reads: sealFile notices
  let thumbnail: Uint8Array = new Uint8Array(0)
  let thumbnailError: string | undefined
  try {
    thumbnail = await makeThumbnail(stripped)
  } catch (error) {
    thumbnailError = (error as Error)?.name ?? 'Error'
  }
  const fits = stripped.width <= MAX_IMAGE_SIDE_PX && stripped.height <= MAX_IMAGE_SIDE_PX
  return {
    bytes: stripped.bytes,
    mediaType: stripped.type,
    width: fits ? stripped.width : 0,
    height: fits ? stripped.height : 0,
    thumbnail,
    ...(thumbnailError !== undefined ? { thumbnailError } : {}),
  }
}

/**
 * One entry for metadata stripping: the format is decided by the magic bytes (image-sniff.ts),
 * never by the name; each format's stripper copies what makes the picture and drops the rest.
 * Input over MAX_IMAGE_STRIP_BYTES is refused before any parsing.
 */
import { type InlineImageType, sniffImageType } from '../image-sniff.ts'
import type { StrippedImage } from './bytes-reader.ts'
import { MAX_IMAGE_STRIP_BYTES } from './constants.ts'
import { MalformedImageError } from './errors.ts'
import { stripGif } from './gif-strip.ts'
import { stripJpeg } from './jpeg-strip.ts'
import { stripPng } from './png-strip.ts'
import { stripWebp } from './webp-strip.ts'

export type { StrippedImage } from './bytes-reader.ts'

const STRIPPERS: Readonly<Record<InlineImageType, (bytes: Uint8Array) => StrippedImage>> = {
  'image/jpeg': stripJpeg,
  'image/png': stripPng,
  'image/webp': stripWebp,
  'image/gif': stripGif,
}

/**
 * `bytes` without metadata, with its type; null when the bytes are not an image of a known type.
 * Throws MalformedImageError when they start like one but do not parse (or are over the cap).
 */
export function stripImageMetadata(bytes: Uint8Array): (StrippedImage & { type: InlineImageType }) | null {
  const type = sniffImageType(bytes)
  if (type === null) return null
  if (bytes.length > MAX_IMAGE_STRIP_BYTES)
    throw new MalformedImageError(type, `over ${MAX_IMAGE_STRIP_BYTES} bytes`)
  return { ...STRIPPERS[type](bytes), type }
}

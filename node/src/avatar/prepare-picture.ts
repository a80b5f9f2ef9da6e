/**
 * A profile picture from the user's image: recognised by its magic bytes, its metadata stripped
 * (files/images), decoded (JPEG with jpeg-js, PNG with pngjs: decode-png.ts), cut to the centred square, turned upright by its EXIF
 * orientation, box-filtered to PICTURE_SIDE_PX and encoded at falling quality until it fits
 * PICTURE_MAX_BYTES. The result carries no metadata (jpeg-js writes none). Pure: bytes in, bytes out.
 *
 * WebP and GIF are recognised and refused with UnsupportedPictureFormatError: no pure-JS decoder
 * for them is among the dependencies (the desktop converts them to JPEG in the page first).
 */
import { createRequire } from 'node:module'
import { MalformedImageError } from '../files/images/errors.ts'
import { stripImageMetadata } from '../files/images/strip-metadata.ts'
import { boxDownscale, orient, type Pixels } from '../files/images/thumbnail.ts'
import {
  PICTURE_DECODE_MEMORY_MB,
  PICTURE_MAX_BYTES,
  PICTURE_QUALITIES,
  PICTURE_SIDE_PX,
  PICTURE_SOURCE_MAX_BYTES,
  PICTURE_SOURCE_MAX_PIXELS,
} from './constants.ts'
import { decodePng } from './decode-png.ts'
import { PictureNotUsableError, UnsupportedPictureFormatError } from './errors.ts'

const RGBA = 4

// jpeg-js is loaded at the first picture, not with the daemon: most daemons never prepare one
// (an idle daemon's RSS, issue 14); synchronous, as preparePicture is
const require = createRequire(import.meta.url)
let jpegModule: typeof import('jpeg-js') | undefined
const jpegCodec = (): typeof import('jpeg-js') => {
  jpegModule ??= require('jpeg-js') as typeof import('jpeg-js')
  return jpegModule
}

/** The centred square of `src`. */
function centreSquare(src: Pixels): Pixels {
  const side = Math.min(src.width, src.height)
  const x0 = Math.floor((src.width - side) / 2)
  const y0 = Math.floor((src.height - side) / 2)
  const data = new Uint8Array(side * side * RGBA)
  for (let y = 0; y < side; y++) {
    const from = ((y0 + y) * src.width + x0) * RGBA
    data.set(src.data.subarray(from, from + side * RGBA), y * side * RGBA)
  }
  return { width: side, height: side, data }
}

function decodeJpeg(bytes: Uint8Array): Pixels {
  try {
    return jpegCodec().decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: PICTURE_SOURCE_MAX_PIXELS / 1_000_000,
      maxMemoryUsageInMB: PICTURE_DECODE_MEMORY_MB,
    })
  } catch (error) {
    throw new PictureNotUsableError(`not decodable (${(error as Error)?.message ?? 'unknown'})`)
  }
}

/** The JPEG to send for `image` (the bytes of the user's file); PictureNotUsableError otherwise. */
export function preparePicture(image: Uint8Array): Uint8Array {
  if (image.length > PICTURE_SOURCE_MAX_BYTES)
    throw new PictureNotUsableError(`over the ${PICTURE_SOURCE_MAX_BYTES}-byte limit`)
  let stripped: ReturnType<typeof stripImageMetadata>
  try {
    stripped = stripImageMetadata(image)
  } catch (error) {
    if (error instanceof MalformedImageError) throw new PictureNotUsableError(error.message)
    throw error
  }
  if (stripped === null) throw new PictureNotUsableError('not a JPEG or PNG image')
  if (stripped.type !== 'image/jpeg' && stripped.type !== 'image/png')
    throw new UnsupportedPictureFormatError(stripped.type)
  if (stripped.width * stripped.height > PICTURE_SOURCE_MAX_PIXELS)
    throw new PictureNotUsableError(`over ${PICTURE_SOURCE_MAX_PIXELS} pixels`)
  const decoded = stripped.type === 'image/png' ? decodePng(stripped.bytes) : decodeJpeg(stripped.bytes)
  const small = orient(boxDownscale(centreSquare(decoded), PICTURE_SIDE_PX), stripped.orientation)
  for (const quality of PICTURE_QUALITIES) {
    const out = jpegCodec().encode(
      { data: small.data, width: small.width, height: small.height },
      quality,
    ).data
    if (out.length <= PICTURE_MAX_BYTES) return new Uint8Array(out)
  }
  throw new PictureNotUsableError(`does not fit ${PICTURE_MAX_BYTES} bytes even at the lowest quality`)
}

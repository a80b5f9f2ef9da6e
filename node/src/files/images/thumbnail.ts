/**
 * The inline thumbnail of an image (issue 16: ≤ 320 px, ≤ 16 KiB, JPEG): a JPEG source decoded with
 * jpeg-js (a pure-JS baseline and progressive JPEG codec: no native build, no WASM file to load
 * beside the daemon's bundle), a PNG one with pngjs (pure JS over node:zlib, every colour type,
 * depth and interlace, CRCs checked, the inflated size capped at what the header announces),
 * box-filtered down to ≤ THUMBNAIL_MAX_SIDE_PX on the long side (transparency over white), turned
 * upright by the EXIF orientation (the thumbnail carries no EXIF), then encoded at falling quality
 * until it fits THUMBNAIL_MAX_BYTES. The pixel count is checked from the header before decoding.
 *
 * WebP and GIF are sent without one (the page shows the whole image once it is here): no
 * maintained pure-JS decoder for them, and a WASM one breaks the daemon's bundle.
 */
import type { InlineImageType } from '../image-sniff.ts'
import type { StrippedImage } from './bytes-reader.ts'
import {
  MAX_THUMBNAIL_SOURCE_PIXELS,
  THUMBNAIL_DECODE_MEMORY_MB,
  THUMBNAIL_MAX_BYTES,
  THUMBNAIL_MAX_SIDE_PX,
  THUMBNAIL_MIN_SIDE_PX,
  THUMBNAIL_QUALITIES,
  THUMBNAIL_SHRINK_FACTOR,
} from './constants.ts'
import { MalformedImageError } from './errors.ts'

const RGBA = 4
const WHITE = 255

/** RGBA pixels, row by row. */
export interface Pixels {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/**
 * A JPEG thumbnail of `image`, or an empty array when its type has no decoder here or it is over
 * MAX_THUMBNAIL_SOURCE_PIXELS. Throws MalformedImageError when the decoder refuses the bytes.
 */
export async function makeThumbnail(image: StrippedImage & { type: InlineImageType }): Promise<Uint8Array> {
  if (image.type !== 'image/jpeg' && image.type !== 'image/png') return new Uint8Array(0)
  if (image.width * image.height > MAX_THUMBNAIL_SOURCE_PIXELS) return new Uint8Array(0)
  const decoded = image.type === 'image/png' ? await decodePng(image.bytes) : await decodeJpeg(image.bytes)
  if (decoded.width !== image.width || decoded.height !== image.height)
    throw new MalformedImageError(
      image.type === 'image/png' ? 'PNG' : 'JPEG',
      'decoded size differs from the header',
    )
  return encodeThumbnail(decoded, image.orientation)
}

async function decodeJpeg(bytes: Uint8Array): Promise<Pixels> {
  const jpeg = await jpegCodec()
  let decoded: Pixels
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_THUMBNAIL_SOURCE_PIXELS / 1_000_000,
      maxMemoryUsageInMB: THUMBNAIL_DECODE_MEMORY_MB,
    })
  } catch (error) {
    throw new MalformedImageError('JPEG', `not decodable (${(error as Error)?.message ?? 'unknown'})`)
  }
  return decoded
}

async function decodePng(bytes: Uint8Array): Promise<Pixels> {
  const { PNG } = await pngCodec()
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      checkCRC: true,
    })
    return { width: png.width, height: png.height, data: png.data }
  } catch (error) {
    throw new MalformedImageError('PNG', `not decodable (${(error as Error)?.message ?? 'unknown'})`)
  }
}

/** pngjs, loaded on the first PNG thumbnail (like jpeg-js). */
async function pngCodec(): Promise<typeof import('pngjs')> {
  const mod = (await import('pngjs')) as typeof import('pngjs') & { default?: typeof import('pngjs') }
  return mod.default ?? mod
}

/** jpeg-js, loaded on the first thumbnail rather than with the daemon (idle RSS, issue 14). */
async function jpegCodec(): Promise<typeof import('jpeg-js')> {
  return (await import('jpeg-js')).default
}

/** Scale, turn and encode `pixels` until the JPEG fits; empty when even the smallest does not. */
export async function encodeThumbnail(pixels: Pixels, orientation: number): Promise<Uint8Array> {
  const jpeg = await jpegCodec()
  for (
    let side = THUMBNAIL_MAX_SIDE_PX;
    side >= THUMBNAIL_MIN_SIDE_PX;
    side = Math.floor(side * THUMBNAIL_SHRINK_FACTOR)
  ) {
    const small = orient(boxDownscale(pixels, side), orientation)
    for (const quality of THUMBNAIL_QUALITIES) {
      const out = jpeg.encode({ data: small.data, width: small.width, height: small.height }, quality).data
      if (out.length <= THUMBNAIL_MAX_BYTES) return new Uint8Array(out)
    }
  }
  return new Uint8Array(0)
}

/** Fit the long side in `side` pixels by averaging boxes of source pixels; alpha over white. */
export function boxDownscale(src: Pixels, side: number): Pixels {
  const scale = Math.min(1, side / Math.max(src.width, src.height))
  const width = Math.max(1, Math.round(src.width * scale))
  const height = Math.max(1, Math.round(src.height * scale))
  const data = new Uint8Array(width * height * RGBA)
  for (let oy = 0; oy < height; oy++) {
    const y0 = Math.floor((oy * src.height) / height)
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * src.height) / height))
    for (let ox = 0; ox < width; ox++) {
      const x0 = Math.floor((ox * src.width) / width)
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * src.width) / width))
      let r = 0
      let g = 0
      let b = 0
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * src.width + x) * RGBA
          const a = (src.data[i + 3] as number) / WHITE
          r += (src.data[i] as number) * a + WHITE * (1 - a)
          g += (src.data[i + 1] as number) * a + WHITE * (1 - a)
          b += (src.data[i + 2] as number) * a + WHITE * (1 - a)
        }
      }
      const n = (y1 - y0) * (x1 - x0)
      const o = (oy * width + ox) * RGBA
      data[o] = Math.round(r / n)
      data[o + 1] = Math.round(g / n)
      data[o + 2] = Math.round(b / n)
      data[o + 3] = WHITE
    }
  }
  return { width, height, data }
}

/**
 * The pixels as they are meant to be seen (EXIF orientation, TIFF 6.0 tag 274): for each output
 * pixel, the source pixel it shows. 5–8 swap width and height.
 */
export function orient(src: Pixels, orientation: number): Pixels {
  if (orientation < 2 || orientation > 8) return src
  const { width: w, height: h } = src
  const swap = orientation >= 5
  const width = swap ? h : w
  const height = swap ? w : h
  const from: (x: number, y: number) => [number, number] = [
    (x: number, y: number): [number, number] => [w - 1 - x, y], // 2: mirrored
    (x: number, y: number): [number, number] => [w - 1 - x, h - 1 - y], // 3: 180°
    (x: number, y: number): [number, number] => [x, h - 1 - y], // 4: flipped
    (x: number, y: number): [number, number] => [y, x], // 5: transposed
    (x: number, y: number): [number, number] => [y, h - 1 - x], // 6: 90° clockwise
    (x: number, y: number): [number, number] => [w - 1 - y, h - 1 - x], // 7: transversed
    (x: number, y: number): [number, number] => [w - 1 - y, x], // 8: 90° anticlockwise
  ][orientation - 2] as (x: number, y: number) => [number, number]
  const data = new Uint8Array(width * height * RGBA)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = from(x, y)
      const s = (sy * w + sx) * RGBA
      data.set(src.data.subarray(s, s + RGBA), (y * width + x) * RGBA)
    }
  }
  return { width, height, data }
}

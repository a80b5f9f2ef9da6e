/**
 * A PNG profile picture source decoded to RGBA pixels with pngjs, bounded before it starts: the
 * header's size, bit depth and colour type give the bytes the decoder will hold (inflated rows,
 * its bitmap, the 8-bit RGBA copy), which must stay under PICTURE_DECODE_MEMORY_MB. Interlaced
 * (Adam7) images are refused: pngjs inflates those without an output bound. Transparent pixels
 * are laid on white, since the JPEG we send has no alpha (black would show otherwise).
 */
import { createRequire } from 'node:module'
import type { Pixels } from '../files/images/thumbnail.ts'
import { PICTURE_DECODE_MEMORY_MB } from './constants.ts'
import { PictureNotUsableError } from './errors.ts'

// pngjs is loaded at the first PNG picture, not with the daemon (an idle daemon's RSS, issue 14)
const require = createRequire(import.meta.url)
let pngModule: typeof import('pngjs') | undefined
const pngCodec = (): typeof import('pngjs') => {
  pngModule ??= require('pngjs') as typeof import('pngjs')
  return pngModule
}

/** Offsets in a PNG whose first chunk is IHDR (stripPng checked it): signature 8, length 4, type 4. */
const IHDR_DATA = 16
const WIDTH = IHDR_DATA
const HEIGHT = IHDR_DATA + 4
const BIT_DEPTH = IHDR_DATA + 8
const COLOUR_TYPE = IHDR_DATA + 9
const INTERLACE = IHDR_DATA + 12
/** Samples a pixel by colour type (PNG spec 11.2.2): grey, -, RGB, palette, grey+alpha, -, RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const RGBA = 4
const WHITE = 255
/**
 * Deflate's best ratio is about 1032:1 (RFC 1951: a 258-byte match in 2 bits), so image data this
 * many times smaller than the rows it claims is truncated: refused before pngjs allocates the rows.
 */
const MAX_DEFLATE_RATIO = 1032
/** A chunk's length, type and CRC around its data, in bytes. */
const CHUNK_FRAME_BYTES = 12
const SIGNATURE_BYTES = 8

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at)
}

/** The bytes of image data (every IDAT chunk) in `png`, whose chunks stripPng walked already. */
function idatBytes(png: Uint8Array): number {
  let total = 0
  for (let pos = SIGNATURE_BYTES; pos + CHUNK_FRAME_BYTES <= png.length; ) {
    const length = u32(png, pos)
    if (String.fromCharCode(...png.subarray(pos + 4, pos + 8)) === 'IDAT') total += length
    pos += CHUNK_FRAME_BYTES + length
  }
  return total
}

/** Bytes pngjs holds at its peak for this header: inflated rows + bitmap + 8-bit RGBA. */
export function pngDecodeBytes(width: number, height: number, depth: number, channels: number): number {
  const inflated = (Math.ceil((width * channels * depth) / 8) + 1) * height
  const bitmap = width * height * RGBA * (depth === 16 ? 2 : 1)
  return inflated + bitmap + width * height * RGBA
}

/** The pixels of `png` (metadata already stripped), on white; PictureNotUsableError otherwise. */
export function decodePng(png: Uint8Array): Pixels {
  if (png.length < INTERLACE + 1) throw new PictureNotUsableError('truncated PNG header')
  const width = u32(png, WIDTH)
  const height = u32(png, HEIGHT)
  const depth = png[BIT_DEPTH] as number
  const channels = CHANNELS[png[COLOUR_TYPE] as number]
  if (channels === undefined) throw new PictureNotUsableError('unknown PNG colour type')
  if (png[INTERLACE] !== 0)
    throw new PictureNotUsableError('interlaced PNGs are not decoded: save it without interlacing')
  if (pngDecodeBytes(width, height, depth, channels) > PICTURE_DECODE_MEMORY_MB * 1024 * 1024)
    throw new PictureNotUsableError(`decoding would take over ${PICTURE_DECODE_MEMORY_MB} MiB`)
  const rows = (Math.ceil((width * channels * depth) / 8) + 1) * height
  if (rows > idatBytes(png) * MAX_DEFLATE_RATIO)
    throw new PictureNotUsableError('not decodable (image data too short for its size)')
  let decoded: { width: number; height: number; data: Buffer }
  try {
    decoded = pngCodec().PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.byteLength), {
      checkCRC: true,
    })
  } catch (error) {
    throw new PictureNotUsableError(`not decodable (${(error as Error)?.message ?? 'unknown'})`)
  }
  if (decoded.width !== width || decoded.height !== height || decoded.data.length !== width * height * RGBA)
    throw new PictureNotUsableError('not decodable (size mismatch)')
  const data = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length)
  for (let i = 0; i < data.length; i += RGBA) {
    const alpha = data[i + 3] as number
    if (alpha === WHITE) continue
    for (let c = 0; c < 3; c++)
      data[i + c] = Math.round(((data[i + c] as number) * alpha + WHITE * (WHITE - alpha)) / WHITE)
    data[i + 3] = WHITE
  }
  return { width, height, data }
}

/**
 * PNG metadata stripping (PNG 3rd edition §5, §11): chunks are copied as they are when they make
 * the picture — critical chunks and the ancillary chunks of colour, transparency, physical size and
 * animation (APNG) — and dropped otherwise: tEXt, zTXt, iTXt (comments, XMP, software), eXIf
 * (EXIF with GPS), tIME, and any private or unknown chunk (vendor data, provenance manifests).
 * Bytes after IEND are dropped. CRCs are not checked (the bytes are the user's own file; a decoder
 * checks them); structure is: IHDR first and 13 bytes, lengths within the file, IEND at the end.
 */
import { concatBytes } from '../../../../core/src/bytes.ts'
import { ByteView, need, type StrippedImage } from './bytes-reader.ts'
import { NORMAL_ORIENTATION } from './exif-orientation.ts'

const FORMAT = 'PNG'
const SIGNATURE_BYTES = 8
const IHDR_BYTES = 13
/** Length, type and CRC around a chunk's data. */
const CHUNK_FRAME_BYTES = 12
/** PNG §5.3: a chunk length is at most 2^31 − 1. */
const MAX_CHUNK_LENGTH = 0x7fffffff

/** The chunks that change how the image looks (PNG §11.2, §11.3; APNG acTL/fcTL/fdAT). */
const KEPT_CHUNKS: ReadonlySet<string> = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'cHRM',
  'gAMA',
  'iCCP',
  'sBIT',
  'sRGB',
  'cICP',
  'mDCV',
  'cLLI',
  'mDCv',
  'cLLi',
  'bKGD',
  'hIST',
  'pHYs',
  'sPLT',
  'acTL',
  'fcTL',
  'fdAT',
])

/** The PNG without its metadata; throws MalformedImageError when it does not parse. */
export function stripPng(bytes: Uint8Array): StrippedImage {
  const v = new ByteView(bytes, FORMAT)
  need(v.length >= SIGNATURE_BYTES, FORMAT, 'truncated signature')
  const kept: Uint8Array[] = [v.slice(0, SIGNATURE_BYTES)]
  let pos = SIGNATURE_BYTES
  let width = 0
  let height = 0
  for (let first = true; ; first = false) {
    const length = v.u32be(pos)
    need(length <= MAX_CHUNK_LENGTH, FORMAT, 'chunk length over 2^31 - 1')
    const type = v.ascii(pos + 4, 4)
    need(/^[A-Za-z]{4}$/.test(type), FORMAT, 'chunk type not four letters')
    const end = pos + CHUNK_FRAME_BYTES + length
    const chunk = v.slice(pos, end)
    if (first) {
      need(type === 'IHDR' && length === IHDR_BYTES, FORMAT, 'IHDR is not first')
      width = v.u32be(pos + 8)
      height = v.u32be(pos + 12)
      need(width > 0 && height > 0, FORMAT, 'zero-sized image')
    } else need(type !== 'IHDR', FORMAT, 'second IHDR')
    if (KEPT_CHUNKS.has(type)) kept.push(chunk)
    pos = end
    if (type === 'IEND') break
  }
  return { bytes: concatBytes(...kept), width, height, orientation: NORMAL_ORIENTATION }
}

/**
 * WebP metadata stripping (RFC 9649 §2.7): the RIFF chunks are copied as they are except EXIF,
 * XMP and unknown chunks, and the VP8X header's EXIF and XMP flags are cleared to match. Bytes
 * after the RIFF payload are dropped; the RIFF size is written anew.
 */
import { concatBytes } from '../../../../core/src/bytes.ts'
import { ByteView, need, type StrippedImage } from './bytes-reader.ts'
import { MalformedImageError } from './errors.ts'
import { NORMAL_ORIENTATION } from './exif-orientation.ts'

const FORMAT = 'WebP'
/** "RIFF", size, "WEBP". */
const HEADER_BYTES = 12
const CHUNK_HEADER_BYTES = 8
/** RFC 9649 §2.7.1: the VP8X flags' EXIF (E) and XMP (X) bits. */
const VP8X_EXIF_FLAG = 0x08
const VP8X_XMP_FLAG = 0x04
const VP8X_BYTES = 10
/** The VP8 key frame start code (RFC 6386 §9.1). */
const VP8_START = [0x9d, 0x01, 0x2a]
const VP8L_SIGNATURE = 0x2f
const SIDE_MASK = 0x3fff
/** Chunks that make the picture (RFC 9649 §2.5–2.7). */
const KEPT_CHUNKS: ReadonlySet<string> = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP'])

/** The WebP without its metadata; throws MalformedImageError when it does not parse. */
export function stripWebp(bytes: Uint8Array): StrippedImage {
  const v = new ByteView(bytes, FORMAT)
  need(v.ascii(0, 4) === 'RIFF' && v.ascii(8, 4) === 'WEBP', FORMAT, 'no RIFF/WEBP header')
  const end = CHUNK_HEADER_BYTES + v.u32le(4)
  need(end <= v.length && end >= HEADER_BYTES + CHUNK_HEADER_BYTES, FORMAT, 'RIFF size out of range')
  const kept: Uint8Array[] = []
  let width = 0
  let height = 0
  let pos = HEADER_BYTES
  while (pos < end) {
    const type = v.ascii(pos, 4)
    const size = v.u32le(pos + 4)
    const data = pos + CHUNK_HEADER_BYTES
    const next = data + size + (size & 1)
    need(data + size <= end, FORMAT, `chunk ${JSON.stringify(type)} past the end`)
    const chunk = v.slice(pos, Math.min(next, end))
    if (pos === HEADER_BYTES) {
      ;[width, height] = frameSize(v, type, data, size)
      if (type === 'VP8X') {
        const copy = chunk.slice()
        copy[CHUNK_HEADER_BYTES] = (copy[CHUNK_HEADER_BYTES] as number) & ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG)
        kept.push(copy)
        pos = next
        continue
      }
    }
    if (KEPT_CHUNKS.has(type)) kept.push(chunk)
    pos = next
  }
  const body = concatBytes(...kept)
  // a last chunk of odd size without its pad byte: pad it, so every chunk is even (RFC 9649 §2.4)
  const padded = body.length % 2 === 1 ? concatBytes(body, new Uint8Array(1)) : body
  const header = new Uint8Array(HEADER_BYTES)
  header.set(v.slice(0, 4))
  new DataView(header.buffer).setUint32(4, padded.length + 4, true)
  header.set(v.slice(8, 12), 8)
  return { bytes: concatBytes(header, padded), width, height, orientation: NORMAL_ORIENTATION }
}

/** The canvas or frame size from the first chunk (RFC 9649 §2.5, §2.6, §2.7; RFC 6386 §9.1). */
function frameSize(v: ByteView, type: string, data: number, size: number): [number, number] {
  if (type === 'VP8X') {
    need(size >= VP8X_BYTES, FORMAT, 'VP8X too short')
    return [1 + v.u24le(data + 4), 1 + v.u24le(data + 7)]
  }
  if (type === 'VP8 ') {
    need(size >= 10 && VP8_START.every((b, i) => v.u8(data + 3 + i) === b), FORMAT, 'no VP8 key frame')
    const w = v.u16le(data + 6) & SIDE_MASK
    const h = v.u16le(data + 8) & SIDE_MASK
    need(w > 0 && h > 0, FORMAT, 'zero-sized frame')
    return [w, h]
  }
  if (type === 'VP8L') {
    need(size >= 5 && v.u8(data) === VP8L_SIGNATURE, FORMAT, 'no VP8L signature')
    const bits = v.u32le(data + 1)
    return [(bits & SIDE_MASK) + 1, ((bits >>> 14) & SIDE_MASK) + 1]
  }
  throw new MalformedImageError(FORMAT, 'first chunk is not VP8X, VP8 or VP8L')
}

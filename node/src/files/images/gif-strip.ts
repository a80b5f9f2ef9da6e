/**
 * GIF metadata stripping (GIF89a spec §17–§27): the header, screen descriptor, colour tables,
 * images, graphic control and plain text extensions are copied as they are; comment extensions
 * (§24) and application extensions other than the looping ones (NETSCAPE2.0, ANIMEXTS1.0: XMP
 * lives in "XMP DataXMP") are dropped, and so is anything after the trailer.
 */
import { concatBytes } from '../../../../core/src/bytes.ts'
import { ByteView, need, type StrippedImage } from './bytes-reader.ts'
import { NORMAL_ORIENTATION } from './exif-orientation.ts'

const FORMAT = 'GIF'
/** Header (6) and logical screen descriptor (7). */
const SCREEN_END = 13
const IMAGE = 0x2c
const EXTENSION = 0x21
const TRAILER = 0x3b
const GRAPHIC_CONTROL = 0xf9
const PLAIN_TEXT = 0x01
const APPLICATION = 0xff
/** Image descriptor: separator, position, size, packed field. */
const IMAGE_DESCRIPTOR_BYTES = 10
const COLOUR_TABLE_FLAG = 0x80
/** Application extensions that only say how an animation loops. */
const KEPT_APPLICATIONS: ReadonlySet<string> = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0'])
const APPLICATION_ID_BYTES = 11

/** Bytes of a colour table announced by a packed field (3 × 2^(size+1)), 0 when absent. */
function colourTableBytes(packed: number): number {
  return packed & COLOUR_TABLE_FLAG ? 3 * 2 ** ((packed & 0x07) + 1) : 0
}

/** The position after a run of data sub-blocks (§15): sizes, then a 0 terminator. */
function skipSubBlocks(v: ByteView, pos: number): number {
  let at = pos
  for (let size = v.u8(at); size !== 0; size = v.u8(at)) at += 1 + size
  return at + 1
}

/** The GIF without its comments and metadata; throws MalformedImageError when it does not parse. */
export function stripGif(bytes: Uint8Array): StrippedImage {
  const v = new ByteView(bytes, FORMAT)
  need(/^GIF8[79]a$/.test(v.ascii(0, 6)), FORMAT, 'no GIF header')
  const width = v.u16le(6)
  const height = v.u16le(8)
  need(width > 0 && height > 0, FORMAT, 'zero-sized screen')
  let pos = SCREEN_END + colourTableBytes(v.u8(10))
  const kept: Uint8Array[] = [v.slice(0, pos)]
  for (;;) {
    const start = pos
    const kind = v.u8(pos)
    if (kind === TRAILER) {
      kept.push(v.slice(pos, pos + 1))
      break
    }
    if (kind === IMAGE) {
      pos += IMAGE_DESCRIPTOR_BYTES + colourTableBytes(v.u8(pos + 9))
      v.u8(pos) // LZW minimum code size
      pos = skipSubBlocks(v, pos + 1)
      kept.push(v.slice(start, pos))
      continue
    }
    need(kind === EXTENSION, FORMAT, `unknown block 0x${kind.toString(16)} at ${pos}`)
    const label = v.u8(pos + 1)
    pos = skipSubBlocks(v, pos + 2)
    const keep =
      label === GRAPHIC_CONTROL ||
      label === PLAIN_TEXT ||
      (label === APPLICATION &&
        v.u8(start + 2) === APPLICATION_ID_BYTES &&
        KEPT_APPLICATIONS.has(v.ascii(start + 3, APPLICATION_ID_BYTES)))
    if (keep) kept.push(v.slice(start, pos))
  }
  return { bytes: concatBytes(...kept), width, height, orientation: NORMAL_ORIENTATION }
}

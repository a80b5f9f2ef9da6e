/**
 * JPEG metadata stripping, lossless: the segments are copied as they are, except those that carry
 * metadata, so the pixels are exactly the original's (no re-encoding generation loss, no decoder
 * needed for the full image, and it works for every coding process — progressive, arithmetic,
 * 12-bit — that a re-encoder would have to decode first).
 *
 * Kept (ITU T.81 Annex B; JFIF 1.02; ICC.1 Annex B.4; Adobe TN 5116): tables, frame and scan
 * headers and their entropy-coded data, restart markers, APP0 (JFIF/JFXX), APP2 "ICC_PROFILE" (the
 * colours), APP14 "Adobe" (the colour transform), and the EXIF orientation re-written alone
 * (exif-orientation.ts). Dropped: APP1 (EXIF with GPS, XMP), APP13 (IPTC/Photoshop), COM, every
 * other APPn (maker notes, MPF, vendor blocks) and whatever follows EOI (MPF second images, motion
 * photo videos, vendor trailers). Anything off the structure is a MalformedImageError.
 */
import { concatBytes } from '../../../../core/src/bytes.ts'
import { ByteView, need, type StrippedImage } from './bytes-reader.ts'
import { NORMAL_ORIENTATION, orientationSegment, readExifOrientation } from './exif-orientation.ts'

const FORMAT = 'JPEG'
const MARKER = 0xff
const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const APP0 = 0xe0
const APP1 = 0xe1
const APP2 = 0xe2
const APP14 = 0xee
const RST0 = 0xd0
const RST7 = 0xd7
const TEM = 0x01
/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
}
function isApp(marker: number): boolean {
  return marker >= APP0 && marker <= 0xef
}
function startsWithAscii(payload: Uint8Array, id: string): boolean {
  return payload.length >= id.length && [...id].every((c, i) => payload[i] === c.charCodeAt(0))
}
/** Whether an APPn segment stays: only those that change how the pixels look. */
function keepApp(marker: number, payload: Uint8Array): boolean {
  if (marker === APP0) return startsWithAscii(payload, 'JFIF\0') || startsWithAscii(payload, 'JFXX\0')
  if (marker === APP2) return startsWithAscii(payload, 'ICC_PROFILE\0')
  if (marker === APP14) return startsWithAscii(payload, 'Adobe')
  return false
}

/** The JPEG without its metadata; throws MalformedImageError when it does not parse. */
export function stripJpeg(bytes: Uint8Array): StrippedImage {
  const v = new ByteView(bytes, FORMAT)
  need(v.u8(0) === MARKER && v.u8(1) === SOI, FORMAT, 'no SOI')
  const kept: Uint8Array[] = []
  let orientation = NORMAL_ORIENTATION
  let exifSeen = false
  let width = 0
  let height = 0
  let pos = 2
  for (;;) {
    need(v.u8(pos) === MARKER, FORMAT, `no marker at ${pos}`)
    while (v.u8(pos) === MARKER) pos++ // fill bytes (B.1.1.2)
    const marker = v.u8(pos)
    const start = pos - 1
    pos++
    if (marker === EOI) break
    need(marker !== SOI && marker !== TEM && !(marker >= RST0 && marker <= RST7), FORMAT, 'stray marker')
    const length = v.u16be(pos)
    need(length >= 2, FORMAT, 'segment length under 2')
    const payload = v.slice(pos + 2, pos + length)
    pos += length
    if (isApp(marker)) {
      if (marker === APP1 && !exifSeen && startsWithAscii(payload, 'Exif\0')) {
        // the first EXIF block is the image's own (MPF and vendor blocks may hold others)
        orientation = readExifOrientation(payload)
        exifSeen = true
      }
      if (keepApp(marker, payload)) kept.push(v.slice(start, pos))
      continue
    }
    if (marker === 0xfe) continue // COM
    if (isFrameHeader(marker)) {
      need(width === 0 && payload.length >= 6, FORMAT, 'bad or second frame header')
      height = v.u16be(start + 5)
      width = v.u16be(start + 7)
      need(width > 0 && height > 0, FORMAT, 'zero-sized frame') // a DNL height is not supported
    }
    kept.push(v.slice(start, pos))
    if (marker === SOS) {
      need(width > 0, FORMAT, 'scan before frame header')
      const data = pos
      // entropy-coded data runs to the next marker that is not a stuffed 0 or a restart (B.1.1.5)
      for (;;) {
        if (v.u8(pos) !== MARKER) {
          pos++
          continue
        }
        const next = v.u8(pos + 1)
        if (next === 0x00 || (next >= RST0 && next <= RST7)) pos += 2
        else break
      }
      kept.push(v.slice(data, pos))
    }
  }
  need(width > 0, FORMAT, 'no frame')
  const head = [v.slice(0, 2)]
  // JFIF wants APP0 first (JFIF 1.02 p.2); the orientation follows it
  if (kept[0] !== undefined && kept[0][1] === APP0) head.push(kept.shift() as Uint8Array)
  if (orientation !== NORMAL_ORIENTATION) head.push(orientationSegment(orientation))
  const out = concatBytes(...head, ...kept, Uint8Array.from([MARKER, EOI]))
  return { bytes: out, width, height, orientation }
}

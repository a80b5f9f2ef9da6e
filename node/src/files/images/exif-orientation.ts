/**
 * The one EXIF field kept when a JPEG's metadata is dropped: its orientation (how the camera was
 * held). Without it a portrait photo would show on its side. Read from IFD0 of the APP1 "Exif"
 * payload (EXIF 2.32 §4.6.4, TIFF 6.0 §2: byte order, 42, offset of IFD0, then 12-byte entries);
 * written back as a minimal APP1 holding only that tag. Anything unreadable is orientation 1.
 */
import { MAX_EXIF_IFD_ENTRIES } from './constants.ts'

/** "Exif\0\0", the APP1 identifier of EXIF (EXIF 2.32 §4.7.2). */
export const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00] as const
const ORIENTATION_TAG = 0x0112
const TIFF_SHORT = 3
const TIFF_MAGIC = 42
const ENTRY_BYTES = 12
/** Orientation values (TIFF 6.0: 1 = top-left … 8 = left-bottom). */
export const NORMAL_ORIENTATION = 1
const MAX_ORIENTATION = 8

/** The orientation in an APP1 payload (after the length), or 1 when it is not EXIF or has none. */
export function readExifOrientation(payload: Uint8Array): number {
  if (payload.length < EXIF_ID.length + 8) return NORMAL_ORIENTATION
  if (!EXIF_ID.every((b, i) => payload[i] === b)) return NORMAL_ORIENTATION
  const tiff = payload.subarray(EXIF_ID.length)
  const little = tiff[0] === 0x49 && tiff[1] === 0x49
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d
  if (!little && !big) return NORMAL_ORIENTATION
  const u16 = (p: number): number =>
    p + 2 > tiff.length
      ? -1
      : little
        ? (tiff[p] as number) | ((tiff[p + 1] as number) << 8)
        : ((tiff[p] as number) << 8) | (tiff[p + 1] as number)
  const u32 = (p: number): number =>
    p + 4 > tiff.length ? -1 : little ? u16(p) + u16(p + 2) * 0x10000 : u16(p) * 0x10000 + u16(p + 2)
  if (u16(2) !== TIFF_MAGIC) return NORMAL_ORIENTATION
  const ifd = u32(4)
  const count = u16(ifd)
  if (ifd < 8 || count < 0) return NORMAL_ORIENTATION
  for (let i = 0; i < Math.min(count, MAX_EXIF_IFD_ENTRIES); i++) {
    const entry = ifd + 2 + i * ENTRY_BYTES
    if (entry + ENTRY_BYTES > tiff.length) break
    if (u16(entry) !== ORIENTATION_TAG) continue
    const value = u16(entry + 8)
    if (u16(entry + 2) !== TIFF_SHORT || u32(entry + 4) !== 1) return NORMAL_ORIENTATION
    return value >= NORMAL_ORIENTATION && value <= MAX_ORIENTATION ? value : NORMAL_ORIENTATION
  }
  return NORMAL_ORIENTATION
}

/** A whole APP1 segment (marker, length, payload) holding only IFD0 with the orientation tag. */
export function orientationSegment(orientation: number): Uint8Array {
  const tiff = [
    0x4d,
    0x4d,
    0x00,
    TIFF_MAGIC, // big-endian, 42
    0x00,
    0x00,
    0x00,
    0x08, // IFD0 right after the header
    0x00,
    0x01, // one entry
    0x01,
    0x12,
    0x00,
    TIFF_SHORT,
    0x00,
    0x00,
    0x00,
    0x01,
    0x00,
    orientation,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00, // no next IFD
  ]
  const payload = [...EXIF_ID, ...tiff]
  const length = payload.length + 2
  return Uint8Array.from([0xff, 0xe1, length >> 8, length & 0xff, ...payload])
}

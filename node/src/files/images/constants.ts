/**
 * Limits of image handling on the sending side (issue 16: "images are re-encoded on the sending
 * side so EXIF and location are stripped"; an inline thumbnail ≤ 16 KiB, ≤ 320 px). Every number
 * has a unit and a reason.
 */
import { MAX_THUMBNAIL_BYTES } from '../../../../core/src/file/constants.ts'

const MIB = 1024 * 1024

/**
 * Largest image whose metadata is stripped, in bytes: stripping holds the whole file in memory
 * once (a 108 MP phone JPEG is ~40 MiB, a 50 MP PNG ~100 MiB). An image over it is refused
 * (ImageNotStrippableError), never sent with its metadata.
 */
export const MAX_IMAGE_STRIP_BYTES = 128 * MIB
/**
 * Largest image decoded for a thumbnail, in pixels: decoding holds 4 bytes a pixel (32 MP →
 * 128 MiB); phone cameras write 12–50 MP. Checked from the header before decoding; a larger image
 * is sent without a thumbnail.
 */
export const MAX_THUMBNAIL_SOURCE_PIXELS = 32_000_000
/** The decoder's own memory cap, in MiB: the source pixels at 4 B each plus its working buffers. */
export const THUMBNAIL_DECODE_MEMORY_MB = 256
/** Longest side of a thumbnail, in pixels (issue 16). */
export const THUMBNAIL_MAX_SIDE_PX = 320
/** Largest thumbnail, in bytes: what a pointer may carry. */
export const THUMBNAIL_MAX_BYTES = MAX_THUMBNAIL_BYTES
/**
 * JPEG qualities tried in turn until the thumbnail fits THUMBNAIL_MAX_BYTES: 320 px photos are
 * ~12–25 KiB at 75, so most fit by the second or third step; 20 is blurry but recognisable.
 */
export const THUMBNAIL_QUALITIES = [75, 65, 55, 45, 35, 25, 20] as const
/** When even the lowest quality does not fit (noise-like images), the side is cut by this factor and tried again. */
export const THUMBNAIL_SHRINK_FACTOR = 0.75
/** Smallest side a shrinking thumbnail goes down to, in pixels; below it the image has no thumbnail. */
export const THUMBNAIL_MIN_SIDE_PX = 32
/** EXIF IFD0 entries read when looking for the orientation: a camera writes ~10–30 (TIFF 6.0 §2). */
export const MAX_EXIF_IFD_ENTRIES = 512

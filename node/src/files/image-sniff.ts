/**
 * Which image a byte string is, by its magic bytes (never by name or by the sender's media type):
 * the few formats a page may show inline. Anything else is null and is served as a download.
 * Pure; reads at most SNIFF_BYTES.
 */

/** The image types shown inline: formats browsers decode without plug-ins and that run no script (no SVG). */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const
export type InlineImageType = (typeof INLINE_IMAGE_TYPES)[number]

/** Bytes the longest signature needs (WebP: "RIFF" size "WEBP"). */
export const SNIFF_BYTES = 12

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG = [0xff, 0xd8, 0xff]
const GIF87 = [0x47, 0x49, 0x46, 0x38, 0x37, 0x61]
const GIF89 = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]
const RIFF = [0x52, 0x49, 0x46, 0x46]
const WEBP = [0x57, 0x45, 0x42, 0x50]

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false
  return signature.every((b, i) => bytes[at + i] === b)
}

/** The inline image type of `bytes` (the first bytes of a file suffice), or null. */
export function sniffImageType(bytes: Uint8Array): InlineImageType | null {
  if (startsWith(bytes, PNG)) return 'image/png'
  if (startsWith(bytes, JPEG)) return 'image/jpeg'
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return 'image/gif'
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'image/webp'
  return null
}

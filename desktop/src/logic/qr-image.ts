/**
 * Pure helpers for loading a contact card from a QR image in the add-contact dialog: how far to
 * scale an image down before decoding, and which decoded texts count as a Wren card.
 */

/** Longest side, in px, an image is drawn at for decoding: a phone photo (4000+ px) would cost
 * ~64 MB of RGBA and seconds of decoding, while a card QR stays readable at this size. */
export const MAX_QR_IMAGE_SIDE_PX = 2048
/** Largest image file, in bytes, the dialog tries to decode: bounds memory for a dropped file. */
export const MAX_QR_IMAGE_FILE_BYTES = 25 * 1024 * 1024
/** Card string limit, in characters (the daemon's MAX_CARD_CHARS). */
export const MAX_CARD_CHARS = 4096
/** Every Wren contact card starts with this scheme. */
export const CARD_PREFIX = 'wren:'

export const NO_CARD_IN_IMAGE = 'No Wren contact card found in this image'

/**
 * The size to draw a `width` × `height` image at so that neither side exceeds `maxSide`,
 * keeping the aspect ratio; images already small enough keep their size (never scaled up).
 * Each side is at least 1 px.
 */
export function fitWithin(
  width: number,
  height: number,
  maxSide: number = MAX_QR_IMAGE_SIDE_PX,
): { width: number; height: number } {
  if (!(width > 0 && height > 0 && maxSide > 0))
    throw new RangeError('image and bound sizes must be positive')
  const longest = Math.max(width, height)
  if (longest <= maxSide) return { width: Math.round(width), height: Math.round(height) }
  const scale = maxSide / longest
  return {
    width: Math.max(1, Math.min(maxSide, Math.round(width * scale))),
    height: Math.max(1, Math.min(maxSide, Math.round(height * scale))),
  }
}

/** The card in a QR code's decoded text, or null when the text is not a Wren card. */
export function cardFromQrText(text: string | null | undefined): string | null {
  if (typeof text !== 'string') return null
  const card = text.trim()
  if (!card.startsWith(CARD_PREFIX) || card.length > MAX_CARD_CHARS) return null
  return card
}

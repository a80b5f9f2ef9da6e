/**
 * Size-bucket padding (ISO/IEC 7816-4 style): data ‖ 0x80 ‖ 0x00…, to the smallest bucket in
 * PADDING_BUCKETS that holds data plus the marker byte. Applied inside the AEAD, so observers
 * see only the bucket. Unpadding runs only on authenticated plaintext.
 */
import { MAX_PADDED_BYTES, PADDING_BUCKETS } from './constants.ts'
import { DecodeError, TooLargeError } from './errors.ts'

/** The ISO/IEC 7816-4 padding marker. */
const PAD_MARKER = 0x80

/** Padded size for `length` bytes of data (marker included); TooLargeError past the last bucket. */
export function paddedLength(length: number): number {
  for (const bucket of PADDING_BUCKETS) if (length + 1 <= bucket) return bucket
  throw new TooLargeError(`${length} bytes do not fit the largest padding bucket (${MAX_PADDED_BYTES} B)`)
}

export function isPaddingBucket(length: number): boolean {
  return PADDING_BUCKETS.includes(length)
}

export function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(data.length))
  out.set(data)
  out[data.length] = PAD_MARKER
  return out
}

/** DecodeError unless `padded` is a bucket size ending in 0x80 0x00…. */
export function unpad(padded: Uint8Array): Uint8Array {
  if (!isPaddingBucket(padded.length)) throw new DecodeError('padded length is not a bucket size')
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  if (end < 0 || padded[end] !== PAD_MARKER) throw new DecodeError('malformed padding')
  return padded.slice(0, end)
}

/**
 * UTF-8 for protobuf `string` fields, used by every generated codec (scripts/gen-protos.ts
 * rewrites protons' `reader.string()` / `w.string(x)` into these over `bytes`; the wire format is
 * the same, both are length-delimited).
 *
 * Why not protons-runtime's own: its decoder (dist/src/utils/utf8.js `read`) flushes its
 * 8,192-unit chunk after a surrogate pair has taken it to 8,193 units and reuses the array, so a
 * later chunk that ends at exactly 8,192 units carries one stale unit from the previous one:
 * long texts with emoji arrive with stray lone surrogates (and longer than sent). Its encoder
 * writes lone surrogates as 3-byte CESU sequences (invalid UTF-8) for strings under 40 units but
 * as U+FFFD above. Here both directions are the WHATWG Encoding Standard:
 * - encode: well-formed UTF-8 always; a lone surrogate becomes U+FFFD (TextEncoder).
 * - decode: strict (RFC 3629 / protobuf: a string field is valid UTF-8): overlong forms, encoded
 *   surrogates, truncated sequences and bytes above U+10FFFF are refused with DecodeError. A
 *   leading U+FEFF is text, not a byte-order mark: it is kept.
 */
import { DecodeError } from './errors.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function encodeProtoString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text)
}

export function decodeProtoString(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes)
  } catch (cause) {
    throw new DecodeError('string field is not valid UTF-8', { cause })
  }
}

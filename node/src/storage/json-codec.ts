/**
 * JSON with byte arrays: a Uint8Array (or Buffer) anywhere in a value is written as
 * `{ "$bytes": "<base64>" }` and read back as a Uint8Array. An object whose only key is `$bytes`
 * is therefore reserved for this purpose and cannot be stored as a plain object.
 */
import { ValueEncodingError } from './errors.ts'

const BYTES_TAG = '$bytes'

/** Values the codec round-trips: JSON plus Uint8Array. */
export type JsonBytesValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly JsonBytesValue[]
  | { readonly [key: string]: JsonBytesValue | undefined }

export function encodeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v) {
      // Read the holder's original value: Buffer#toJSON would already have run on `v`.
      const original = this[key]
      if (original instanceof Uint8Array)
        return {
          [BYTES_TAG]: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString(
            'base64',
          ),
        }
      return v
    })
    if (text === undefined) throw new ValueEncodingError('value is not JSON-encodable')
    return text
  } catch (error) {
    if (error instanceof ValueEncodingError) throw error
    throw new ValueEncodingError('value is not JSON-encodable', { cause: error })
  }
}

/** Parse text written by encodeJson. Throws SyntaxError on malformed JSON (callers map it). */
export function decodeJson(text: string): unknown {
  // without a tag there is nothing to revive, and a reviver costs a call per value
  if (!text.includes(BYTES_TAG)) return JSON.parse(text)
  return JSON.parse(text, (_key, v) => {
    // the tag's own property is checked first: most objects have none, so keys are listed rarely
    if (v !== null && typeof v === 'object' && typeof v[BYTES_TAG] === 'string' && !Array.isArray(v)) {
      const keys = Object.keys(v)
      if (keys.length === 1 && keys[0] === BYTES_TAG)
        return new Uint8Array(Buffer.from(v[BYTES_TAG], 'base64'))
    }
    return v
  })
}

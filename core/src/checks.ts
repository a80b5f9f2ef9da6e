/**
 * Boundary assertions for the identity layer, in the noble style: wrong type vs wrong range.
 * Caller-supplied keys fail with InvalidKeyError; fields of decoded untrusted bytes with DecodeError.
 */
import { DecodeError, InvalidKeyError } from './errors.ts'

/** A caller-supplied key or value must be a Uint8Array of exactly `length` bytes. */
export function checkKey(name: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array)) throw new InvalidKeyError(`${name} must be a Uint8Array`)
  if (value.length !== length)
    throw new InvalidKeyError(`${name} must be ${length} bytes, got ${value.length}`)
}

/** A caller-supplied byte string must be a Uint8Array of min..max bytes. */
export function checkKeyRange(name: string, value: Uint8Array, min: number, max: number): void {
  if (!(value instanceof Uint8Array)) throw new InvalidKeyError(`${name} must be a Uint8Array`)
  if (value.length < min || value.length > max)
    throw new InvalidKeyError(`${name} must be ${min}..${max} bytes, got ${value.length}`)
}

/** A caller-supplied integer must be a safe integer in 0..max. */
export function checkUint(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max)
    throw new InvalidKeyError(`${name} must be an integer in 0..${max}, got ${value}`)
}

/** A decoded field must be exactly `length` bytes. */
export function checkDecodedLength(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw new DecodeError(`${name} must be ${length} bytes, got ${value.length}`)
}

/** A decoded field must be min..max bytes. */
export function checkDecodedRange(name: string, value: Uint8Array, min: number, max: number): void {
  if (value.length < min || value.length > max)
    throw new DecodeError(`${name} must be ${min}..${max} bytes, got ${value.length}`)
}

/** A decoded integer (timestamps arrive as JS numbers from uint64) must be safe. */
export function checkDecodedUint(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new DecodeError(`${name} out of range`)
}

/** Run a protons decoder on untrusted bytes after the size cap; any failure is a DecodeError. */
export function decodeCapped<T>(
  what: string,
  bytes: Uint8Array,
  cap: number,
  decode: (bytes: Uint8Array) => T,
): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`${what} must be bytes`)
  if (bytes.length > cap) throw new DecodeError(`${what} over ${cap} bytes`)
  try {
    return decode(bytes)
  } catch (cause) {
    throw new DecodeError(`malformed ${what}`, { cause })
  }
}

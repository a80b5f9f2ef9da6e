/**
 * Fetch cursors: the big-endian u64 deposit sequence number of the last envelope returned
 * (empty = start from the oldest). Opaque to clients; only relays interpret them.
 */
import { u64be } from '../bytes.ts'
import { DecodeError } from '../errors.ts'
import { CURSOR_BYTES } from './constants.ts'

export function encodeCursor(sequence: number): Uint8Array {
  return u64be(sequence)
}

/** 0 for the empty cursor; DecodeError for a cursor beyond safe integers or of the wrong length. */
export function decodeCursor(cursor: Uint8Array): number {
  if (cursor.length === 0) return 0
  if (cursor.length !== CURSOR_BYTES) throw new DecodeError(`cursor must be ${CURSOR_BYTES} bytes`)
  const value = new DataView(cursor.buffer, cursor.byteOffset, cursor.byteLength).getBigUint64(0, false)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('cursor out of range')
  return Number(value)
}

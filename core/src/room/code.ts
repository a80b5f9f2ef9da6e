/**
 * Room codes: 8–16 characters of ROOM_CODE_ALPHABET. People may type them in lower case, with
 * dashes or spaces, and with the look-alikes O, I, L (read as 0, 1, 1); the normal form is the
 * bare upper-case string, and that is what the slow hash and CPace see.
 */
import type { Random } from '../crypto/suite.ts'
import { WrenCoreError } from '../errors.ts'
import {
  GENERATED_ROOM_CODE_CHARS,
  MAX_ROOM_CODE_CHARS,
  MIN_ROOM_CODE_CHARS,
  ROOM_CODE_ALPHABET,
  ROOM_CODE_GROUP_CHARS,
} from './constants.ts'

export class RoomCodeError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_ROOM_CODE', message)
    this.name = 'RoomCodeError'
  }
}

/** Look-alikes folded on input (Crockford base32's decoding rule). */
const LOOK_ALIKES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' }
/** Separators people put between groups; ignored. */
const SEPARATORS = /[\s-]/g

/** The normal form of a typed code; RoomCodeError when it is not 8–16 alphabet characters. */
export function normalizeRoomCode(input: string): string {
  if (typeof input !== 'string') throw new RoomCodeError('room code must be a string')
  if (input.length > MAX_ROOM_CODE_CHARS * 3) throw new RoomCodeError('room code is too long')
  const bare = [...input.replace(SEPARATORS, '').toUpperCase()].map((c) => LOOK_ALIKES[c] ?? c).join('')
  if (bare.length < MIN_ROOM_CODE_CHARS || bare.length > MAX_ROOM_CODE_CHARS)
    throw new RoomCodeError(
      `a room code has ${MIN_ROOM_CODE_CHARS} to ${MAX_ROOM_CODE_CHARS} characters (got ${bare.length})`,
    )
  for (const c of bare) {
    if (!ROOM_CODE_ALPHABET.includes(c))
      throw new RoomCodeError(`a room code uses only ${ROOM_CODE_ALPHABET} (not '${c}')`)
  }
  return bare
}

/**
 * A fresh code of GENERATED_ROOM_CODE_CHARS characters. Each character takes 5 bits of one
 * random byte (256 is a multiple of 32, so the choice is uniform).
 */
export function generateRoomCode(random: Random): string {
  const bytes = random(GENERATED_ROOM_CODE_CHARS)
  let code = ''
  for (const b of bytes) code += ROOM_CODE_ALPHABET[b % ROOM_CODE_ALPHABET.length]
  return code
}

/** The code in groups of four for display (normal form in, ABCD-EFGH-JKMN out). */
export function formatRoomCode(code: string): string {
  const groups: string[] = []
  for (let i = 0; i < code.length; i += ROOM_CODE_GROUP_CHARS)
    groups.push(code.slice(i, i + ROOM_CODE_GROUP_CHARS))
  return groups.join('-')
}

/** Bits of entropy of a uniformly generated code of `chars` characters. */
export function roomCodeBits(chars: number): number {
  return chars * Math.log2(ROOM_CODE_ALPHABET.length)
}

/** Room codes: the normal form people's typing maps to, the refusals, and generated codes. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seededRandom } from '../../../test/fixtures/seeded-random.ts'
import {
  formatRoomCode,
  generateRoomCode,
  normalizeRoomCode,
  RoomCodeError,
  roomCodeBits,
} from '../../src/room/code.ts'
import {
  GENERATED_ROOM_CODE_CHARS,
  MAX_ROOM_CODE_CHARS,
  MIN_ROOM_CODE_CHARS,
  ROOM_CODE_ALPHABET,
} from '../../src/room/constants.ts'

test('case, dashes, spaces and look-alikes (O, I, L) do not matter', () => {
  assert.equal(normalizeRoomCode('k7qd-x2mp-9fta'), 'K7QDX2MP9FTA')
  assert.equal(normalizeRoomCode(' K7QD X2MP 9FTA '), 'K7QDX2MP9FTA')
  assert.equal(normalizeRoomCode('OIL0-1111'), '01101111')
})

test('codes outside 8–16 characters of the alphabet are refused with the rule in the message', () => {
  assert.throws(() => normalizeRoomCode('A'.repeat(MIN_ROOM_CODE_CHARS - 1)), /8 to 16 characters/)
  assert.throws(() => normalizeRoomCode('A'.repeat(MAX_ROOM_CODE_CHARS + 1)), /8 to 16 characters/)
  assert.throws(() => normalizeRoomCode('ABCDEFGU'), RoomCodeError)
  assert.throws(() => normalizeRoomCode('ABCDEFG!'), /uses only/)
  assert.throws(() => normalizeRoomCode('-'.repeat(100)), RoomCodeError)
})

test('generated codes have 12 characters of the alphabet (60 bits), every symbol reachable, and round-trip', () => {
  const random = seededRandom('codes')
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const code = generateRoomCode(random)
    assert.equal(code.length, GENERATED_ROOM_CODE_CHARS)
    for (const c of code) seen.add(c)
    assert.equal(normalizeRoomCode(formatRoomCode(code)), code)
  }
  assert.equal(seen.size, ROOM_CODE_ALPHABET.length)
  assert.equal(roomCodeBits(GENERATED_ROOM_CODE_CHARS), 60)
  assert.equal(formatRoomCode('K7QDX2MP9FTA'), 'K7QD-X2MP-9FTA')
})

/**
 * The room frame parser and the session's receive path on hostile bytes: size cap, exact fields,
 * canonical encoding; fuzzed with fast-check and mutations of valid frames (seeded). Bad input is
 * rejected with typed errors by the parser, and destroys a session (never throws out of it).
 * Also the lifecycle table: only the specification's transitions are possible.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fuzzDecoder } from '../../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../../test/fixtures/seeded-random.ts'
import { createNobleSuite } from '../../src/crypto/noble-suite.ts'
import { DecodeError, InvalidStateError, WrenCoreError } from '../../src/errors.ts'
import { ABORT_ROOM_FULL, MAX_ROOM_FRAME_BYTES } from '../../src/room/constants.ts'
import { decodeRoomFrame, encodeRoomFrame, type RoomFrame } from '../../src/room/frame.ts'
import { RoomMachine } from '../../src/room/machine.ts'
import { RoomSession } from '../../src/room/session.ts'

const random = seededRandom('room-frames')
const samples: RoomFrame[] = [
  { kind: 'hello', sid: random(16), share: random(32), ad: random(11) },
  { kind: 'reply', share: random(32), ad: random(43), mac: random(32) },
  { kind: 'confirm', mac: random(32) },
  { kind: 'message', message: random(300) },
  { kind: 'abort', reason: ABORT_ROOM_FULL },
]

test('every frame kind round-trips through the codec', () => {
  for (const frame of samples) assert.deepEqual(decodeRoomFrame(encodeRoomFrame(frame)), frame)
})

test('the parser refuses oversized frames, wrong sizes, foreign fields and unknown kinds', () => {
  assert.throws(() => decodeRoomFrame(new Uint8Array(MAX_ROOM_FRAME_BYTES + 1)), DecodeError)
  assert.throws(() => decodeRoomFrame(encodeRoomFrame({ kind: 'confirm', mac: random(31) })), DecodeError)
  assert.throws(
    () =>
      decodeRoomFrame(encodeRoomFrame({ kind: 'hello', sid: random(8), share: random(32), ad: random(3) })),
    DecodeError,
  )
  // a CONFIRM with a share smuggled in: encode a REPLY and relabel its kind byte (field 2)
  const reply = encodeRoomFrame({ kind: 'reply', share: random(32), ad: random(4), mac: random(32) })
  assert.equal(reply[2], 0x10)
  const relabelled = reply.slice()
  relabelled[3] = 3
  assert.throws(() => decodeRoomFrame(relabelled), DecodeError)
  const unknownKind = encodeRoomFrame({ kind: 'confirm', mac: random(32) }).slice()
  unknownKind[3] = 9
  assert.throws(() => decodeRoomFrame(unknownKind), DecodeError)
})

test('the parser only throws typed errors on arbitrary bytes, and rejects them (fast-check, seeded)', () => {
  let rejected = 0
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: MAX_ROOM_FRAME_BYTES + 64 }), (bytes) => {
      try {
        decodeRoomFrame(bytes)
      } catch (err) {
        assert.ok(err instanceof WrenCoreError, `untyped ${(err as Error)?.name}`)
        rejected++
      }
    }),
    { seed: 19, numRuns: 3000 },
  )
  assert.ok(rejected > 2900, `rejected ${rejected} of 3000 random inputs`)
})

test('truncated and bit-flipped valid frames are rejected with typed errors', () => {
  const result = fuzzDecoder(decodeRoomFrame, { seed: 'room-frame', samples: samples.map(encodeRoomFrame) })
  assert.ok(result.rejected > 300)
})

test('a session fed fuzzed frames never throws and ends destroyed, never connected', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { minLength: 1, maxLength: 5 }), (frames) => {
      const r = seededRandom('fuzz-session')
      const session = new RoomSession({
        suite: createNobleSuite(r),
        random: r,
        clock: () => 0,
        role: 'responder',
        prs: new Uint8Array(32).fill(7),
        channelId: new Uint8Array(4),
      })
      session.start()
      for (const f of frames) session.receive(f)
      assert.equal(session.state, 'destroyed')
    }),
    { seed: 1919, numRuns: 300 },
  )
})

test('the lifecycle allows only searching → found → key-setup → connected → destroyed, and destroy from anywhere', () => {
  const seen: string[] = []
  const m = new RoomMachine('searching', (from, to) => seen.push(`${from}>${to}`))
  assert.throws(() => m.move('connected'), InvalidStateError)
  m.move('found')
  m.move('key-setup')
  assert.throws(() => m.move('found'), InvalidStateError)
  m.move('connected')
  m.move('destroyed')
  assert.throws(() => m.move('searching'), InvalidStateError)
  assert.deepEqual(seen, ['searching>found', 'found>key-setup', 'key-setup>connected', 'connected>destroyed'])
  for (const start of ['searching', 'found', 'key-setup'] as const) {
    const early = new RoomMachine(start)
    early.move('destroyed')
    assert.equal(early.state, 'destroyed')
  }
})

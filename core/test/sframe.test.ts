/**
 * Call media frames (core/src/call/sframe.ts, frame-cipher.ts): the header round-trips and
 * has one encoding per counter, sealed frames open only with their key and untouched, the
 * nonce never repeats within a direction, and the parser refuses (with its own error) every
 * malformed input fast-check makes. Fixed seeds; WebCrypto is Node's.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { FrameCipher, FrameOpenError, FrameReplayError, FrameSealError } from '../src/call/frame-cipher.ts'
import {
  DECRYPT_FAILURES_TO_END,
  DecryptCounter,
  encodeHeader,
  FrameFormatError,
  frameNonce,
  MAX_COUNTER,
  MAX_SEALED_FRAME_BYTES,
  mediaKeyBytes,
  parseFrame,
  REPLAY_WINDOW_FRAMES,
  ReplayWindow,
  TAG_BYTES,
} from '../src/call/sframe.ts'

const SEED = 0x5f4a
const KEY_A = 'a1'.repeat(32)
const KEY_B = 'b2'.repeat(32)
const subtle = globalThis.crypto.subtle

describe('call media frames: format', () => {
  test('a header round-trips for counters across every length, and each counter has one header', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_COUNTER }), (counter) => {
        const header = encodeHeader(counter)
        const frame = new Uint8Array(header.byteLength + TAG_BYTES)
        frame.set(header)
        const parsed = parseFrame(frame)
        assert.equal(parsed.counter, counter)
        assert.equal(parsed.keyId, 0)
        assert.deepEqual(parsed.header, header)
      }),
      { seed: SEED, numRuns: 500 },
    )
    assert.deepEqual(encodeHeader(0), Uint8Array.of(0x00, 0x00))
    assert.deepEqual(encodeHeader(256), Uint8Array.of(0x01, 0x01, 0x00))
    // a zero-padded counter is a second encoding of one nonce: refused
    const padded = new Uint8Array(3 + TAG_BYTES)
    padded.set([0x01, 0x00, 0x05])
    assert.throws(() => parseFrame(padded), FrameFormatError)
  })

  test('the nonce is the salt XOR the counter, distinct for distinct counters', () => {
    const salt = Uint8Array.from({ length: 12 }, (_, i) => i * 17)
    assert.deepEqual(frameNonce(salt, 0), salt)
    const n = frameNonce(salt, 0x0102)
    assert.equal(n[11], salt[11]! ^ 0x02)
    assert.equal(n[10], salt[10]! ^ 0x01)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_COUNTER }),
        fc.integer({ min: 0, max: MAX_COUNTER }),
        (a, b) => {
          const same = Buffer.from(frameNonce(salt, a)).equals(frameNonce(salt, b))
          assert.equal(same, a === b)
        },
      ),
      { seed: SEED, numRuns: 300 },
    )
  })

  test('fuzz: random and mutated bytes either parse consistently or throw FrameFormatError', () => {
    let rejected = 0
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        try {
          const p = parseFrame(bytes)
          assert.equal(p.header.byteLength + p.sealed.byteLength, bytes.byteLength)
          assert.ok(p.sealed.byteLength >= TAG_BYTES)
          assert.deepEqual(encodeHeader(p.counter, p.keyId), p.header)
        } catch (error) {
          assert.ok(error instanceof FrameFormatError, String(error))
          rejected++
        }
      }),
      { seed: SEED, numRuns: 2000 },
    )
    assert.ok(rejected > 100, `malformed inputs were rejected (${rejected})`)
    assert.throws(() => parseFrame(new Uint8Array(MAX_SEALED_FRAME_BYTES + 1)), FrameFormatError)
    assert.throws(() => parseFrame(Uint8Array.of(0x80, ...new Uint8Array(20))), FrameFormatError)
  })

  test('a media key is 64 hex characters', () => {
    assert.equal(mediaKeyBytes(KEY_A).byteLength, 32)
    assert.throws(() => mediaKeyBytes('a1'), RangeError)
    assert.throws(() => mediaKeyBytes(`${'zz'.repeat(32)}`), RangeError)
  })

  test(`decrypt failures end the call after ${DECRYPT_FAILURES_TO_END} in a row, not after scattered ones`, () => {
    const c = new DecryptCounter()
    for (let i = 0; i < DECRYPT_FAILURES_TO_END * 3; i++) {
      if (i % 10 === 0) assert.equal(c.fail(), false)
      else c.ok()
    }
    for (let i = 1; i < DECRYPT_FAILURES_TO_END; i++) assert.equal(c.fail(), false)
    assert.equal(c.fail(), true)
    assert.equal(c.failed, 15 + DECRYPT_FAILURES_TO_END)
  })
})

describe('call media frames: sealing with WebCrypto', () => {
  test('a frame sealed with one key opens with it, in any order, and never with the other key', async () => {
    const send = await FrameCipher.create(subtle, KEY_A, 1000)
    const recv = await FrameCipher.create(subtle, KEY_A)
    const wrong = await FrameCipher.create(subtle, KEY_B)
    const plains = [Uint8Array.of(1), new Uint8Array(160).fill(7), new Uint8Array(1275).fill(9)]
    const sealed = []
    for (const p of plains) sealed.push(await send.seal(p))
    assert.equal(parseFrame(sealed[0]!).counter, 1000)
    assert.equal(parseFrame(sealed[2]!).counter, 1002)
    for (const i of [2, 0, 1]) assert.deepEqual(await recv.open(sealed[i]!), plains[i])
    await assert.rejects(wrong.open(sealed[0]!), FrameOpenError)
  })

  test('fuzz: any bit flip or truncation of a sealed frame is refused with FrameOpenError', async () => {
    const send = await FrameCipher.create(subtle, KEY_A, 77)
    const recv = await FrameCipher.create(subtle, KEY_A)
    const frame = await send.seal(new Uint8Array(120).map((_, i) => i))
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: frame.byteLength * 8 - 1 }),
        fc.integer({ min: 0, max: frame.byteLength - 1 }),
        async (bit, cut) => {
          const flipped = Uint8Array.from(frame)
          flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7))
          await assert.rejects(recv.open(flipped), FrameOpenError)
          await assert.rejects(recv.open(frame.subarray(0, cut)), FrameOpenError)
        },
      ),
      { seed: SEED, numRuns: 200 },
    )
  })

  test('a replayed frame is refused as a replay; a forged one does not move the replay window', async () => {
    const send = await FrameCipher.create(subtle, KEY_A, 5)
    const recv = await FrameCipher.create(subtle, KEY_A)
    const first = await send.seal(Uint8Array.of(1))
    const second = await send.seal(Uint8Array.of(2))
    assert.deepEqual(await recv.open(second), Uint8Array.of(2))
    assert.deepEqual(await recv.open(first), Uint8Array.of(1), 'reordered within the window')
    await assert.rejects(recv.open(first), FrameReplayError)
    await assert.rejects(recv.open(second), FrameReplayError)
    // a forged frame with a far-ahead counter fails to open and leaves the window where it was
    const forged = new Uint8Array(8 + TAG_BYTES)
    forged.set(encodeHeader(5 + 10 * REPLAY_WINDOW_FRAMES))
    await assert.rejects(recv.open(forged), FrameOpenError)
    assert.deepEqual(await recv.open(await send.seal(Uint8Array.of(3))), Uint8Array.of(3))
  })

  test('the replay window: fresh once, never again, and nothing older than the window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 * REPLAY_WINDOW_FRAMES }), { maxLength: 400 }),
        (counters) => {
          const w = new ReplayWindow()
          const accepted = new Set<number>()
          let newest = -1
          for (const c of counters) {
            const fresh = w.fresh(c)
            const expected = !accepted.has(c) && c > newest - REPLAY_WINDOW_FRAMES
            assert.equal(fresh, expected, `counter ${c} after newest ${newest}`)
            if (fresh) {
              w.seen(c)
              accepted.add(c)
              newest = Math.max(newest, c)
            }
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    )
  })

  test('a frame too large to fit the cap is not sealed', async () => {
    const send = await FrameCipher.create(subtle, KEY_A)
    await assert.rejects(send.seal(new Uint8Array(MAX_SEALED_FRAME_BYTES)), FrameSealError)
  })
})

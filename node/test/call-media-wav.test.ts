/**
 * The CLI's WAV reader (node/src/call-media/wav.ts): what writeWav writes reads back; stereo is
 * mixed to mono and other rates resampled to 48 kHz; and every malformed file fast-check makes is
 * refused with WavFormatError (never another error, never a hang). Fixed seeds.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { MAX_WAV_BYTES, MEDIA_RATE_HZ, readWav, WavFormatError, writeWav } from '../src/call-media/wav.ts'

const SEED = 15
const RUNS = 500

/** A 16-bit PCM WAV header + `data` as written by common tools (rate, channels chosen). */
function pcmWav(samples: Int16Array, rate: number, channels: number): Uint8Array {
  const bytes = writeWav(samples)
  const v = new DataView(bytes.buffer)
  v.setUint16(22, channels, true)
  v.setUint32(24, rate, true)
  v.setUint32(28, rate * 2 * channels, true)
  v.setUint16(32, 2 * channels, true)
  return bytes
}

describe('call media WAV files', () => {
  test('a written recording reads back sample for sample', () => {
    const samples = Int16Array.from({ length: 960 }, (_, i) => Math.round(Math.sin(i / 7) * 20_000))
    const read = readWav(writeWav(samples))
    assert.equal(read.rate, MEDIA_RATE_HZ)
    assert.equal(read.samples.length, samples.length)
    for (let i = 0; i < samples.length; i++) assert.equal(Math.round(read.samples[i]! * 32_768), samples[i])
  })

  test('stereo is mixed to mono, and 24 kHz is resampled to twice as many 48 kHz samples', () => {
    const stereo = Int16Array.from([1000, 3000, -2000, -4000])
    const mixed = readWav(pcmWav(stereo, MEDIA_RATE_HZ, 2)).samples
    assert.deepEqual(
      [...mixed].map((x) => Math.round(x * 32_768)),
      [2000, -3000],
    )
    const half = readWav(pcmWav(Int16Array.from([0, 1000, 2000, 3000]), 24_000, 1)).samples
    assert.deepEqual(
      [...half].map((x) => Math.round(x * 32_768)),
      [0, 500, 1000, 1500, 2000, 2500, 3000, 3000],
    )
  })

  test('8-bit, float, 5-channel, 4 kHz, headerless and oversized files are refused with WavFormatError', () => {
    const good = writeWav(new Int16Array(10))
    const bits8 = Uint8Array.from(good)
    new DataView(bits8.buffer).setUint16(34, 8, true)
    const float = Uint8Array.from(good)
    new DataView(float.buffer).setUint16(20, 3, true)
    const refused = [
      bits8,
      float,
      pcmWav(new Int16Array(10), MEDIA_RATE_HZ, 5),
      pcmWav(new Int16Array(10), 4_000, 1),
      good.subarray(0, 11),
      good.subarray(12),
      new Uint8Array(MAX_WAV_BYTES + 1),
    ]
    for (const bytes of refused) assert.throws(() => readWav(bytes), WavFormatError)
  })

  test('fuzz: random bytes and mutated files either read as mono 48 kHz or throw WavFormatError', () => {
    const good = writeWav(Int16Array.from({ length: 64 }, (_, i) => i * 100))
    const mutated = fc
      .array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
      .map((edits) => {
        const b = Uint8Array.from(good)
        for (const [at, value] of edits) b[at] = value
        return b
      })
    let refusedCount = 0
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), mutated), (bytes) => {
        try {
          const read = readWav(bytes)
          assert.ok(read.samples.every((x) => x >= -1 && x <= 1))
        } catch (error) {
          assert.ok(error instanceof WavFormatError, String(error))
          refusedCount++
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
    assert.ok(refusedCount > RUNS / 4, `bad input was refused (${refusedCount} of ${RUNS})`)
  })
})

/**
 * The CLI's receive side (node/src/call-media/playout.ts) with the real Opus codec (opusscript):
 * a seeded two-tone signal is encoded into 20 ms packets whose RTP timestamps wrap around 2^32
 * mid-stream, and the packets are fed with gaps, reordered, late and duplicated. Where a packet
 * is missing the output holds libopus's concealment, not silence, and its seams do not click
 * (compared with placing only the packets that came, as the CLI did before: silent gaps with a
 * jump at each edge); packets reordered within the depth play exactly as in order.
 */
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { FRAME_SAMPLES, OpusCodec } from '../src/call-media/opus-codec.ts'
import { MAX_CONCEAL_SAMPLES, Playout, REORDER_DEPTH_PACKETS } from '../src/call-media/playout.ts'
import { MEDIA_RATE_HZ } from '../src/call-media/wav.ts'

const FRAMES = 100
const TIMESTAMP_SPACE = 0x1_0000_0000
/** First RTP timestamp: 30 frames before the clock wraps. */
const BASE = TIMESTAMP_SPACE - 30 * FRAME_SAMPLES

/** A voice-band signal: two tones with a slow swell, seeded phases. */
function source(): Float32Array {
  const random = seededRandom('playout')
  const [p1, p2] = [random(1)[0] as number, random(1)[0] as number].map((b) => (b / 256) * 2 * Math.PI)
  const out = new Float32Array(FRAMES * FRAME_SAMPLES)
  for (let i = 0; i < out.length; i++) {
    const t = i / MEDIA_RATE_HZ
    const swell = 0.75 + 0.25 * Math.sin(2 * Math.PI * 2 * t)
    out[i] =
      swell *
      (0.25 * Math.sin(2 * Math.PI * 220 * t + (p1 as number)) +
        0.15 * Math.sin(2 * Math.PI * 330 * t + (p2 as number)))
  }
  return out
}

const encoder = new OpusCodec()
const signal = source()
const packets = Array.from({ length: FRAMES }, (_, f) =>
  encoder.encode(signal.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES)),
)
const stampOf = (frame: number) => (BASE + frame * FRAME_SAMPLES) % TIMESTAMP_SPACE

/** The output of feeding `order` (frame numbers, in arrival order) through a Playout. */
function play(order: readonly number[], flush = true) {
  const codec = new OpusCodec()
  const out = new Float32Array(FRAMES * FRAME_SAMPLES)
  const written = new Uint8Array(out.length)
  const playout = new Playout(codec, (samples, timestamp) => {
    const at = (timestamp - BASE + TIMESTAMP_SPACE) % TIMESTAMP_SPACE
    for (let i = 0; i < samples.length && at + i < out.length; i++) {
      assert.equal(written[at + i], 0, `sample ${at + i} written twice`)
      written[at + i] = 1
      out[at + i] = samples[i] as number
    }
  })
  for (const f of order) playout.push(packets[f] as Uint8Array, stampOf(f))
  if (flush) playout.flush()
  codec.close()
  return { out, counts: { ...playout.counts } }
}

/** What the CLI did before: decode each packet that came and place it; gaps stay silent. */
function placeOnly(order: readonly number[]): Float32Array {
  const codec = new OpusCodec()
  const out = new Float32Array(FRAMES * FRAME_SAMPLES)
  for (const f of order) out.set(codec.decode(packets[f] as Uint8Array), f * FRAME_SAMPLES)
  codec.close()
  return out
}

const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length)
/** Largest step between neighbouring samples in [from, to). */
function maxStep(a: Float32Array, from: number, to: number): number {
  let max = 0
  for (let i = Math.max(1, from); i < Math.min(to, a.length); i++)
    max = Math.max(max, Math.abs((a[i] as number) - (a[i - 1] as number)))
  return max
}
/** The largest step of the decoded audio when every packet came, past the first 100 ms. */
function naturalStep(): number {
  const clean = play(all).out
  return maxStep(clean, 5 * FRAME_SAMPLES, clean.length)
}
const all = Array.from({ length: FRAMES }, (_, f) => f)
const without = (lost: readonly number[]) => all.filter((f) => !lost.includes(f))

after(() => encoder.close())

describe('the CLI playout: reordering and loss concealment', () => {
  test('lost frames (one, two, three in a row) are concealed, not silent, and their seams do not click', () => {
    const gaps = [[20], [45, 46], [70, 71, 72]]
    const lost = gaps.flat()
    const { out, counts } = play(without(lost))
    const before = placeOnly(without(lost))
    // the steps of the audio itself, where every packet came (past the decoder's first frames)
    const natural = naturalStep()
    assert.deepEqual(counts, {
      played: FRAMES - lost.length,
      late: 0,
      undecodable: 0,
      concealedSamples: lost.length * FRAME_SAMPLES,
      silentSamples: 0,
    })
    for (const gap of gaps) {
      const from = (gap[0] as number) * FRAME_SAMPLES
      const to = ((gap.at(-1) as number) + 1) * FRAME_SAMPLES
      const expected = rms(signal.subarray(from, to))
      assert.equal(rms(before.subarray(from, to)), 0, 'before: a silent gap')
      const concealed = rms(out.subarray(from, to))
      assert.ok(concealed > 0.5 * expected, `gap at frame ${gap[0]}: rms ${concealed} of ${expected}`)
      // the edges: into the gap, and out of it into the next decoded frame
      const window = 2 * FRAME_SAMPLES
      const edge = maxStep(before, from - window, to + window)
      const seam = maxStep(out, from - window, to + window)
      assert.ok(edge > 4 * natural, `before: a jump of ${edge} at the gap (the audio steps ≤ ${natural})`)
      assert.ok(
        seam <= 2 * natural,
        `gap at frame ${gap[0]}: a step of ${seam} (the audio steps ≤ ${natural})`,
      )
    }
  })

  test('packets reordered within the depth play exactly as in order', () => {
    const order = [...all]
    // swap neighbours, and move one packet REORDER_DEPTH_PACKETS places late
    ;[order[10], order[11]] = [order[11] as number, order[10] as number]
    order.splice(40, 1)
    order.splice(40 + REORDER_DEPTH_PACKETS, 0, 40)
    const { out, counts } = play(order)
    assert.deepEqual(counts, {
      played: FRAMES,
      late: 0,
      undecodable: 0,
      concealedSamples: 0,
      silentSamples: 0,
    })
    assert.deepEqual(out, play(all).out)
  })

  test('a packet later than the depth is concealed and then dropped; a second copy is dropped', () => {
    const order = [...all]
    order.splice(50, 1)
    order.splice(50 + REORDER_DEPTH_PACKETS + 1, 0, 50)
    order.splice(80, 0, 60)
    const { counts } = play(order)
    assert.deepEqual(counts, {
      played: FRAMES - 1,
      late: 2,
      undecodable: 0,
      concealedSamples: FRAME_SAMPLES,
      silentSamples: 0,
    })
  })

  test('a long gap: 120 ms concealed and faded out, the rest silent', () => {
    const lost = Array.from({ length: 20 }, (_, i) => 30 + i)
    const { out, counts } = play(without(lost))
    const gap = lost.length * FRAME_SAMPLES
    assert.equal(counts.concealedSamples, MAX_CONCEAL_SAMPLES)
    assert.equal(counts.silentSamples, gap - MAX_CONCEAL_SAMPLES)
    const from = 30 * FRAME_SAMPLES
    assert.ok(rms(out.subarray(from, from + FRAME_SAMPLES)) > 0.1, 'the first frame of the gap is concealed')
    assert.ok(Math.abs(out[from + MAX_CONCEAL_SAMPLES - 1] as number) < 0.01, 'faded out at the cap')
    assert.ok(
      out.subarray(from + MAX_CONCEAL_SAMPLES, from + gap).every((x) => x === 0),
      'silent past the cap',
    )
    // no click inside the concealment (libopus's chunks), nor where the audio comes back
    const natural = naturalStep()
    const inside = maxStep(out, from - FRAME_SAMPLES, from + MAX_CONCEAL_SAMPLES)
    const back = maxStep(out, from + gap - FRAME_SAMPLES, from + gap + FRAME_SAMPLES)
    assert.ok(inside <= 2 * natural, `a step of ${inside} in the concealment (the audio steps ≤ ${natural})`)
    assert.ok(
      back <= 2 * natural,
      `a step of ${back} where the audio comes back (the audio steps ≤ ${natural})`,
    )
  })

  test('a packet the decoder refuses is concealed like a lost one', () => {
    const codec = new OpusCodec()
    const placed: number[] = []
    const playout = new Playout(codec, (samples, timestamp) => {
      placed.push((timestamp - BASE + TIMESTAMP_SPACE) % TIMESTAMP_SPACE, samples.length)
    })
    for (const f of [0, 1, 2, 3, 4, 5]) {
      // 0xff...: an Opus code-3 packet that claims more frames than it holds
      const packet = f === 2 ? new Uint8Array([0xff, 0xff, 0xff]) : (packets[f] as Uint8Array)
      playout.push(packet, stampOf(f))
    }
    playout.flush()
    codec.close()
    assert.equal(playout.counts.undecodable, 1)
    assert.equal(playout.counts.played, 5)
    assert.equal(playout.counts.concealedSamples, FRAME_SAMPLES)
    // frames 0 and 1, the concealment where 2 was, then 3, 4, 5: no hole, no overlap
    const f = FRAME_SAMPLES
    assert.deepEqual(placed, [0, f, f, f, 2 * f, f, 3 * f, f, 4 * f, f, 5 * f, f])
  })

  test('packets are held up to the depth; flush plays them out', () => {
    const { counts } = play(all, false)
    assert.equal(counts.played, FRAMES - REORDER_DEPTH_PACKETS)
  })

  test('any arrival order, drops and repeats: every packet is played or dropped once, the output is finite', () => {
    const random = seededRandom('playout-arrivals')
    for (let round = 0; round < 20; round++) {
      const order: number[] = []
      for (const f of all) {
        const r = random(1)[0] as number
        if (r < 20) continue // lost
        order.push(f)
        if (r > 240) order.push(Math.floor(((random(1)[0] as number) / 256) * FRAMES)) // a stray copy
      }
      // shuffle locally: each packet moves up to 6 places
      for (let i = 0; i < order.length; i++) {
        const j = Math.min(order.length - 1, i + Math.floor(((random(1)[0] as number) / 256) * 6))
        ;[order[i], order[j]] = [order[j] as number, order[i] as number]
      }
      const { out, counts } = play(order)
      assert.equal(counts.played + counts.late, order.length, `round ${round}`)
      assert.ok(out.every(Number.isFinite))
    }
  })
})

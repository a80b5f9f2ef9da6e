/**
 * `wren call` and `wren answer` between two real daemons, each CLI a real process doing its own
 * media (werift WebRTC, opusscript Opus, frames sealed with the call's keys): alice's CLI plays
 * a seeded WAV, bob's records, and the recording correlates with the source (issue 15: ≥ 0.8).
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { readWav } from '../../node/src/call-media/wav.ts'
import { matchRecording, sweepSignal, wavFile } from '../fixtures/audio-signal.ts'
import { type ChatPeer, startPair } from '../fixtures/chat.ts'
import { startWren } from '../fixtures/wren-cli.ts'

const RATE = 48_000
/** The WAV alice plays, in s. */
const SOURCE_SECONDS = 6
/** Bound on each CLI process, in ms: ringing, ICE, 6 s of audio and hang-up on a loaded machine. */
const CALL_RUN_MS = 60_000
/** Correlation blocks (0.25 s) and how far each may drift (±60 ms), as in desktop-calls. */
const BLOCK_SAMPLES = RATE / 4
const DRIFT_SAMPLES = (RATE * 60) / 1000
const MIN_CORRELATION = 0.8
/** Of the audio sent, bob must record at least this share (the first frames may precede his DTLS). */
const MIN_RECORDED_SHARE = 0.8
/** The recording's first 0.1 s is left out of the match: Opus delays what it decodes by 6.5 ms, so
 * a recording as long as the source starts before it (a negative lag the search cannot take). */
const SKIP_SAMPLES = RATE / 10

describe('CLI calls: wren call plays a WAV, wren answer records it', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let dir = ''
  let source: Float32Array

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-cli-call-'))
    source = sweepSignal('cli-call', SOURCE_SECONDS, RATE)
    await writeFile(join(dir, 'in.wav'), wavFile(source, RATE))
    ;({ alice, bob } = await startPair())
  })

  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('bob’s recording of alice’s WAV correlates with it (≥ 0.8), every frame opened, both sides end with hangup', async () => {
    const out = join(dir, 'out.wav')
    const answer = startWren(['answer', '--record', out, '--json'], { home: bob.home, profile: 'p' })
    const call = startWren(['call', 'Bob', '--play', join(dir, 'in.wav'), '--json'], {
      home: alice.home,
      profile: 'p',
    })
    const [called, answered] = await Promise.all([call.exited(CALL_RUN_MS), answer.exited(CALL_RUN_MS)])
    assert.equal(called.code, 0, `wren call: ${called.stderr}`)
    assert.equal(answered.code, 0, `wren answer: ${answered.stderr}`)
    const a = JSON.parse(called.stdout)
    const b = JSON.parse(answered.stdout)
    assert.equal(a.call.endReason, 'hangup')
    assert.equal(b.call.endReason, 'hangup')
    assert.ok(a.call.connectedAt !== null && b.call.connectedAt !== null, 'both sides reported connected')
    assert.equal(a.frames.sent, Math.ceil((SOURCE_SECONDS * RATE) / 960))
    assert.equal(b.frames.failed, 0)
    assert.ok(b.frames.opened >= a.frames.sent * MIN_RECORDED_SHARE, `bob opened ${b.frames.opened}`)
    assert.equal((await stat(out)).mode & 0o777, 0o600)

    const recorded = readWav(await readFile(out)).samples.subarray(SKIP_SAMPLES)
    const match = matchRecording(source, recorded, BLOCK_SAMPLES, DRIFT_SAMPLES)
    const sorted = [...match.blocks].sort((x, y) => x - y)
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0
    process.stdout.write(
      `# recorded ${((recorded.length + SKIP_SAMPLES) / RATE).toFixed(2)} s; past its first 0.1 s it sits ${(match.lag / RATE).toFixed(3)} s into the source; one lag over all: ${match.correlation.toFixed(3)}; median block ${median.toFixed(3)}; frames sent ${a.frames.sent}, opened ${b.frames.opened}\n`,
    )
    assert.ok(
      recorded.length + SKIP_SAMPLES >= SOURCE_SECONDS * RATE * MIN_RECORDED_SHARE,
      'most of the WAV arrived',
    )
    // placed by RTP timestamp, the recording needs no per-block realignment: one lag fits it all
    assert.ok(
      match.correlation >= MIN_CORRELATION,
      `correlation ${match.correlation.toFixed(3)} ≥ ${MIN_CORRELATION}`,
    )
    assert.ok(median >= MIN_CORRELATION, `median block correlation ${median.toFixed(3)} ≥ ${MIN_CORRELATION}`)
  })
})

/**
 * A desktop page and a CLI call each other (issue 15: the CLI and the page run the same
 * signalling and frame encryption, so either can call the other). Two real daemons; Alice's page in a headless
 * Chromium whose fake microphone plays one seeded WAV; Bob's `wren answer` (werift + opusscript,
 * a real process) answers, plays another seeded WAV and records what arrives; then Bob's `wren
 * call` rings Alice's page and she accepts on the incoming-call screen. Both directions are
 * checked: Bob's recording against Alice's microphone source, and what Alice's page receives
 * against Bob's WAV (correlation ≥ 0.8 each); every frame opens on both sides, and Bob's hang-up
 * (--seconds) ends the call on Alice's screen, in both calls.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { buildDesktop } from '../../desktop/build.ts'
import { findChromium } from '../../desktop/preview/chromium.ts'
import { readWav } from '../../node/src/call-media/wav.ts'
import { matchRecording, sweepSignal, wavFile } from '../fixtures/audio-signal.ts'
import {
  type CallWindow,
  closeWindows,
  launchCallBrowser,
  openChat,
  openWindow,
  recordRemote,
  UI_WAIT_MS,
} from '../fixtures/call-pages.ts'
import { type ChatPeer, startPair, waitForEvent } from '../fixtures/chat.ts'
import { type StartedWren, startWren } from '../fixtures/wren-cli.ts'

const RATE = 48_000
/** Alice's fake microphone plays this long (no loop): ringing, accepting and the call fit in it. */
const PAGE_SOURCE_SECONDS = 60
/** Bob's WAV, in s, and how long his CLI stays in the call before hanging up (--seconds). */
const CLI_SOURCE_SECONDS = 8
const CLI_CALL_SECONDS = 8
/** Alice's page records Bob's audio this long, after this settle time (jitter buffer, AGC). */
const PAGE_SETTLE_MS = 2_000
const PAGE_RECORD_SECONDS = 3
/** Bound on the CLI process, in ms: ringing, ICE and the call on a loaded 2-core machine. */
const CLI_RUN_MS = 90_000
/** Correlation blocks (0.25 s) and how far each may drift (±60 ms), as in desktop-calls. */
const BLOCK_SAMPLES = RATE / 4
const DRIFT_SAMPLES = (RATE * 60) / 1000
const MIN_CORRELATION = 0.8
/** Bob's recording starts with the first packet; its first 0.5 s (AGC settling, Opus delay) is left out. */
const SKIP_SAMPLES = RATE / 2

function medianOf(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

describe('a desktop page and the CLI call each other: wren answer / wren call talk with Chromium', () => {
  let browser: Browser
  let alice: CallWindow
  let bob: ChatPeer
  let aliceSource: Float32Array
  let bobSource: Float32Array
  let dir = ''
  let answer: StartedWren | undefined

  before(async () => {
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    dir = await mkdtemp(join(tmpdir(), 'wren-cli-page-call-'))
    aliceSource = sweepSignal('cli-page-call/alice', PAGE_SOURCE_SECONDS, RATE)
    bobSource = sweepSignal('cli-page-call/bob', CLI_SOURCE_SECONDS, RATE)
    await writeFile(join(dir, 'alice.wav'), wavFile(aliceSource, RATE))
    await writeFile(join(dir, 'bob.wav'), wavFile(bobSource, RATE))
    await buildDesktop()
    browser = await launchCallBrowser(join(dir, 'alice.wav'))
    const pair = await startPair()
    bob = pair.bob
    alice = await openWindow(browser, pair.alice)
    await openChat(alice, 'Bob')
  })

  after(async () => {
    if (answer && answer.child.exitCode === null && answer.child.signalCode === null)
      answer.child.kill('SIGKILL')
    await closeWindows([alice])
    await browser?.close()
    await Promise.allSettled([alice?.peer.stop(), bob?.stop()])
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('alice’s page calls, bob’s wren answer records her (≥ 0.8) and plays to her (≥ 0.8), every frame opens, his hang-up ends her call', async () => {
    const out = join(dir, 'bob-heard-1.wav')
    const incoming = waitForEvent(bob.client, 'call.incoming', () => true, UI_WAIT_MS)
    answer = startWren(
      [
        'answer',
        '--play',
        join(dir, 'bob.wav'),
        '--record',
        out,
        '--seconds',
        String(CLI_CALL_SECONDS),
        '--wait',
        '60',
        '--json',
      ],
      { home: bob.home, profile: 'p' },
    )
    await alice.page.getByRole('button', { name: 'Call Bob' }).click()
    const { call } = await incoming
    await checkCall(answer, call.callId, out)
  })

  test('bob’s wren call rings alice’s page, she accepts: both directions correlate (≥ 0.8), his hang-up ends her call', async () => {
    const out = join(dir, 'bob-heard-2.wav')
    const incoming = waitForEvent(alice.peer.client, 'call.incoming', () => true, UI_WAIT_MS)
    answer = startWren(
      [
        'call',
        'Alice',
        '--play',
        join(dir, 'bob.wav'),
        '--record',
        out,
        '--seconds',
        String(CLI_CALL_SECONDS),
        '--json',
      ],
      { home: bob.home, profile: 'p' },
    )
    const { call } = await incoming
    const ringing = alice.page.getByRole('alertdialog', { name: 'Incoming call from Bob' })
    await ringing.waitFor()
    await ringing.getByRole('button', { name: 'Accept' }).click()
    await checkCall(answer, call.callId, out)
  })

  /** Alice's page is in call `callId` with the CLI `cli`: record, wait for the CLI, compare both ways. */
  async function checkCall(cli: StartedWren, callId: string, out: string): Promise<void> {
    const screen = alice.page.locator('.call-screen')
    await alice.page.locator('.call-screen[data-call-state=connected]').waitFor()
    await alice.page.locator('.call-path[data-path=direct]').waitFor()
    await new Promise((r) => setTimeout(r, PAGE_SETTLE_MS))
    const heardByAlice = await recordRemote(alice.page, PAGE_RECORD_SECONDS)
    const aliceOpened = Number(await screen.getAttribute('data-frames-opened'))
    const aliceFailed = await screen.getAttribute('data-frames-failed')

    const ran = await cli.exited(CLI_RUN_MS)
    assert.equal(ran.code, 0, `wren: ${ran.stderr}`)
    const b = JSON.parse(ran.stdout)
    assert.equal(b.call.callId, callId)
    assert.equal(b.call.endReason, 'hangup')
    assert.notEqual(b.call.connectedAt, null)
    assert.equal(b.frames.failed, 0, 'every frame from the page opened in the CLI')
    await alice.page.locator('.call-screen').waitFor({ state: 'detached' })
    const aliceCalls = await alice.peer.client.call('calls.list', {})
    const aliceCall = aliceCalls.calls.find((c) => c.callId === callId)
    assert.equal(aliceCall?.state, 'ended')
    assert.equal(aliceCall?.endReason, 'hangup')
    assert.deepEqual(alice.errors, [])

    // page → CLI
    const recorded = readWav(await readFile(out)).samples.subarray(SKIP_SAMPLES)
    const toCli = matchRecording(aliceSource, recorded, BLOCK_SAMPLES, DRIFT_SAMPLES)
    const toCliMedian = medianOf(toCli.blocks)
    // CLI → page
    assert.equal(heardByAlice.rate, RATE)
    const toPage = matchRecording(
      bobSource,
      Float32Array.from(heardByAlice.samples),
      BLOCK_SAMPLES,
      DRIFT_SAMPLES,
    )
    const toPageMedian = medianOf(toPage.blocks)
    process.stdout.write(
      `# page → CLI: bob opened ${b.frames.opened} frames, recorded ${b.recordedSeconds.toFixed(2)} s; one lag ${toCli.correlation.toFixed(3)}, median block ${toCliMedian.toFixed(3)}\n` +
        `# CLI → page: bob sent ${b.frames.sent} frames, alice opened ${aliceOpened} (failed ${aliceFailed}); one lag ${toPage.correlation.toFixed(3)}, median block ${toPageMedian.toFixed(3)}\n`,
    )
    assert.ok(b.frames.opened > 0, 'the CLI opened sealed frames from the page')
    assert.ok(aliceOpened > 0, 'the page opened sealed frames from the CLI')
    assert.equal(aliceFailed, '0')
    assert.ok(
      toCliMedian >= MIN_CORRELATION,
      `page → CLI median block correlation ${toCliMedian.toFixed(3)} ≥ ${MIN_CORRELATION}`,
    )
    assert.ok(
      toPageMedian >= MIN_CORRELATION,
      `CLI → page median block correlation ${toPageMedian.toFixed(3)} ≥ ${MIN_CORRELATION}`,
    )
  }
})

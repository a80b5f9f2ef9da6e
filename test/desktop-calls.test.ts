/**
 * Voice calls in the desktop page, end to end: two real daemons (child processes) and two pages
 * in a headless Chromium whose fake microphone plays a generated WAV of seeded tone sweeps.
 * Alice calls Bob from the chat header, Bob accepts on the incoming-call screen; the pages open
 * RTCPeerConnections whose SDP and ICE go only through the daemons, and every audio frame is
 * sealed with the call's media keys in the call worker. Bob's page records what it receives
 * (MediaStreamTrackProcessor on the remote track) and the test cross-correlates it with the
 * source. Then a hang-up ends both sides, and a call where Bob's page gets a wrong receive key
 * (the test rewrites calls.mediaKeys on his RPC WebSocket) ends with failed-decrypt and no
 * page error. Screenshots go to test-artifacts/desktop-calls/.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { CHROMIUM_FLAGS, findChromium } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { matchRecording, sweepSignal, wavFile } from './fixtures/audio-signal.ts'
import { type ChatPeer, startPair, waitForEvent } from './fixtures/chat.ts'

/** Bound on each UI wait, in ms: ringing, ICE and the first audio on a loaded 2-core machine. */
const UI_WAIT_MS = 30_000
/** The fake microphone's sample rate and length: long enough for ringing, accepting and recording. */
const RATE = 48_000
const SOURCE_SECONDS = 60
/** Recorded at Bob after the media connected, in s, after letting the jitter buffer settle. */
const RECORD_SECONDS = 4
const SETTLE_MS = 3_000
/** Correlation blocks (0.25 s), and how far each may drift from where the previous one ended
 * (±60 ms: the jitter buffer stretches or shrinks audio, and conceals lost packets). */
const BLOCK_SAMPLES = RATE / 4
const DRIFT_SAMPLES = (RATE * 60) / 1000
/** What the received audio must reach (issue 15). */
const MIN_CORRELATION = 0.8
/** After mute, what bob hears is checked for this long, once the jitter buffer drained. */
const MUTE_SETTLE_MS = 1_000
const MUTE_RECORD_SECONDS = 1
/** Peak amplitude of "silence" (the sweeps peak at 0.5, before the sender's gain control). */
const MUTED_PEAK = 0.01
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-calls')

interface Window {
  peer: ChatPeer
  server: DesktopServer
  context: BrowserContext
  page: Page
  errors: string[]
}

/** Rewrites the receiveKey of calls.mediaKeys answers on this page's RPC WebSocket while on. */
interface KeyTamper {
  on: boolean
  rewritten: number
}

async function openWindow(browser: Browser, peer: ChatPeer, tamper?: KeyTamper): Promise<Window> {
  const rpcUrl = `ws://127.0.0.1:${peer.daemon.rpcPort}/`
  const server = await startDesktopServer({ token: peer.daemon.token, rpcUrl })
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } })
  if (tamper) {
    await context.routeWebSocket(rpcUrl, (ws) => {
      const daemon = ws.connectToServer()
      const keyCalls = new Set<unknown>()
      ws.onMessage((m) => {
        if (tamper.on && typeof m === 'string') {
          const req = JSON.parse(m) as { id?: unknown; method?: string }
          if (req.method === 'calls.mediaKeys') keyCalls.add(req.id)
        }
        daemon.send(m)
      })
      daemon.onMessage((m) => {
        if (typeof m === 'string' && keyCalls.size > 0) {
          const res = JSON.parse(m) as { id?: unknown; result?: { receiveKey?: string } }
          if (keyCalls.delete(res.id) && typeof res.result?.receiveKey === 'string') {
            const k = res.result.receiveKey
            res.result.receiveKey = `${k[0] === '0' ? '1' : '0'}${k.slice(1)}`
            tamper.rewritten++
            ws.send(JSON.stringify(res))
            return
          }
        }
        ws.send(m)
      })
    })
  }
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.setDefaultTimeout(UI_WAIT_MS)
  await page.goto(server.launchUrl())
  await page.getByRole('heading', { name: 'Chats' }).waitFor()
  return { peer, server, context, page, errors }
}

async function openChat(w: Window, title: string): Promise<void> {
  await w.page.locator('.conv-title', { hasText: new RegExp(`^${title}$`) }).click()
  await w.page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }).waitFor()
}

/** Alice calls Bob from the chat header and Bob accepts; returns the call id once both are connected. */
async function callAndAccept(alice: Window, bob: Window): Promise<string> {
  const incoming = waitForEvent(bob.peer.client, 'call.incoming', () => true, UI_WAIT_MS)
  await alice.page.getByRole('button', { name: 'Call Bob' }).click()
  const { call } = await incoming
  const ringing = bob.page.getByRole('alertdialog', { name: 'Incoming call from Alice' })
  await ringing.waitFor()
  await ringing.getByRole('button', { name: 'Accept' }).click()
  return call.callId
}

/** Record `seconds` of the remote audio in the page (decoded samples of the remote track). */
async function recordRemote(page: Page, seconds: number): Promise<{ rate: number; samples: number[] }> {
  return page.evaluate(async (secs) => {
    const audio = document.querySelector('audio.call-audio') as HTMLAudioElement | null
    const stream = audio?.srcObject as MediaStream | null
    const track = stream?.getAudioTracks()[0]
    if (!track) throw new Error('no remote audio track in the page')
    const Processor = (
      globalThis as unknown as { MediaStreamTrackProcessor: new (i: object) => { readable: ReadableStream } }
    ).MediaStreamTrackProcessor
    const reader = new Processor({ track }).readable.getReader()
    const out: number[] = []
    let rate = 0
    while (rate === 0 || out.length < secs * rate) {
      const { value, done } = await reader.read()
      if (done) break
      const data = value as {
        sampleRate: number
        numberOfFrames: number
        copyTo(dest: Float32Array, o: object): void
        close(): void
      }
      rate = data.sampleRate
      const plane = new Float32Array(data.numberOfFrames)
      data.copyTo(plane, { planeIndex: 0, format: 'f32-planar' })
      data.close()
      for (const s of plane) out.push(s)
    }
    await reader.cancel()
    return { rate, samples: out }
  }, seconds)
}

describe('desktop calls: two pages, two daemons, real WebRTC audio with frame encryption', () => {
  let browser: Browser
  let alice: Window
  let bob: Window
  let dir = ''
  let source: Float32Array
  const tamper: KeyTamper = { on: false, rewritten: 0 }

  before(async () => {
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    dir = await mkdtemp(join(tmpdir(), 'wren-desktop-calls-'))
    source = sweepSignal('desktop-calls', SOURCE_SECONDS, RATE)
    const wav = join(dir, 'sweeps.wav')
    await writeFile(wav, wavFile(source, RATE))
    await buildDesktop()
    browser = await chromium.launch({
      executablePath: findChromium()!,
      headless: true,
      timeout: 30_000,
      args: [
        ...CHROMIUM_FLAGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wav}%noloop`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    })
    const pair = await startPair()
    alice = await openWindow(browser, pair.alice)
    bob = await openWindow(browser, pair.bob, tamper)
    await openChat(alice, 'Bob')
  })

  after(async () => {
    for (const w of [alice, bob]) if (w) await w.context.close().catch(() => {})
    await browser?.close()
    await Promise.allSettled([alice?.server.close(), bob?.server.close()])
    await Promise.allSettled([alice?.peer.stop(), bob?.peer.stop()])
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('alice calls bob, bob accepts: both connect directly and bob hears alice’s audio (correlation ≥ 0.8)', async () => {
    const callId = await callAndAccept(alice, bob)
    for (const w of [alice, bob]) {
      await w.page.locator('.call-screen[data-call-state=connected]').waitFor()
      await w.page.locator('.call-path[data-path=direct]').waitFor()
    }
    const calls = await alice.peer.client.call('calls.list', {})
    assert.equal(calls.calls.find((c) => c.callId === callId)?.state, 'connected')
    await new Promise((r) => setTimeout(r, SETTLE_MS))
    const recorded = await recordRemote(bob.page, RECORD_SECONDS)
    // every frame went through the call worker and opened with the call's key
    const screen = bob.page.locator('.call-screen')
    const opened = Number(await screen.getAttribute('data-frames-opened'))
    const failed = await screen.getAttribute('data-frames-failed')
    await bob.page.screenshot({ path: join(ARTIFACTS, '01-bob-in-call.png') })

    // mute is local: the button says so, and bob hears silence
    await alice.page.getByRole('button', { name: 'Mute' }).click()
    await alice.page.getByRole('button', { name: 'Unmute' }).waitFor()
    await new Promise((r) => setTimeout(r, MUTE_SETTLE_MS))
    const muted = await recordRemote(bob.page, MUTE_RECORD_SECONDS)
    const mutedPeak = muted.samples.reduce((m, x) => Math.max(m, Math.abs(x)), 0)

    const bobEnded = waitForEvent(
      bob.peer.client,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'ended',
      UI_WAIT_MS,
    )
    await alice.page.getByRole('button', { name: 'Hang up' }).click()
    assert.equal((await bobEnded).call.endReason, 'hangup')
    for (const w of [alice, bob]) await w.page.locator('.call-screen').waitFor({ state: 'detached' })
    assert.deepEqual([...alice.errors, ...bob.errors], [])

    assert.ok(opened > 0, 'bob opened sealed frames')
    assert.equal(failed, '0')
    assert.equal(recorded.rate, RATE, 'the remote track is decoded at 48 kHz')
    const match = matchRecording(source, Float32Array.from(recorded.samples), BLOCK_SAMPLES, DRIFT_SAMPLES)
    const sorted = [...match.blocks].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0
    const ms = (samples: number) => ((samples / RATE) * 1000).toFixed(1)
    process.stdout.write(
      `# received audio: ${(match.lag / RATE).toFixed(3)} s into the source; correlation over all ${RECORD_SECONDS} s at one lag ${match.correlation.toFixed(3)}; per ${ms(BLOCK_SAMPLES)} ms block ${match.blocks.map((c) => c.toFixed(3)).join(' ')} (median ${median.toFixed(3)}); block shifts ${match.shifts.map(ms).join(' ')} ms; peak while muted ${mutedPeak.toFixed(4)}\n`,
    )
    assert.ok(median >= MIN_CORRELATION, `median block correlation ${median.toFixed(3)} ≥ ${MIN_CORRELATION}`)
    assert.ok(mutedPeak < MUTED_PEAK, `muted audio peaks at ${mutedPeak} (< ${MUTED_PEAK})`)
  })

  test('a wrong media key in bob’s page: his frames do not decrypt, the call ends failed-decrypt on both sides, nothing crashes', async () => {
    tamper.on = true
    const aliceEnded = waitForEvent(
      alice.peer.client,
      'call.state',
      (p) => p.call.state === 'ended',
      UI_WAIT_MS * 2,
    )
    const callId = await callAndAccept(alice, bob)
    const ended = await aliceEnded
    assert.equal(ended.call.callId, callId)
    assert.equal(ended.call.endReason, 'failed-decrypt')
    assert.equal(tamper.rewritten, 1, 'bob’s page got one tampered key')
    const screen = bob.page.locator('.call-screen[data-call-state=ended][data-end-reason=failed-decrypt]')
    await screen.waitFor()
    assert.match(await screen.innerText(), /did not decrypt/)
    await bob.page.screenshot({ path: join(ARTIFACTS, '02-bob-failed-decrypt.png') })
    await alice.page.locator('.call-screen[data-end-reason=failed-decrypt]').waitFor()
    tamper.on = false
    // both pages and daemons carry on
    assert.deepEqual([...alice.errors, ...bob.errors], [])
    for (const w of [alice, bob]) {
      await w.page.getByRole('button', { name: 'Close' }).click()
      await w.page.locator('.call-screen').waitFor({ state: 'detached' })
      assert.equal((await w.peer.client.call('node.status', {})).unlocked, true)
    }
  })

  test('a microphone permission refused: alice is told how to allow it, and bob’s device never rings', async () => {
    // a browser without the fake permission prompt: headless Chromium refuses the microphone
    const strict = await chromium.launch({
      executablePath: findChromium()!,
      headless: true,
      timeout: 30_000,
      args: [...CHROMIUM_FLAGS, '--use-fake-device-for-media-stream'],
    })
    try {
      const refused = await openWindow(strict, alice.peer)
      await openChat(refused, 'Bob')
      const before = (await bob.peer.client.call('calls.list', {})).calls.length
      await refused.page.getByRole('button', { name: 'Call Bob' }).click()
      const screen = refused.page.locator('.call-screen[data-call-state=ended]')
      await screen.waitFor()
      assert.match(await screen.getByRole('alert').innerText(), /may not use your microphone\. Allow it/)
      await refused.page.screenshot({ path: join(ARTIFACTS, '03-microphone-refused.png') })
      await refused.page.getByRole('button', { name: 'Close' }).click()
      await screen.waitFor({ state: 'detached' })
      assert.equal((await alice.peer.client.call('calls.list', {})).calls[0]?.state, 'ended', 'no live call')
      assert.equal((await bob.peer.client.call('calls.list', {})).calls.length, before, 'bob has no new call')
      assert.deepEqual(refused.errors, [])
      await refused.context.close()
      await refused.server.close()
    } finally {
      await strict.close()
    }
  })
})

/**
 * npm run bench:voice — voice call figures (issue 15), printed and written to docs/bench/voice.json
 * as [{ name, unit, value, goal, load }] (load: the 1-minute load average when the figure was
 * taken; this machine is shared). Real daemons (child processes), a real relay running Debian's
 * coturn on loopback, and two desktop pages in headless Chromium with a fake microphone:
 *   - calls.start → callee call.incoming, p95 over SETUP_CALLS calls (goal ≤ 1.5 s; RPC only)
 *   - accept → first audible audio at the callee, direct on loopback (≤ 500 ms) and via TURN (≤ 1 s)
 *   - tap-to-tap latency: the caller's microphone track vs the callee's remote track, aligned by
 *     cross-correlation on wall-clock time (≤ 60 ms on loopback)
 *   - CPU per call over CPU_WINDOW_MS of a connected call (idle background included; the idle
 *     window before the call is printed): each daemon (≤ 2 % of a core) and the renderer (≤ 10 %,
 *     per page: Chromium's renderer processes / 2)
 *   - with 5 % of each sender's packets dropped (a UDP proxy in front of coturn, relay calls
 *     only): concealed samples while recording (≤ 3 %) and the received audio's median block correlation
 * `--quick` runs fewer calls.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { matchRecording, sweepSignal, wavFile } from '../../test/fixtures/audio-signal.ts'
import {
  type CallWindow,
  callAndAccept,
  closeWindows,
  launchCallBrowser,
  openChat,
  openWindow,
  UI_WAIT_MS,
} from '../../test/fixtures/call-pages.ts'
import { type ChatPeer, startPair, waitForEvent } from '../../test/fixtures/chat.ts'
import { freePort } from '../../test/fixtures/free-port.ts'
import { startTestRelay } from '../../test/fixtures/relay.ts'
import { startUdpLossProxy } from '../../test/fixtures/udp-loss-proxy.ts'
import { buildDesktop } from '../build.ts'
import {
  armFirstAudio,
  firstAudioMs,
  jitterBufferMs,
  PROBE_INIT_SCRIPT,
  receiveStats,
  recordTrack,
} from './voice-probes.ts'

const OUT = join(import.meta.dirname, '../../docs/bench/voice.json')
const QUICK = process.argv.includes('--quick')
/** Calls rung (and hung up) for the set-up latency. */
const SETUP_CALLS = QUICK ? 8 : 20
/** Page calls per path; the median is reported. */
const RUNS = QUICK ? 1 : 3
const RATE = 48_000
/**
 * Fake microphone length: Chromium plays the file once from the first capture on (a new call
 * does not restart it), so it must outlast the whole benchmark (~3 min; after its end the
 * microphone is silent and nothing correlates).
 */
const SOURCE_SECONDS = 600
const SETTLE_MS = 2_000
const RECORD_SECONDS = 4
const CPU_WINDOW_MS = 8_000
const BLOCK_SAMPLES = RATE / 4
const DRIFT_SAMPLES = (RATE * 60) / 1000
const LOSS_RATE = 0.05
/** How much earlier the caller's microphone is recorded than the callee's speaker: above any latency. */
const MIC_LEAD_MS = 500
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100

interface Row {
  name: string
  unit: string
  value: number
  goal: number
  load: number
}
const rows: Row[] = []
const load = () => Math.round(loadavg()[0]! * 100) / 100
const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1] ?? Number.NaN
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
function row(name: string, unit: string, value: number, goal: number): void {
  rows.push({ name, unit, value, goal, load: load() })
  process.stdout.write(`${name}: ${value} ${unit} (goal ${goal}; load ${load()})\n`)
}

async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ
}

const dir = await mkdtemp(join(tmpdir(), 'wren-bench-voice-'))
const source = sweepSignal('bench-voice', SOURCE_SECONDS, RATE)
const wav = join(dir, 'sweeps.wav')
await writeFile(wav, wavFile(source, RATE))
await buildDesktop()
const turnPort = await freePort()
const proxy = await startUdpLossProxy('127.0.0.1', turnPort, 'bench-voice')
const relay = await startTestRelay({
  config: {
    logLevel: 'warn',
    turn: {
      enabled: true,
      listenIp: '127.0.0.1',
      port: turnPort,
      allowLoopbackPeers: true,
      urls: [`turn:127.0.0.1:${proxy.port}?transport=udp`],
    },
  },
})
const relayAddr = relay.multiaddrs.find((a) => !a.toString().includes('/ws'))!.toString()
const { alice: a, bob: b } = await startPair(['--relay', relayAddr])
const browser = await launchCallBrowser(wav)
let alice: CallWindow | undefined
let bob: CallWindow | undefined

async function setupLatency(caller: ChatPeer, callee: ChatPeer): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < SETUP_CALLS; i++) {
    const incoming = waitForEvent(callee.client, 'call.incoming', () => true, UI_WAIT_MS)
    const t0 = performance.now()
    const { callId } = await caller.client.call('calls.start', { contactId: callee.userId })
    await incoming
    out.push(performance.now() - t0)
    const ended = waitForEvent(
      callee.client,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'ended',
    )
    await caller.client.call('calls.hangup', { callId })
    await ended
  }
  return out
}

interface CallFigures {
  firstAudioMs: number
  latencyMs: number
  correlation: number
  concealedPct: number
  daemonCpuPct: number[]
  rendererCpuPct: number
}

async function rendererCpu(): Promise<number> {
  const cdp = await browser.newBrowserCDPSession()
  const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; cpuTime: number }[]
  }
  await cdp.detach()
  return info.processInfo.filter((p) => p.type === 'renderer').reduce((s, p) => s + p.cpuTime, 0)
}

async function cpuWindow(): Promise<{ daemons: number[]; renderer: number }> {
  const before = {
    d: await Promise.all([a.daemon.pid, b.daemon.pid].map(cpuSeconds)),
    r: await rendererCpu(),
  }
  await sleep(CPU_WINDOW_MS)
  const after = { d: await Promise.all([a.daemon.pid, b.daemon.pid].map(cpuSeconds)), r: await rendererCpu() }
  const pct = (s: number) => (s / (CPU_WINDOW_MS / 1000)) * 100
  return { daemons: after.d.map((x, i) => pct(x - before.d[i]!)), renderer: pct(after.r - before.r) / 2 }
}

async function oneCall(caller: CallWindow, callee: CallWindow, measureCpu: boolean): Promise<CallFigures> {
  for (const w of [caller, callee]) await w.page.locator('.call-screen').waitFor({ state: 'detached' })
  const idle = measureCpu ? await cpuWindow() : null
  await armFirstAudio(callee.page)
  const callId = await callAndAccept(caller, callee)
  for (const w of [caller, callee]) await w.page.locator('.call-screen[data-call-state=connected]').waitFor()
  let first: number | null = null
  const deadline = Date.now() + UI_WAIT_MS
  while (first === null && Date.now() < deadline) {
    first = await firstAudioMs(callee.page)
    if (first === null) await sleep(20)
  }
  await sleep(SETTLE_MS)
  const before = await receiveStats(callee.page)
  // the microphone's recording starts MIC_LEAD_MS earlier: what the callee hears first was said before
  const micRecording = recordTrack(caller.page, 'mic', RECORD_SECONDS + (2 * MIC_LEAD_MS) / 1000)
  await sleep(MIC_LEAD_MS)
  const [mic, heard] = await Promise.all([micRecording, recordTrack(callee.page, 'remote', RECORD_SECONDS)])
  const busy = measureCpu ? await cpuWindow() : null
  const after = await receiveStats(callee.page)
  // concealment while recording (the start of a call conceals until the first packets)
  const stats = {
    concealed: after.concealed - before.concealed,
    total: after.total - before.total,
    lost: after.lost - before.lost,
  }
  // the share of the latency that is Chromium's adaptive jitter buffer (mean over the recording)
  const jitterBuffer = jitterBufferMs(before, after)
  const ended = waitForEvent(
    callee.peer.client,
    'call.state',
    (p) => p.call.callId === callId && p.call.state === 'ended',
  )
  await caller.page.getByRole('button', { name: 'Hang up' }).click()
  await ended
  // latency: where the callee's recording sits in the caller's microphone, on wall-clock time
  const m = matchRecording(
    Float32Array.from(mic.samples),
    Float32Array.from(heard.samples),
    BLOCK_SAMPLES,
    DRIFT_SAMPLES,
  )
  const shift = median(m.shifts)
  const latencyMs = heard.t0 - (mic.t0 + ((m.lag + shift) / mic.rate) * 1000)
  process.stdout.write(
    `# call: mic↔heard correlation ${m.correlation.toFixed(3)} (median block ${median(m.blocks).toFixed(3)}), latency ${latencyMs.toFixed(1)} ms (jitter buffer ${jitterBuffer.toFixed(1)} ms of it), concealed ${stats.concealed}/${stats.total}, lost ${stats.lost}${idle && busy ? `, cpu idle ${JSON.stringify(idle)} busy ${JSON.stringify(busy)}` : ''}\n`,
  )
  // the correlation against the source file, as the tests measure it
  const s = matchRecording(source, Float32Array.from(heard.samples), BLOCK_SAMPLES, DRIFT_SAMPLES)
  return {
    firstAudioMs: first ?? Number.NaN,
    latencyMs,
    correlation: median(s.blocks),
    concealedPct: stats.total > 0 ? (stats.concealed / stats.total) * 100 : Number.NaN,
    daemonCpuPct: busy?.daemons ?? [],
    rendererCpuPct: busy?.renderer ?? Number.NaN,
  }
}

async function runs(relayOnly: boolean, lossRate: number, measureCpu: boolean): Promise<CallFigures[]> {
  for (const p of [a, b]) await p.client.call('calls.settings', { relayOnly })
  await proxy.setLoss(lossRate)
  const out: CallFigures[] = []
  for (let i = 0; i < RUNS; i++) out.push(await oneCall(alice!, bob!, measureCpu))
  await proxy.setLoss(0)
  return out
}

try {
  const setup = await setupLatency(a, b)
  row(`calls.start → callee call.incoming, p95 of ${SETUP_CALLS}`, 'ms', round(p95(setup)), 1500)
  alice = await openWindow(browser, a, undefined, PROBE_INIT_SCRIPT)
  bob = await openWindow(browser, b, undefined, PROBE_INIT_SCRIPT)
  await openChat(alice, 'Bob')

  const direct = await runs(false, 0, true)
  row(
    `accept → first audio, loopback (median of ${RUNS})`,
    'ms',
    round(median(direct.map((f) => f.firstAudioMs))),
    500,
  )
  row(
    `tap-to-tap audio latency, loopback (median of ${RUNS})`,
    'ms',
    round(median(direct.map((f) => f.latencyMs))),
    60,
  )
  row(
    'CPU per call: daemon (each, median)',
    '% of a core',
    round(median(direct.flatMap((f) => f.daemonCpuPct)), 2),
    2,
  )
  row(
    'CPU per call: renderer (per page, median)',
    '% of a core',
    round(median(direct.map((f) => f.rendererCpuPct))),
    10,
  )
  row('concealed samples, loopback (median)', '%', round(median(direct.map((f) => f.concealedPct)), 2), 3)
  row(
    'received audio correlation, loopback (median)',
    'r',
    round(median(direct.map((f) => f.correlation)), 3),
    0.8,
  )

  const turn = await runs(true, 0, false)
  row(
    `accept → first audio, via TURN (median of ${RUNS})`,
    'ms',
    round(median(turn.map((f) => f.firstAudioMs))),
    1000,
  )
  row(
    `tap-to-tap audio latency, via TURN (median of ${RUNS})`,
    'ms',
    round(median(turn.map((f) => f.latencyMs))),
    60,
  )

  const lossy = await runs(true, LOSS_RATE, false)
  const counts = await proxy.setLoss(0)
  row(
    `concealed samples at ${LOSS_RATE * 100} % loss, via TURN (median)`,
    '%',
    round(median(lossy.map((f) => f.concealedPct)), 2),
    3,
  )
  row(
    `received audio correlation at ${LOSS_RATE * 100} % loss (median)`,
    'r',
    round(median(lossy.map((f) => f.correlation)), 3),
    0.8,
  )
  process.stdout.write(
    `# loss proxy dropped ${counts.dropped} of ${counts.dropped + counts.forwarded} packets in all\n`,
  )
  await writeFile(OUT, `${JSON.stringify(rows, null, 2)}\n`)
  process.stdout.write(`wrote ${OUT}\n`)
} finally {
  await closeWindows([alice, bob])
  await browser.close()
  await Promise.allSettled([a.stop(), b.stop()])
  await relay.stop()
  await proxy.close()
  await rm(dir, { recursive: true, force: true })
}

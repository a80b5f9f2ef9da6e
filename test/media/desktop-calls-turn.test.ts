/**
 * A call through TURN on a Wren relay (issue 15, "NAT"): a real relay runs Debian's coturn on
 * loopback beside itself; two real daemons use it as their relay and have "relay calls only" on.
 * When Alice calls Bob from the desktop page, each daemon asks the relay for TURN credentials
 * over /wren/turn/1.0.0 and hands its page the ICE servers (calls.iceServers); the pages run
 * iceTransportPolicy 'relay', so the call connects through coturn (getStats: the selected pair
 * is relay/relay on both sides), every ICE candidate that crossed to the other side is a relay
 * candidate (neither learns the other's addresses), and Bob hears Alice's audio (median block
 * correlation ≥ 0.8, as in test/media/desktop-calls.test.ts).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { buildDesktop } from '../../desktop/build.ts'
import type { EventPayload } from '../../node/src/rpc/api.ts'
import { matchRecording, sweepSignal, wavFile } from '../fixtures/audio-signal.ts'
import {
  type CallWindow,
  callAndAccept,
  closeWindows,
  launchCallBrowser,
  openChat,
  openWindow,
  recordRemote,
  UI_WAIT_MS,
} from '../fixtures/call-pages.ts'
import { startPair, waitForEvent } from '../fixtures/chat.ts'
import { freePort } from '../fixtures/free-port.ts'
import { startTestRelay, type TestRelay } from '../fixtures/relay.ts'

const RATE = 48_000
const SOURCE_SECONDS = 60
/** Recorded at Bob after the media connected, after the jitter buffer settled (as desktop-calls). */
const RECORD_SECONDS = 4
/**
 * Wait between "connected" and the recording. Through TURN, on a loaded machine (a fresh-clone CI
 * run with two test files at once), Alice's audio reached Bob's page ~2.5 s later than on
 * loopback: the first ten 250 ms blocks of a recording started after 3 s held no signal
 * (correlation ≤ 0.33), the rest 0.83–0.97. 6 s leaves that start-up out of the recording.
 */
const SETTLE_MS = 6_000
const BLOCK_SAMPLES = RATE / 4
const DRIFT_SAMPLES = (RATE * 60) / 1000
const MIN_CORRELATION = 0.8

/** The candidate types ("typ host", "typ relay"…) in a signal's SDP or ICE candidate. */
function candidateTypes(signal: EventPayload<'call.signal'>['signal']): string[] {
  return [...signal.data.matchAll(/ typ ([a-z]+)/g)].map((m) => m[1] as string)
}

describe('desktop calls through TURN on a Wren relay (relay calls only)', () => {
  let browser: Browser
  let relay: TestRelay
  let alice: CallWindow
  let bob: CallWindow
  let dir = ''
  let source: Float32Array
  const received: Record<'alice' | 'bob', string[]> = { alice: [], bob: [] }
  const offs: Array<() => void> = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-calls-turn-'))
    source = sweepSignal('desktop-calls-turn', SOURCE_SECONDS, RATE)
    const wav = join(dir, 'sweeps.wav')
    await writeFile(wav, wavFile(source, RATE))
    await buildDesktop()
    relay = await startTestRelay({
      config: {
        turn: { enabled: true, listenIp: '127.0.0.1', port: await freePort(), allowLoopbackPeers: true },
      },
    })
    const relayAddr = relay.multiaddrs.find((a) => !a.toString().includes('/ws'))?.toString() ?? ''
    const pair = await startPair(['--relay', relayAddr])
    for (const [name, peer] of [
      ['alice', pair.alice],
      ['bob', pair.bob],
    ] as const) {
      assert.deepEqual(await peer.client.call('calls.settings', { relayOnly: true }), { relayOnly: true })
      offs.push(
        await peer.client.on('call.signal', ({ signal }) => {
          received[name].push(...candidateTypes(signal))
        }),
      )
    }
    browser = await launchCallBrowser(wav)
    alice = await openWindow(browser, pair.alice)
    bob = await openWindow(browser, pair.bob)
    await openChat(alice, 'Bob')
  })

  after(async () => {
    for (const off of offs) off()
    await closeWindows([alice, bob])
    await browser?.close()
    await Promise.allSettled([alice?.peer.stop(), bob?.peer.stop()])
    await relay?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('the call connects through coturn (relay/relay candidates), no host address crosses, and bob hears alice (correlation ≥ 0.8)', async () => {
    const ice = await alice.peer.client.call('calls.iceServers', {})
    assert.equal(ice.relayOnly, true)
    assert.equal(ice.iceServers.length, 1, 'one TURN server: the relay’s')
    assert.match(ice.iceServers[0]?.username ?? '', /^\d+:12D3KooW/)

    const callId = await callAndAccept(alice, bob)
    for (const w of [alice, bob]) {
      await w.page.locator('.call-screen[data-call-state=connected]').waitFor()
      await w.page.locator('.call-path[data-path=relay][data-candidates="relay/relay"]').waitFor()
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS))
    const recorded = await recordRemote(bob.page, RECORD_SECONDS)
    const bobEnded = waitForEvent(
      bob.peer.client,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'ended',
      UI_WAIT_MS,
    )
    await alice.page.getByRole('button', { name: 'Hang up' }).click()
    assert.equal((await bobEnded).call.endReason, 'hangup')
    assert.deepEqual([...alice.errors, ...bob.errors], [])

    for (const side of ['alice', 'bob'] as const) {
      assert.ok(received[side].length > 0, `${side} received candidates`)
      assert.deepEqual([...new Set(received[side])], ['relay'], `${side} saw only relay candidates`)
    }
    const match = matchRecording(source, Float32Array.from(recorded.samples), BLOCK_SAMPLES, DRIFT_SAMPLES)
    const sorted = [...match.blocks].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0
    process.stdout.write(
      `# via TURN: per 250 ms block ${match.blocks.map((c) => c.toFixed(3)).join(' ')} (median ${median.toFixed(3)})\n`,
    )
    assert.ok(median >= MIN_CORRELATION, `median block correlation ${median.toFixed(3)} ≥ ${MIN_CORRELATION}`)
  })
})

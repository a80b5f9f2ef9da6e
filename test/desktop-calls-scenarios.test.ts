/**
 * The call scenarios that end before any audio flows, in the desktop page: three real daemons
 * (child processes) with a relay for mailboxes and a short ring timeout, and Alice's and Bob's
 * pages in a headless Chromium with a fake microphone. Bob declines; Alice hangs up while it
 * rings; Carol (over RPC) is in a call with Bob when Alice calls (busy); nobody answers
 * (timeout); Bob is offline, and back he finds a missed call in the chat. Each ends with the
 * right call.state reason on both daemons and the right words on both screens. Bob's page counts
 * the ringtone's oscillators (an init script wraps AudioContext) to show it rings and stops.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { sweepSignal, wavFile } from './fixtures/audio-signal.ts'
import {
  type CallWindow,
  closeWindows,
  launchCallBrowser,
  openChat,
  openWindow,
  UI_WAIT_MS,
} from './fixtures/call-pages.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'

/** The daemons' ring timeout, in ms: long enough to click Accept or Decline on a loaded machine. */
const RING_MS = 8_000
/** Bound on a ring timeout playing out on both sides: the timeout plus delivery of the end. */
const TIMEOUT_WAIT_MS = RING_MS + UI_WAIT_MS
const RATE = 48_000
const SOURCE_SECONDS = 5

/** Counts the ringtone's oscillators and closed audio contexts in the page. */
const RING_PROBE = `(() => {
  const probe = { oscillators: 0, closed: 0 }
  globalThis.__ring = probe
  const osc = AudioContext.prototype.createOscillator
  AudioContext.prototype.createOscillator = function () { probe.oscillators++; return osc.call(this) }
  const close = AudioContext.prototype.close
  AudioContext.prototype.close = function () { probe.closed++; return close.call(this) }
})()`

type Probe = { oscillators: number; closed: number }
const ringProbe = (w: CallWindow) =>
  w.page.evaluate(() => (globalThis as unknown as { __ring: Probe }).__ring)

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

const ended = (client: WrenClient, callId: () => string | undefined, timeoutMs = UI_WAIT_MS) =>
  waitForEvent(client, 'call.state', (p) => p.call.callId === callId() && p.call.state === 'ended', timeoutMs)

/** The next outgoing call to `peer` that ends (whatever its id). */
const outgoingEnded = (client: WrenClient, peer: string, timeoutMs: number) =>
  waitForEvent(
    client,
    'call.state',
    (p) => p.call.peerUserId === peer && p.call.direction === 'outgoing' && p.call.state === 'ended',
    timeoutMs,
  )

/** The call screen of `w` ended with `reason`, saying `words`. */
async function screenEnded(w: CallWindow, reason: string, words: string, timeoutMs = UI_WAIT_MS) {
  const screen = w.page.locator(`.call-screen[data-call-state=ended][data-end-reason=${reason}]`)
  await screen.waitFor({ timeout: timeoutMs })
  assert.equal(await screen.locator('.call-status').innerText(), words)
}

/** Close an ended call screen (or let it go by itself), so the chat header is clickable again. */
async function clearScreen(w: CallWindow) {
  const close = w.page.locator('.call-screen').getByRole('button', { name: 'Close' })
  if (await close.isVisible()) await close.click().catch(() => {})
  await w.page.locator('.call-screen').waitFor({ state: 'detached' })
}

describe('desktop calls that end before audio: decline, hang-up while ringing, busy, timeout, offline', () => {
  let browser: Browser
  let relay: TestRelay
  let alice: ChatPeer
  let bob: ChatPeer
  let carol: ChatPeer
  let bobAgain: SpawnedDaemon | undefined
  let aliceWin: CallWindow
  let bobWin: CallWindow
  let bobWin2: CallWindow | undefined
  let dir = ''
  let args: string[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-desktop-call-scenarios-'))
    const wav = join(dir, 'sweeps.wav')
    await writeFile(wav, wavFile(sweepSignal('desktop-call-scenarios', SOURCE_SECONDS, RATE), RATE))
    await buildDesktop()
    browser = await launchCallBrowser(wav)
    relay = await startTestRelay()
    const base = ['--relay', relayAddr(relay), '--mailbox-fetch-ms', '1000', '--retry-max-ms', '2000']
    base.push('--call-ring-ms', String(RING_MS))
    alice = await startPeer('Alice', { args: base })
    args = [...base, ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
    bob = await startPeer('Bob', { args })
    carol = await startPeer('Carol', { args })
    const peers = [alice, bob, carol]
    const cards = new Map<ChatPeer, string>()
    for (const p of peers) cards.set(p, (await p.client.call('identity.get', {})).card)
    for (const p of peers)
      for (const q of peers) if (p !== q) await p.client.call('contacts.add', { card: cards.get(q)! })
    for (const p of [alice, bob])
      await eventually('mailbox registered and bundle published', async () => {
        const status = await p.client.call('node.status', {})
        return status.mailboxes === 1 && status.bundlePublished ? true : undefined
      })
    aliceWin = await openWindow(browser, alice)
    bobWin = await openWindow(browser, bob, undefined, RING_PROBE)
    await openChat(aliceWin, 'Bob')
  })

  after(async () => {
    await closeWindows([aliceWin, bobWin, bobWin2])
    await browser?.close()
    await bobAgain?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop(), carol?.stop()])
    await relay?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** Alice calls Bob from the chat header; resolves when Bob's page rings. */
  async function ringBob(): Promise<string> {
    const incoming = waitForEvent(
      bob.client,
      'call.incoming',
      (p) => p.call.peerUserId === alice.userId,
      UI_WAIT_MS,
    )
    await aliceWin.page.getByRole('button', { name: 'Call Bob' }).click()
    const { call } = await incoming
    await bobWin.page.getByRole('alertdialog', { name: 'Incoming call from Alice' }).waitFor()
    return call.callId
  }

  test('bob declines: both end declined; the ringtone rang and stopped', async () => {
    let callId: string | undefined
    const aliceEnd = ended(alice.client, () => callId)
    callId = await ringBob()
    await bobWin.page.locator('.call-screen[data-ringtone=on]').waitFor()
    const ringing = await ringProbe(bobWin)
    assert.ok(ringing.oscillators >= 2, `the ringtone scheduled its tones (${ringing.oscillators})`)
    await bobWin.page.getByRole('button', { name: 'Decline' }).click()
    assert.equal((await aliceEnd).call.endReason, 'declined')
    await screenEnded(aliceWin, 'declined', 'Call declined')
    await screenEnded(bobWin, 'declined', 'You declined the call')
    await bobWin.page.locator('.call-screen[data-ringtone=off]').waitFor()
    const stopped = await ringProbe(bobWin)
    assert.equal(stopped.closed, 1, 'the ringtone’s audio context is closed')
    const atBob = (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
    assert.equal(atBob?.endReason, 'declined')
    await Promise.all([clearScreen(aliceWin), clearScreen(bobWin)])
    assert.deepEqual([...aliceWin.errors, ...bobWin.errors], [])
  })

  test('alice hangs up while it rings: both end hangup, bob’s ringtone stops', async () => {
    let callId: string | undefined
    const bobEnd = ended(bob.client, () => callId)
    callId = await ringBob()
    await aliceWin.page.locator('.call-screen[data-call-state=ringing]').getByText('Ringing…').waitFor()
    await aliceWin.page.getByRole('button', { name: 'Hang up' }).click()
    assert.equal((await bobEnd).call.endReason, 'hangup')
    await screenEnded(bobWin, 'hangup', 'Call ended')
    await bobWin.page.locator('.call-screen[data-ringtone=off]').waitFor()
    assert.equal((await ringProbe(bobWin)).closed, 2)
    const atAlice = (await alice.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
    assert.equal(atAlice?.endReason, 'hangup')
    await Promise.all([clearScreen(aliceWin), clearScreen(bobWin)])
  })

  test('busy: bob is in a call with carol when alice calls; alice ends busy, bob keeps his call', async () => {
    const fromCarol = waitForEvent(bob.client, 'call.incoming', (p) => p.call.peerUserId === carol.userId)
    const carolCall = await carol.client.call('calls.start', { contactId: bob.userId })
    await fromCarol
    const ringing = bobWin.page.getByRole('alertdialog', { name: 'Incoming call from Carol' })
    await ringing.getByRole('button', { name: 'Accept' }).click()
    await bobWin.page.locator('.call-screen[data-call-state=connecting]').waitFor()

    const rings: string[] = []
    const offRing = await bob.client.on('call.incoming', (p) => rings.push(p.call.peerUserId))
    // matched by peer, not id: the busy answer can come before the call id is read back
    const aliceEnd = outgoingEnded(alice.client, bob.userId, UI_WAIT_MS)
    await aliceWin.page.getByRole('button', { name: 'Call Bob' }).click()
    const { call } = await aliceEnd
    const callId = call.callId
    assert.equal(call.endReason, 'busy')
    await screenEnded(aliceWin, 'busy', 'They are in another call')
    const atBob = await eventually('the busy call in bob’s log', async () =>
      (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId && c.state === 'ended'),
    )
    assert.equal(atBob.endReason, 'busy')
    assert.equal(atBob.missed, true)
    offRing()
    assert.deepEqual(rings, [], 'bob’s device did not ring for alice')
    // bob's screen still shows his call with carol
    await bobWin.page.getByRole('dialog', { name: 'Call with Carol' }).waitFor()
    const bobEnd = ended(bob.client, () => carolCall.callId)
    await carol.client.call('calls.hangup', { callId: carolCall.callId })
    assert.equal((await bobEnd).call.endReason, 'hangup')
    await screenEnded(bobWin, 'hangup', 'Call ended')
    await Promise.all([clearScreen(aliceWin), clearScreen(bobWin)])
    assert.deepEqual([...aliceWin.errors, ...bobWin.errors], [])
  })

  test('nobody answers: after the ring timeout alice sees no answer, bob a missed call', async () => {
    let callId: string | undefined
    const aliceEnd = ended(alice.client, () => callId, TIMEOUT_WAIT_MS)
    const bobEnd = ended(bob.client, () => callId, TIMEOUT_WAIT_MS)
    const started = Date.now()
    callId = await ringBob()
    const bobScreen = screenEnded(bobWin, 'timeout', 'Missed call', TIMEOUT_WAIT_MS)
    const aliceScreen = screenEnded(aliceWin, 'timeout', 'No answer', TIMEOUT_WAIT_MS)
    assert.equal((await aliceEnd).call.endReason, 'timeout')
    assert.ok(Date.now() - started >= RING_MS - 100, 'ended by the ring timeout, not before')
    const atBob = await bobEnd
    assert.equal(atBob.call.endReason, 'timeout')
    assert.equal(atBob.call.missed, true)
    await Promise.all([bobScreen, aliceScreen])
    await bobWin.page.locator('.call-screen[data-ringtone=off]').waitFor()
    await Promise.all([clearScreen(aliceWin), clearScreen(bobWin)])
  })

  test('bob offline: alice sees no answer; back online bob finds a missed call in the chat, never a ring', async () => {
    await closeWindows([bobWin])
    await bob.daemon.stop()
    const aliceEnd = outgoingEnded(alice.client, bob.userId, TIMEOUT_WAIT_MS)
    await aliceWin.page.getByRole('button', { name: 'Call Bob' }).click()
    const { call } = await aliceEnd
    const callId = call.callId
    assert.equal(call.endReason, 'timeout')
    await screenEnded(aliceWin, 'timeout', 'No answer')

    bobAgain = await spawnDaemon({ home: bob.home, profile: bob.daemon.profile, keepHome: true, args })
    const client = bobAgain.client
    const rings: unknown[] = []
    const offRing = await client.on('call.incoming', (p) => rings.push(p))
    const missed = ended(client, () => callId, TIMEOUT_WAIT_MS)
    await client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const atBob = await missed
    assert.equal(atBob.call.missed, true)
    assert.equal(atBob.call.endReason, 'timeout')
    bobWin2 = await openWindow(browser, { ...bob, daemon: bobAgain, client })
    await openChat(bobWin2, 'Alice')
    const line = bobWin2.page.locator(`[data-message-id="${callId}"]`)
    assert.match(await line.innerText(), /Missed call/)
    assert.equal(await bobWin2.page.locator('.call-screen').count(), 0, 'nothing rings')
    assert.deepEqual(rings, [], 'the stale offer did not ring')
    offRing()
    assert.deepEqual([...aliceWin.errors, ...bobWin2.errors], [])
  })
})

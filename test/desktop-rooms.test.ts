/**
 * The desktop's "Ephemeral chat" screen, end to end (issue 19): two real daemons (child
 * processes) that are not contacts, a real relay (a child process: DHTs and the circuit), each
 * daemon with its own desktop server, and two isolated headless Chromium pages. Alice opens the
 * screen from the sidebar and creates a room; Bob types her code into his screen and joins; both
 * screens say connected; a line goes each way and shows as "me" on one page and "them" on the
 * other; Alice leaves and both screens say the room is closed. No page error. Screenshots go to
 * test-artifacts/desktop-rooms/.
 */
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, startPeer } from './fixtures/chat.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'

/** Bound on meeting: two slow hashes (~1 s each under load), a reservation, DHT rounds of 2 s. */
const MEET_TIMEOUT_MS = 60_000
/** Bound on each other UI wait: a line crossing the room, a leave reaching the other side. */
const UI_WAIT_MS = 20_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-rooms')
const FROM_ALICE = 'hello from the ephemeral room 41'
const FROM_BOB = 'heard you, nothing saved 58'

interface Window {
  peer: ChatPeer
  server: DesktopServer
  context: BrowserContext
  page: Page
  errors: string[]
}

async function openWindow(browser: Browser, peer: ChatPeer): Promise<Window> {
  const server = await startDesktopServer({
    token: peer.daemon.token,
    rpcUrl: `ws://127.0.0.1:${peer.daemon.rpcPort}/`,
  })
  const context = await browser.newContext({ viewport: { width: 1000, height: 720 } })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.setDefaultTimeout(UI_WAIT_MS)
  await page.goto(server.launchUrl())
  await page.getByRole('heading', { name: 'Chats' }).waitFor()
  return { peer, server, context, page, errors }
}

async function openRooms(w: Window): Promise<void> {
  await w.page.getByTitle(/^Ephemeral chat/).click()
  await w.page.getByRole('dialog', { name: 'Ephemeral chat' }).waitFor()
}

function state(w: Window, value: string) {
  return w.page.locator(`output.room-state[data-state="${value}"]`)
}

async function shot(w: Window, name: string): Promise<void> {
  await w.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })
}

describe('desktop ephemeral chat: two pages meet with a code through a relay', () => {
  let browser: Browser
  let relay: TestRelay
  let alice: Window
  let bob: Window

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    await buildDesktop()
    browser = await launchBrowser()
    relay = await startTestRelay({ mode: 'process' })
    const tcp = relay.multiaddrs.find((m) => m.toString().includes('/tcp/') && !m.toString().includes('/ws'))
    assert.ok(tcp, 'relay has a TCP address')
    const addr = tcp.toString().includes('/p2p/') ? tcp.toString() : `${tcp.toString()}/p2p/${relay.peerId}`
    const args = ['--relay', addr, '--no-mdns']
    alice = await openWindow(browser, await startPeer('Alice', { args }))
    bob = await openWindow(browser, await startPeer('Bob', { args }))
  })

  after(async () => {
    for (const w of [alice, bob]) if (w) await w.context.close().catch(() => {})
    await browser?.close()
    await Promise.allSettled([alice?.server.close(), bob?.server.close()])
    await Promise.allSettled([alice?.peer.stop(), bob?.peer.stop()])
    await relay?.stop()
  })

  test('alice creates a room, bob joins with its code, a line each way, alice leaves and both screens close', async () => {
    await openRooms(alice)
    await alice.page.getByRole('button', { name: 'New room' }).click()
    const code = (await alice.page.locator('[data-room-code]').innerText()).trim()
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    await state(alice, 'searching').waitFor()
    await shot(alice, 'alice-waiting')

    await openRooms(bob)
    await bob.page.getByRole('textbox', { name: 'Join with a code' }).fill(code.toLowerCase())
    await bob.page.getByRole('button', { name: 'Join' }).click()
    assert.equal((await bob.page.locator('[data-room-code]').innerText()).trim(), code)
    await Promise.all([
      state(alice, 'connected').waitFor({ timeout: MEET_TIMEOUT_MS }),
      state(bob, 'connected').waitFor({ timeout: MEET_TIMEOUT_MS }),
    ])

    const say = async (w: Window, text: string) => {
      await w.page.getByRole('textbox', { name: 'Message' }).fill(text)
      await w.page.getByRole('button', { name: 'Send' }).click()
    }
    const line = (w: Window, from: 'me' | 'them', text: string) =>
      w.page.getByRole('list', { name: 'Room messages' }).locator(`li.room-line.${from}`, { hasText: text })
    await say(alice, FROM_ALICE)
    await Promise.all([line(alice, 'me', FROM_ALICE).waitFor(), line(bob, 'them', FROM_ALICE).waitFor()])
    await say(bob, FROM_BOB)
    await Promise.all([line(bob, 'me', FROM_BOB).waitFor(), line(alice, 'them', FROM_BOB).waitFor()])
    await shot(bob, 'bob-connected')

    await alice.page.getByRole('button', { name: 'Leave' }).click()
    await Promise.all([state(alice, 'destroyed').waitFor(), state(bob, 'destroyed').waitFor()])
    for (const w of [alice, bob]) {
      await w.page.getByRole('button', { name: 'Start or join another room' }).waitFor()
      assert.equal(
        await w.page.getByRole('textbox', { name: 'Message' }).count(),
        0,
        'no send box once closed',
      )
    }
    await shot(bob, 'bob-closed')
    assert.deepEqual((await bob.peer.client.call('rooms.list', {})).rooms, [], 'the daemon holds no room')
    assert.deepEqual([...alice.errors, ...bob.errors], [], 'no page error')
  })
})

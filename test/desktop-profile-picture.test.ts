/**
 * Profile pictures in the desktop page, end to end: two real daemons, each with its own desktop
 * server, two headless Chromium pages. Alice picks a phone photo in Settings; her page scales it
 * and hands it to her daemon, which sends the 96 px picture to Bob; Bob's page shows it in place
 * of Alice's identicon (list and chat header), the same bytes his daemon holds; Alice removes it
 * and Bob's page shows the identicon again. Screenshots go to test-artifacts/desktop-profile-picture/.
 */
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, eventually, startPair } from './fixtures/chat.ts'
import { seededJpeg, withCameraMetadata } from './fixtures/jpeg.ts'

/** Bound on each UI wait, in ms: a picture crossing two daemons on a loaded 2-core machine. */
const UI_WAIT_MS = 30_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-profile-picture')

interface Window {
  peer: ChatPeer
  server: DesktopServer
  context: BrowserContext
  page: Page
  errors: string[]
}

async function openWindow(browser: Browser, peer: ChatPeer, title: string): Promise<Window> {
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
  await page.locator('.conv-title', { hasText: new RegExp(`^${title}$`) }).click()
  await page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }).waitFor()
  return { peer, server, context, page, errors }
}

describe('desktop profile picture: set on one page, shown on the other', () => {
  let browser: Browser
  let alice: Window
  let bob: Window

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    await buildDesktop()
    browser = await launchBrowser()
    const pair = await startPair()
    alice = await openWindow(browser, pair.alice, 'Bob')
    bob = await openWindow(browser, pair.bob, 'Alice')
  })

  after(async () => {
    for (const w of [alice, bob]) if (w) await w.context.close().catch(() => {})
    await browser?.close()
    await Promise.allSettled([alice?.server.close(), bob?.server.close()])
    await Promise.allSettled([alice?.peer.stop(), bob?.peer.stop()])
  })

  test('a photo chosen in Settings replaces the identicon on the contact’s page; removing it brings the identicon back', async () => {
    const header = bob.page.locator('.chat-head')
    await header.locator('svg.avatar-identicon').first().waitFor()

    await alice.page.getByRole('button', { name: 'Settings' }).click()
    const dialog = alice.page.getByRole('dialog', { name: 'Settings' })
    await dialog.locator('input[aria-label="Profile picture file"]').setInputFiles({
      name: 'phone-photo.jpg',
      mimeType: 'image/jpeg',
      buffer: withCameraMetadata(seededJpeg(1200, 900, 21), 6),
    })
    await dialog.locator('img.avatar-picture').waitFor()
    await alice.page.screenshot({ path: join(ARTIFACTS, 'alice-settings.png') })

    const shown = header.locator('img.avatar-picture').first()
    await shown.waitFor()
    await bob.page.locator('.conv-list img.avatar-picture').first().waitFor()
    const held = await eventually(
      "alice's picture at bob's daemon",
      async () =>
        (await bob.peer.client.call('contacts.picture', { userId: alice.peer.userId })).picture ?? undefined,
      UI_WAIT_MS,
    )
    assert.equal(await shown.getAttribute('src'), `data:image/jpeg;base64,${held.jpeg}`)
    await bob.page.waitForFunction(
      (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 96,
      await shown.elementHandle(),
    )
    await bob.page.screenshot({ path: join(ARTIFACTS, 'bob-sees-picture.png') })

    await dialog.getByRole('button', { name: 'Remove' }).click()
    await dialog.locator('svg.avatar-identicon').waitFor()
    await header.locator('svg.avatar-identicon').first().waitFor()
    assert.equal(await header.locator('img.avatar-picture').count(), 0)
    assert.equal(
      (await bob.peer.client.call('contacts.picture', { userId: alice.peer.userId })).picture,
      null,
    )
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })
})

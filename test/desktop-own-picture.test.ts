/**
 * Our profile picture on our own other device, in the desktop page: two real daemons of Alice
 * (the second linked to the first) and Bob's, one headless Chromium page on Alice's second
 * device with Settings open. A picture set on Alice's first device replaces the identicon in
 * the second device's Settings (live, from `contact.picture` with our own user id), the bytes
 * the second daemon holds; removed on the first device, the identicon is back. Screenshots go to
 * test-artifacts/desktop-own-picture/.
 */
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { seededJpeg } from './fixtures/jpeg.ts'

/** Bound on a link and on each UI wait, in ms, on a loaded 2-core machine. */
const WAIT_MS = 60_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-own-picture')

describe('desktop: our picture set on another of our devices', () => {
  let browser: Browser
  let alice: ChatPeer
  let bob: ChatPeer
  let second: SpawnedDaemon | undefined
  let server: DesktopServer | undefined
  let context: BrowserContext | undefined
  let page: Page
  const errors: string[] = []

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    await buildDesktop()
    browser = await launchBrowser()
    ;({ alice, bob } = await startPair())
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hello from bob')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hello from bob' })
    await atAlice
    second = await spawnDaemon({})
    const client = second.client
    const { code } = await client.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    const shown = waitForEvent(client, 'device.linkConfirm', (p) => p.role === 'new')
    const { confirmation } = await alice.client.call('devices.link', { code })
    await client.call('devices.confirm', { confirmation: (await shown).confirmation })
    await alice.client.call('devices.confirm', { confirmation })
    await eventually(
      'the linked node started',
      async () => client.call('devices.list', {}).catch(() => undefined),
      WAIT_MS,
    )
    server = await startDesktopServer({ token: second.token, rpcUrl: `ws://127.0.0.1:${second.rpcPort}/` })
    context = await browser.newContext({ viewport: { width: 1000, height: 720 } })
    page = await context.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    page.setDefaultTimeout(WAIT_MS)
    await page.goto(server.launchUrl())
    await page.locator('.conv-title', { hasText: /^Bob$/ }).waitFor()
  })

  after(async () => {
    await context?.close().catch(() => {})
    await browser?.close()
    await server?.close()
    await second?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('set on device 1, it shows in device 2’s Settings; removed, the identicon is back', async () => {
    assert.ok(second !== undefined)
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.locator('svg.avatar-identicon').first().waitFor()

    const { picture } = await alice.client.call('identity.setPicture', {
      image: seededJpeg(800, 600, 23).toString('base64'),
    })
    assert.ok(picture !== null)
    const img = dialog.locator('img.avatar-picture').first()
    await img.waitFor()
    const own = second.client
    const held = await eventually(
      'the picture at device 2',
      async () => (await own.call('identity.picture', {})).picture ?? undefined,
      WAIT_MS,
    )
    assert.equal(held.jpeg, picture.jpeg)
    assert.equal(await img.getAttribute('src'), `data:image/jpeg;base64,${held.jpeg}`)
    await page.screenshot({ path: join(ARTIFACTS, 'device-2-settings.png') })

    await alice.client.call('identity.setPicture', { remove: true })
    await dialog.locator('svg.avatar-identicon').first().waitFor()
    assert.equal(await dialog.locator('img.avatar-picture').count(), 0)
    assert.deepEqual(errors, [])
  })
})

/**
 * Settings › Devices in the desktop page, end to end (issue 18): Alice's daemon with its desktop
 * server and a headless Chromium page, and a fresh daemon that waits to be linked. In the page,
 * Alice pastes the new device's code, compares the number, types the one the new device shows and
 * sees the new device in her list; then she revokes it with the page's controls, the list shows
 * one device again and the new device is told (device.revoked). Bob pins the list that revokes it.
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

/** Bound on each UI wait, in ms: a link (handshake, history, list) on a loaded 2-core machine. */
const UI_WAIT_MS = 60_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-devices')

describe('desktop Devices settings: link a device and revoke it from the page', () => {
  let browser: Browser
  let alice: ChatPeer
  let bob: ChatPeer
  let server: DesktopServer | undefined
  let context: BrowserContext | undefined
  let page: Page
  let second: SpawnedDaemon | undefined
  const errors: string[] = []

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    await buildDesktop()
    browser = await launchBrowser()
    ;({ alice, bob } = await startPair())
    server = await startDesktopServer({
      token: alice.daemon.token,
      rpcUrl: `ws://127.0.0.1:${alice.daemon.rpcPort}/`,
    })
    context = await browser.newContext({ viewport: { width: 1000, height: 900 } })
    page = await context.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    page.setDefaultTimeout(UI_WAIT_MS)
    await page.goto(server.launchUrl())
    await page.getByRole('heading', { name: 'Chats' }).waitFor()
    second = await spawnDaemon({})
  })

  after(async () => {
    await context?.close().catch(() => {})
    await browser?.close()
    await server?.close()
    await second?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('link from the page: paste the code, compare the numbers, the new device is listed', async () => {
    assert.ok(second !== undefined)
    const client = second.client
    await page.getByRole('button', { name: 'Settings' }).click()
    const devices = page.getByRole('list', { name: 'Devices' })
    await devices.getByRole('listitem').first().waitFor()
    assert.deepEqual(
      await devices
        .getByRole('listitem')
        .allInnerTexts()
        .then((t) => t.map((s) => s.split(' ·')[0])),
      ['This device'],
    )
    const { code } = await client.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    const shown = waitForEvent(client, 'device.linkConfirm', (p) => p.role === 'new', UI_WAIT_MS)
    await page.getByRole('textbox', { name: /^Link a new device/ }).fill(code)
    await page.getByRole('button', { name: 'Link device' }).click()
    const onNew = await shown
    const ours = (await page.locator('.link-number').innerText()).trim()
    assert.match(ours, /^\d{6}$/)
    // the new device confirms with the number the page shows, the page with the new device's
    await client.call('devices.confirm', { confirmation: ours })
    await page.getByRole('textbox', { name: 'The number the new device shows' }).fill(onNew.confirmation)
    await page.getByRole('button', { name: 'Confirm' }).click()
    await page.getByRole('status').filter({ hasText: 'Linked.' }).waitFor()
    await eventually(
      'two devices in the page',
      async () => ((await devices.getByRole('listitem').count()) === 2 ? true : undefined),
      UI_WAIT_MS,
    )
    await page.screenshot({ path: join(ARTIFACTS, 'linked.png') })
    const own = await alice.client.call('devices.list', {})
    assert.equal(own.devices.length, 2)
    assert.equal(own.version, 2)
  })

  test('revoke from the page: asked first, then the list shows one device and the device is told', async () => {
    assert.ok(second !== undefined)
    const told = waitForEvent(second.client, 'device.revoked', () => true, UI_WAIT_MS)
    const devices = page.getByRole('list', { name: 'Devices' })
    const other = (await alice.client.call('devices.list', {})).devices.find((d) => !d.current)
    assert.ok(other !== undefined)
    await devices.getByRole('button', { name: 'Revoke…' }).click()
    await page.getByRole('button', { name: 'Keep' }).click()
    assert.equal(await page.getByRole('button', { name: /^Revoke [0-9a-f]{16}…$/ }).count(), 0)
    await devices.getByRole('button', { name: 'Revoke…' }).click()
    await page.getByRole('button', { name: `Revoke ${other.deviceId.slice(0, 16)}…` }).click()
    await eventually(
      'one device in the page',
      async () => ((await devices.getByRole('listitem').count()) === 1 ? true : undefined),
      UI_WAIT_MS,
    )
    await page.getByText('1 revoked.').waitFor()
    await told
    await eventually(
      "alice's list v3 pinned at bob",
      async () =>
        (await bob.client.call('devices.list', { userId: alice.userId })).revoked.includes(other.deviceId)
          ? true
          : undefined,
      UI_WAIT_MS,
    )
    await page.screenshot({ path: join(ARTIFACTS, 'revoked.png') })
    assert.deepEqual(errors, [])
  })
})

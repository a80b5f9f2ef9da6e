/**
 * Per-member receipts of a group message in the desktop page, end to end: three real daemons
 * (alice, bob, carol; a group of the three), a desktop server and a headless Chromium page for
 * alice (bob and carol act through their RPC). Alice sends from her page; her "Message info"
 * lists bob and carol as delivered, then bob reads it and the open dialog says bob read while
 * carol stays delivered: the aggregate status does not change then (still "delivered to
 * everyone"), so only the group.receipt event can move the row.
 * Screenshots go to test-artifacts/desktop-group-receipts/.
 */
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, eventually, startPair, startPeer } from './fixtures/chat.ts'

/** Bound on each UI wait, in ms: a receipt crossing two daemons on a loaded 2-core machine. */
const UI_WAIT_MS = 30_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-group-receipts')
const GROUP = 'Ridge team'
const TEXT = 'summit at noon'

describe('desktop group receipts: Message info lists each member, live', () => {
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let server: DesktopServer
  let alice: ChatPeer
  let bob: ChatPeer
  let carol: ChatPeer
  let conversationId = ''
  const errors: string[] = []

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    await buildDesktop()
    ;({ alice, bob } = await startPair())
    carol = await startPeer('Carol', { args: alice.addrs.flatMap((a) => ['--bootstrap', a]) })
    await alice.client.call('contacts.add', { card: (await carol.client.call('identity.get', {})).card })
    await carol.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    const created = await alice.client.call('groups.create', {
      name: GROUP,
      members: [bob.userId, carol.userId],
    })
    conversationId = created.conversationId
    for (const peer of [bob, carol]) {
      await eventually('the invitation', async () =>
        (await peer.client.call('groups.list', {})).groups.some((g) => g.groupId === created.groupId)
          ? true
          : undefined,
      )
      await peer.client.call('groups.accept', { groupId: created.groupId })
    }
    await eventually('three members everywhere', async () => {
      const all = await Promise.all(
        [alice, bob, carol].map(async (p) => (await p.client.call('groups.list', {})).groups[0]),
      )
      return all.every((g) => g?.memberCount === 3 && g.stateHash === all[0]?.stateHash) ? true : undefined
    })
    server = await startDesktopServer({
      token: alice.daemon.token,
      rpcUrl: `ws://127.0.0.1:${alice.daemon.rpcPort}/`,
    })
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: { width: 1000, height: 720 } })
    page = await context.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    page.setDefaultTimeout(UI_WAIT_MS)
    await page.goto(server.launchUrl())
    await page.getByRole('heading', { name: 'Chats' }).waitFor()
  })

  after(async () => {
    await context?.close().catch(() => {})
    await browser?.close()
    await server?.close()
    await Promise.allSettled([alice?.stop(), bob?.stop(), carol?.stop()])
  })

  function row(name: string): Locator {
    return page.locator('.receipt-row', {
      has: page.locator('.receipt-name', { hasText: new RegExp(`^${name}$`) }),
    })
  }

  test('alice sends; Message info shows bob and carol delivered, then bob read (live) and carol still delivered', async () => {
    await page.locator('.conv-title', { hasText: new RegExp(`^${GROUP}$`) }).click()
    await page.locator('.chat-title', { hasText: new RegExp(`^${GROUP}$`) }).waitFor()
    const box = page.getByRole('textbox', { name: /^Message / })
    await box.fill(TEXT)
    await box.press('Enter')
    const mine = page
      .locator('article.msg')
      .filter({ has: page.locator('.text', { hasText: new RegExp(`^${TEXT}$`) }) })
    await mine.waitFor()
    // the aggregate tick: delivered to both members
    await mine.locator('.ticks-double', { hasText: 'Delivered to everyone' }).waitFor()

    await mine.hover()
    await mine.getByRole('button', { name: 'More actions' }).click()
    await page.getByRole('menuitem', { name: 'Message info' }).click()
    const dialog = page.getByRole('dialog', { name: 'Message info' })
    await dialog.waitFor()
    await row('Bob')
      .locator('.receipt-status', { hasText: /^Delivered$/ })
      .waitFor()
    await row('Carol')
      .locator('.receipt-status', { hasText: /^Delivered$/ })
      .waitFor()
    await dialog.locator('.receipt-summary', { hasText: 'Read by 0 of 2 · delivered to 2 of 2' }).waitFor()
    await page.screenshot({ path: join(ARTIFACTS, '01-delivered.png') })

    // bob reads the group chat (what his page does when he opens it); the dialog stays open
    const bobCopy = await eventually('the message at bob', async () =>
      (await bob.client.call('messages.list', { conversationId })).messages.find((m) => m.text === TEXT),
    )
    await bob.client.call('messages.markRead', { conversationId, upToSeq: bobCopy.seq })
    await row('Bob')
      .locator('.receipt-status', { hasText: /^Read$/ })
      .waitFor()
    await dialog.locator('.receipt-summary', { hasText: 'Read by 1 of 2 · delivered to 2 of 2' }).waitFor()
    assert.equal(await row('Carol').locator('.receipt-status').innerText(), 'Delivered')
    // read first: bob's row is above carol's
    assert.deepEqual(await dialog.locator('.receipt-name').allInnerTexts(), ['Bob', 'Carol'])
    await page.screenshot({ path: join(ARTIFACTS, '02-bob-read.png') })

    // the daemon agrees with the page
    const { receipts } = await alice.client.call('groups.receipts', {
      conversationId,
      messageId: (await mine.getAttribute('data-message-id')) ?? '',
    })
    assert.deepEqual(Object.fromEntries(receipts.map((r) => [r.userId, r.status])), {
      [bob.userId]: 'read',
      [carol.userId]: 'delivered',
    })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.deepEqual(errors, [])
  })
})

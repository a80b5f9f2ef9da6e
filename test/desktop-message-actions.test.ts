/**
 * Message actions in the desktop page, end to end: two real daemons (child processes) that know
 * each other, each with its own desktop server, and two isolated headless Chromium pages. Every
 * action is done with the page's own controls (hover actions, the "more" menu by keyboard, the
 * reaction picker, the composer's reply and edit preview, the delete and forward dialogs), and
 * every result is awaited on the other page, where it arrives live through message.updated (or
 * message.received) — no reload. Screenshots go to test-artifacts/desktop-message-actions/.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, startPair } from './fixtures/chat.ts'

/** Bound on each UI wait, in ms: a message and its action crossing two daemons on a loaded 2-core machine. */
const UI_WAIT_MS = 30_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-message-actions')
/** A file of a few chunks (256 KiB each), from a seeded generator. */
const FILE_BYTES = 700_000

/** Deterministic bytes (xorshift32 from `seed`). */
function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

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

async function openChat(w: Window, title: string): Promise<void> {
  await w.page.locator('.conv-title', { hasText: new RegExp(`^${title}$`) }).click()
  await w.page.locator('.chat-title', { hasText: new RegExp(`^${title}$`) }).waitFor()
}

/** The message whose own text (not a quote of it) is exactly `text`. */
function bubble(w: Window, text: string): Locator {
  return w.page
    .locator('article.msg')
    .filter({ has: w.page.locator('.text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) }) })
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

async function send(w: Window, text: string): Promise<void> {
  const box = w.page.getByRole('textbox', { name: /^Message / })
  await box.fill(text)
  await box.press('Enter')
  await bubble(w, text).waitFor()
}

/** Open the "more" menu of a message with the keyboard and choose `item`. */
async function menuByKeyboard(w: Window, message: Locator, item: string): Promise<void> {
  const more = message.getByRole('button', { name: 'More actions' })
  await more.focus()
  await w.page.keyboard.press('Enter')
  const menu = w.page.getByRole('menu', { name: 'Message actions' })
  await menu.waitFor()
  const items = await menu.getByRole('menuitem').allInnerTexts()
  const index = items.indexOf(item)
  assert.ok(index >= 0, `the menu offers ${item} (it has ${items.join(', ')})`)
  // focus starts on the first item; the arrow keys move it
  for (let i = 0; i < index; i++) await w.page.keyboard.press('ArrowDown')
  assert.equal(await w.page.evaluate(() => document.activeElement?.textContent), item)
  await w.page.keyboard.press('Enter')
  await menu.waitFor({ state: 'detached' })
}

async function shot(w: Window, name: string): Promise<void> {
  await w.page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })
}

describe('desktop message actions: two pages, two daemons, each action seen live on the other page', () => {
  let browser: Browser
  let alice: Window
  let bob: Window
  let dir = ''

  before(async () => {
    // Chromium is a test requirement (.ci/run installs Debian's package): fail loudly, never skip
    if (findChromium() === null)
      throw new Error('Chromium not found: install the chromium package (.ci/run does)')
    await mkdir(ARTIFACTS, { recursive: true })
    dir = await mkdtemp(join(tmpdir(), 'wren-desktop-actions-'))
    await buildDesktop()
    browser = await launchBrowser()
    const pair = await startPair()
    // bob fetches files unasked, as a user turns it on in settings (the default asks)
    await pair.bob.client.call('attachments.settings', { autoDownload: { files: true } })
    alice = await openWindow(browser, pair.alice)
    bob = await openWindow(browser, pair.bob)
    await openChat(alice, 'Bob')
    await openChat(bob, 'Alice')
  })

  after(async () => {
    for (const w of [alice, bob]) if (w) await w.context.close().catch(() => {})
    await browser?.close()
    await Promise.allSettled([alice?.server.close(), bob?.server.close()])
    await Promise.allSettled([alice?.peer.stop(), bob?.peer.stop()])
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('bob replies from the hover actions; Escape cancels a reply; alice sees the quote and it jumps to her message', async () => {
    await send(alice, 'where shall we meet?')
    const original = bubble(bob, 'where shall we meet?')
    await original.waitFor()
    // a reply started and cancelled with Escape leaves the chat open and sends nothing
    await original.hover()
    await original.getByRole('button', { name: 'Reply', exact: true }).click()
    const preview = bob.page.getByRole('status', { name: 'Replying' })
    assert.match(await preview.innerText(), /Reply to Alice\s+where shall we meet\?/)
    await bob.page.getByRole('textbox', { name: /^Message / }).press('Escape')
    await preview.waitFor({ state: 'detached' })
    await bob.page.locator('.chat-title', { hasText: 'Alice' }).waitFor()

    await original.hover()
    await original.getByRole('button', { name: 'Reply', exact: true }).click()
    await preview.waitFor()
    await send(bob, 'at the station')
    await preview.waitFor({ state: 'detached' })
    await shot(bob, '01-bob-replied')

    const reply = bubble(alice, 'at the station')
    await reply.waitFor()
    const quote = reply.getByRole('button', { name: 'Reply to You: where shall we meet?. Show the original' })
    assert.match(await quote.innerText(), /You\s+where shall we meet\?/)
    await quote.click()
    const target = alice.page.locator('.row.highlight').filter({ has: bubble(alice, 'where shall we meet?') })
    await target.waitFor()
    const focused = await alice.page.evaluate(
      () => (document.activeElement as HTMLElement | null)?.dataset.messageId,
    )
    assert.equal(focused, await bubble(alice, 'where shall we meet?').getAttribute('data-message-id'))
    await shot(alice, '02-alice-sees-quote')
  })

  test('alice reacts 👍 from the picker; bob sees the chip live; alice’s chip is highlighted and a click removes it on both pages', async () => {
    const mine = bubble(alice, 'at the station')
    await mine.hover()
    await mine.getByRole('button', { name: 'React' }).click()
    await alice.page.getByRole('menuitemcheckbox', { name: 'React with 👍' }).click()
    const aliceChip = mine.locator('.reaction', { hasText: '👍' })
    await aliceChip.waitFor()
    assert.equal(await aliceChip.getAttribute('aria-pressed'), 'true', 'our own reaction is highlighted')

    const bobChip = bubble(bob, 'at the station').locator('.reaction', { hasText: '👍' })
    await bobChip.waitFor()
    assert.equal(await bobChip.getAttribute('aria-pressed'), 'false')
    assert.match((await bobChip.getAttribute('aria-label')) ?? '', /👍 1: Alice/)
    await shot(bob, '03-bob-sees-reaction')

    await aliceChip.click()
    await aliceChip.waitFor({ state: 'detached' })
    await bobChip.waitFor({ state: 'detached' })
    const [m] = (
      await bob.peer.client.call('messages.list', { conversationId: `dm:${alice.peer.userId}` })
    ).messages.filter((x) => x.text === 'at the station')
    assert.deepEqual(m?.reactions ?? [], [], 'bob’s daemon holds no reaction either')
  })

  test('alice edits her message from the menu by keyboard; bob sees the new text and the edited mark', async () => {
    await menuByKeyboard(alice, bubble(alice, 'where shall we meet?'), 'Edit')
    const box = alice.page.getByRole('textbox', { name: /^Message / })
    await alice.page.getByRole('status', { name: 'Editing a message' }).waitFor()
    // the composer takes the text to edit, and the focus
    await alice.page.waitForFunction(
      () => (document.activeElement as HTMLTextAreaElement | null)?.value === 'where shall we meet?',
    )
    await box.fill('where shall we meet tomorrow?')
    await box.press('Enter')
    const edited = bubble(alice, 'where shall we meet tomorrow?')
    await edited.locator('.edited').waitFor()
    // the edit ends: the preview goes and the composer is empty again
    await alice.page.getByRole('status', { name: 'Editing a message' }).waitFor({ state: 'detached' })
    assert.equal(await box.inputValue(), '')

    const seen = bubble(bob, 'where shall we meet tomorrow?')
    await seen.locator('.edited', { hasText: 'edited' }).waitFor()
    assert.equal(await bubble(bob, 'where shall we meet?').count(), 0, 'the old text is gone from bob’s page')
    await shot(bob, '04-bob-sees-edit')
  })

  test('bob pins alice’s message; both headers show it and alice jumps to it from the pinned bar', async () => {
    await menuByKeyboard(bob, bubble(bob, 'where shall we meet tomorrow?'), 'Pin')
    for (const w of [bob, alice]) {
      const bar = w.page.getByRole('region', { name: 'Pinned messages' })
      await bar.waitFor()
      assert.match(await bar.innerText(), /Pinned\s+where shall we meet tomorrow\?/)
    }
    await shot(alice, '05-alice-sees-pin')
    await alice.page.getByRole('button', { name: /^Pinned message: where shall we meet tomorrow\?/ }).click()
    await alice.page
      .locator('.row.highlight')
      .filter({ has: bubble(alice, 'where shall we meet tomorrow?') })
      .waitFor()
    // unpinning from the bar clears it on both pages
    await alice.page.getByRole('button', { name: 'Unpin this message' }).click()
    for (const w of [alice, bob])
      await w.page.getByRole('region', { name: 'Pinned messages' }).waitFor({ state: 'detached' })
  })

  test('alice deletes a message for everyone; bob sees a tombstone in its place and his daemon keeps no text', async () => {
    await send(alice, 'oops, wrong chat')
    const theirs = bubble(bob, 'oops, wrong chat')
    await theirs.waitFor()
    const id = await theirs.getAttribute('data-message-id')
    assert.ok(id)
    const mine = bubble(alice, 'oops, wrong chat')
    await mine.hover()
    await mine.getByRole('button', { name: 'More actions' }).click()
    await alice.page.getByRole('menuitem', { name: 'Delete…' }).click()
    const dialog = alice.page.getByRole('dialog', { name: 'Delete message' })
    await dialog.getByRole('button', { name: 'Delete for everyone' }).click()
    await dialog.waitFor({ state: 'detached' })
    await alice.page
      .locator(`article[data-message-id="${id}"] .tombstone`, { hasText: 'You deleted this message' })
      .waitFor()

    const tomb = bob.page.locator(`article[data-message-id="${id}"]`)
    await tomb.locator('.tombstone', { hasText: 'This message was deleted' }).waitFor()
    assert.equal(await bob.page.getByText('oops, wrong chat').count(), 0, 'the text is gone from bob’s page')
    const stored = (
      await bob.peer.client.call('messages.list', { conversationId: `dm:${alice.peer.userId}` })
    ).messages.find((m) => m.id === id)
    assert.equal(stored?.text, '')
    assert.ok(stored?.deletedAt, 'bob’s daemon holds a tombstone')
    await shot(bob, '06-bob-sees-tombstone')
  })

  test('alice forwards bob’s reply back to him; both pages show the copy marked forwarded; no page error', async () => {
    await menuByKeyboard(alice, bubble(alice, 'at the station'), 'Forward…')
    const dialog = alice.page.getByRole('dialog', { name: 'Forward message' })
    await dialog.getByRole('checkbox', { name: 'Bob' }).check()
    await dialog.getByRole('button', { name: 'Forward' }).click()
    await dialog.waitFor({ state: 'detached' })
    const focused = await alice.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))
    assert.equal(focused, 'More actions', 'the focus goes back to the button that opened the menu')
    for (const w of [alice, bob])
      await w.page
        .locator('article.msg', { has: w.page.locator('.forwarded') })
        .filter({ hasText: 'at the station' })
        .waitFor()
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })

  test('a file alice sends shows on bob’s page as a card that completes, and Save writes the same bytes', async () => {
    const data = seededBytes(17, FILE_BYTES)
    const source = join(dir, 'route plan.bin')
    await writeFile(source, data)
    await alice.peer.client.call('attachments.send', {
      conversationId: `dm:${bob.peer.userId}`,
      path: source,
      caption: 'the route',
    })
    const card = bubble(bob, 'the route').locator('.file-card')
    await card.locator('.file-name', { hasText: 'route plan.bin' }).waitFor()
    assert.match(await card.locator('.file-info').innerText(), /^700 KB/)
    await bob.page.locator('.file-card[data-state=complete]').waitFor()
    assert.match(await card.locator('.file-info').innerText(), /Received/)
    // alice's page did not send it (the RPC did): reloaded, her chat shows it as sent
    await alice.page.reload()
    await openChat(alice, 'Bob')
    const sent = bubble(alice, 'the route').locator('.file-card')
    await sent
      .locator('.file-info', { hasText: /^700 KB · (Sent|Uploading to relays|On the relays)/ })
      .waitFor()
    await shot(bob, '07-bob-file-card')

    const target = join(dir, 'saved.bin')
    await card.getByRole('button', { name: 'Save route plan.bin' }).click()
    const dialog = bob.page.getByRole('dialog', { name: 'Save route plan.bin' })
    await dialog.getByLabel('Save as (a full path on this computer)').fill(target)
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    await dialog
      .getByRole('status')
      .filter({ hasText: `Saved to ${target}` })
      .waitFor()
    assert.equal(sha256(await readFile(target)), sha256(data))
    // saving over an existing file is refused, and said so in the dialog
    await dialog.getByRole('button', { name: 'Save', exact: true }).click()
    await dialog.getByRole('alert').waitFor()
    await bob.page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.equal(
      await bob.page.locator('.chat-title').innerText(),
      'Alice',
      'Escape closed the dialog, not the chat',
    )
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })
})

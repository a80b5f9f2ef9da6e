/**
 * Files from the desktop page, end to end: two real daemons, each with its own desktop server,
 * two isolated headless Chromium pages. Alice drops a generated PNG on her chat (a real drop
 * event carrying a File) and picks a file with the attach button; the page uploads them through
 * the shell's /attachments (forwarded to her daemon's endpoint), and the messages appear. Bob's
 * page shows the image — decided by its bytes — and the bytes it fetches through the endpoint
 * equal the original. With the default auto-download setting (images yes, files ask) a PDF waits
 * on bob's page with a Download button; Settings › Files shows and changes the two switches. A
 * PNG bob's page does not fetch unasked shows as its thumbnail, then as the whole image.
 * Screenshots go to test-artifacts/desktop-files/.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { buildDesktop } from '../desktop/build.ts'
import { findChromium, launchBrowser } from '../desktop/preview/chromium.ts'
import { type DesktopServer, startDesktopServer } from '../desktop/server.ts'
import { type ChatPeer, eventually, startPair } from './fixtures/chat.ts'
import { seededPng } from './fixtures/png.ts'

/** Bound on each UI wait, in ms: a file crossing two daemons on a loaded 2-core machine. */
const UI_WAIT_MS = 30_000
const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/desktop-files')
/** The dropped picture: big enough for two chunks (256 KiB each) of barely compressible pixels. */
const PNG_WIDTH = 400
const PNG_HEIGHT = 300

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

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

/** The message whose file card names `name`. */
function fileMessage(w: Window, name: string): Locator {
  return w.page.locator('article.msg').filter({ has: w.page.locator('.file-name', { hasText: name }) })
}

/** Drop `bytes` as a File named `name` on the chat, the way a drag from the desktop arrives. */
async function dropFile(w: Window, name: string, type: string, bytes: Buffer): Promise<void> {
  const transfer = await w.page.evaluateHandle(
    ({ b64, name, type }) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      const dt = new DataTransfer()
      dt.items.add(new File([data], name, { type }))
      return dt
    },
    { b64: bytes.toString('base64'), name, type },
  )
  const chat = w.page.locator('section.chat')
  await chat.dispatchEvent('dragenter', { dataTransfer: transfer })
  await chat.dispatchEvent('dragover', { dataTransfer: transfer })
  await w.page.locator('.drop-zone').waitFor()
  await chat.dispatchEvent('drop', { dataTransfer: transfer })
  await w.page.locator('.drop-zone').waitFor({ state: 'detached' })
}

/** SHA-256 (hex) of what the page gets from `url` (same origin: the shell forwards it to the daemon). */
async function pageFetchDigest(
  w: Window,
  url: string,
): Promise<{ status: number; type: string; digest: string }> {
  return w.page.evaluate(async (u) => {
    const r = await fetch(u)
    const bytes = new Uint8Array(await r.arrayBuffer())
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    return {
      status: r.status,
      type: r.headers.get('content-type') ?? '',
      digest: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
    }
  }, url)
}

describe('desktop files: drop an image or attach a file on one page, see it on the other', () => {
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

  test('a PNG dropped on alice’s chat shows as an image on bob’s page, and its bytes through the endpoint are the original', async () => {
    const png = seededPng(PNG_WIDTH, PNG_HEIGHT, 16)
    await dropFile(alice, 'sunset.png', 'image/png', png)
    // alice's own copy: the message with its card, then the picture from her store
    const mine = fileMessage(alice, 'sunset.png')
    await mine.waitFor()
    await alice.page.locator('.uploads').waitFor({ state: 'detached' })
    await mine.locator('.file-image img').waitFor()

    const theirs = fileMessage(bob, 'sunset.png')
    await theirs.locator('.file-card[data-state=complete]').waitFor()
    const img = theirs.locator('.file-image img')
    await img.waitFor()
    await bob.page.waitForFunction(
      (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
      await img.elementHandle(),
    )
    const size = await img.evaluate((el) => [
      (el as HTMLImageElement).naturalWidth,
      (el as HTMLImageElement).naturalHeight,
    ])
    assert.deepEqual(size, [PNG_WIDTH, PNG_HEIGHT], 'bob’s page decoded the picture alice dropped')
    const src = (await img.getAttribute('src')) ?? ''
    assert.ok(src.startsWith('/attachments/'), `a same-origin endpoint URL: ${src}`)
    const got = await pageFetchDigest(bob, src)
    assert.equal(got.status, 200)
    assert.equal(got.type, 'image/png')
    assert.equal(got.digest, sha256(png), 'the bytes bob fetched through the endpoint are the original')
    await bob.page.screenshot({ path: join(ARTIFACTS, '01-bob-sees-image.png') })

    // a click opens it larger; Escape closes that, not the chat
    await theirs.getByRole('button', { name: 'Open sunset.png larger' }).click()
    const dialog = bob.page.getByRole('dialog', { name: 'sunset.png' })
    await dialog.locator('img.image-large').waitFor()
    await bob.page.screenshot({ path: join(ARTIFACTS, '02-bob-image-larger.png') })
    await bob.page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.equal(await bob.page.locator('.chat-title').innerText(), 'Alice')
  })

  test('a file picked with the attach button arrives as a card with Save and no picture; no page error', async () => {
    const text = Buffer.from('meeting notes: bring the maps\n'.repeat(200))
    // bob's page asks the daemon what the whole file is (HEAD) once it is complete
    const asked = bob.page.waitForResponse(
      (r) => r.request().method() === 'HEAD' && /\/attachments\/[^/]+$/.test(new URL(r.url()).pathname),
    )
    await alice.page.locator('input[type=file]').setInputFiles({
      name: 'notes.png', // named like a picture; its bytes say it is not one
      mimeType: 'image/png',
      buffer: text,
    })
    const theirs = fileMessage(bob, 'notes.png')
    await theirs.locator('.file-card[data-state=complete]').waitFor()
    await theirs.getByRole('button', { name: 'Save notes.png' }).waitFor()
    const got = await pageFetchDigest(bob, `/attachments/${await theirs.getAttribute('data-message-id')}`)
    assert.equal(got.type, 'application/octet-stream')
    assert.equal(got.digest, sha256(text))
    // the page asked the daemon and was told it is no image: after that answer and a frame, none is shown
    assert.equal((await asked).headers()['content-type'], 'application/octet-stream')
    await bob.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))))
    assert.equal(await theirs.locator('.file-image').count(), 0)
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })

  test('files ask by default: a PDF waits with Download until clicked; Settings › Files turns files on', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from('0 obj << >> endobj\n'.repeat(2000))])
    await alice.page.locator('input[type=file]').setInputFiles({
      name: 'minutes.pdf',
      mimeType: 'application/pdf',
      buffer: pdf,
    })
    const theirs = fileMessage(bob, 'minutes.pdf')
    const card = theirs.locator('.file-card[data-state=offered]')
    await card.locator('.file-info', { hasText: 'Not downloaded' }).waitFor()
    await bob.page.screenshot({ path: join(ARTIFACTS, '03-bob-file-offered.png') })
    await theirs.getByRole('button', { name: 'Download minutes.pdf' }).click()
    await theirs.locator('.file-card[data-state=complete]').waitFor()
    const got = await pageFetchDigest(bob, `/attachments/${await theirs.getAttribute('data-message-id')}`)
    assert.equal(got.digest, sha256(pdf))

    await bob.page.getByRole('button', { name: 'Settings' }).click()
    const dialog = bob.page.getByRole('dialog', { name: 'Settings' })
    const images = dialog.getByRole('checkbox', { name: 'Download images automatically' })
    const files = dialog.getByRole('checkbox', { name: 'Download other files automatically' })
    await eventually(
      'the settings read',
      async () => ((await files.isEnabled()) ? true : undefined),
      UI_WAIT_MS,
    )
    assert.equal(await images.isChecked(), true)
    assert.equal(await files.isChecked(), false)
    await files.check()
    await eventually(
      'files on at bob’s daemon',
      async () =>
        (await bob.peer.client.call('attachments.settings', {})).autoDownload.files ? true : undefined,
      UI_WAIT_MS,
    )
    assert.equal(await files.isChecked(), true)
    await bob.page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.deepEqual([...alice.errors, ...bob.errors], [])
  })

  test('a dropped PNG shows on bob’s page as its thumbnail first, then as the whole image once here', async () => {
    // bob's images wait to be asked for, so the thumbnail stays until the click (nothing races it)
    await bob.peer.client.call('attachments.settings', { autoDownload: { images: false } })
    try {
      const png = seededPng(PNG_WIDTH, PNG_HEIGHT, 23)
      await dropFile(alice, 'harbour.png', 'image/png', png)
      const theirs = fileMessage(bob, 'harbour.png')
      await theirs.locator('.file-card[data-state=offered]').waitFor()
      const thumb = theirs.locator('.file-image.thumbnail img')
      await thumb.waitFor()
      await bob.page.waitForFunction(
        (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
        await thumb.elementHandle(),
      )
      assert.match((await thumb.getAttribute('src')) ?? '', /^\/attachments\/[^/]+\/thumbnail$/)
      const small = await thumb.evaluate((el) => [
        (el as HTMLImageElement).naturalWidth,
        (el as HTMLImageElement).naturalHeight,
      ])
      // the pointer's thumbnail: ≤ 320 px, the picture's shape (noise-like pixels shrink it further to fit 16 KiB)
      const [w, h] = small as [number, number]
      assert.ok(w <= 320 && w < PNG_WIDTH && w * PNG_HEIGHT === h * PNG_WIDTH, `thumbnail ${w} × ${h}`)
      await bob.page.screenshot({ path: join(ARTIFACTS, '04-bob-png-thumbnail.png') })

      await theirs.getByRole('button', { name: 'Download harbour.png' }).click()
      await theirs.locator('.file-card[data-state=complete]').waitFor()
      const img = theirs.locator('.file-image:not(.thumbnail) img')
      await img.waitFor()
      await bob.page.waitForFunction(
        (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
        await img.elementHandle(),
      )
      const whole = await img.evaluate((el) => [
        (el as HTMLImageElement).naturalWidth,
        (el as HTMLImageElement).naturalHeight,
      ])
      assert.deepEqual(whole, [PNG_WIDTH, PNG_HEIGHT], 'then the whole picture')
      assert.equal(await theirs.locator('.file-image.thumbnail').count(), 0)
      await bob.page.screenshot({ path: join(ARTIFACTS, '05-bob-png-whole.png') })
      assert.deepEqual([...alice.errors, ...bob.errors], [])
    } finally {
      await bob.peer.client.call('attachments.settings', { autoDownload: { images: true } })
    }
  })
})

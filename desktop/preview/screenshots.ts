/**
 * Screenshots of every screen of the shell on the preview harness (FakeDaemon, no daemon
 * needed), into test-artifacts/desktop/. Run: node desktop/preview/screenshots.ts
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { buildDesktop, PREVIEW_DIST_DIR } from '../build.ts'
import { startDesktopServer } from '../server.ts'
import { launchHeadless } from './chromium.ts'

const OUT = join(import.meta.dirname, '../../test-artifacts/desktop')
/** Bound on each UI wait, in ms. */
const WAIT_MS = 10_000

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(150) // let layout settle after the last action
  await page.screenshot({ path: join(OUT, `${name}.png`) })
  process.stdout.write(`  ${name}.png\n`)
}

await mkdir(OUT, { recursive: true })
await buildDesktop({ preview: true })
const server = await startDesktopServer({
  token: 'preview',
  rpcUrl: 'ws://127.0.0.1:1/',
  distDir: PREVIEW_DIST_DIR,
})
const base = server.origin
const errors: string[] = []

for (const theme of ['light', 'dark'] as const) {
  const chrome = await launchHeadless({ colorScheme: theme })
  const page = await chrome.context.newPage()
  page.setDefaultTimeout(WAIT_MS)
  page.on('pageerror', (e) => errors.push(`${theme}: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${theme}: console: ${m.text()}`)
  })

  await page.goto(`${base}/?state=new&theme=${theme}`)
  await page.getByLabel('Your name').fill('Alice Kowalski')
  await page.getByLabel('Passphrase', { exact: true }).fill('copper lantern orbit')
  await page.getByLabel('Repeat passphrase').fill('copper lantern orb')
  await shot(page, `${theme}-01-create-identity`)

  await page.goto(`${base}/?state=locked&theme=${theme}`)
  await page.getByLabel('Passphrase').fill('wrong passphrase')
  await page.keyboard.press('Enter')
  await page.getByRole('alert').waitFor()
  await shot(page, `${theme}-02-unlock-wrong-passphrase`)

  await page.goto(`${base}/?state=ready&theme=${theme}&keychange=1&step=400`)
  await page.locator('.conv').first().waitFor()
  await shot(page, `${theme}-03-conversation-list`)

  await page.locator('.conv').first().click()
  await page.locator('.msg').first().waitFor()
  await shot(page, `${theme}-04-chat-unread-divider`)

  const box = page.getByRole('textbox', { name: /^Message/ })
  await box.fill('Leaving now — see you at the station in 20 minutes.')
  await box.press('Shift+Enter')
  await box.pressSequentially('Bringing the umbrella.')
  await box.press('Enter')
  await page.waitForTimeout(1000) // mid-delivery: stored in mailboxes
  await shot(page, `${theme}-05-chat-sent-ticks`)

  await page.locator('.message-scroller').evaluate((el) => {
    el.scrollTop = 0
  })
  await page.waitForTimeout(500)
  await shot(page, `${theme}-06-chat-history-scrolled`)

  await page.getByRole('button', { name: 'Safety number and contact details' }).click()
  await page.locator('.safety-number').waitFor()
  await shot(page, `${theme}-07-safety-number`)
  await page.keyboard.press('Escape')

  await page.locator('.conv', { hasText: 'Carol' }).click()
  await page.locator('.banner-warn').waitFor()
  await shot(page, `${theme}-08-key-change-banner`)

  await page.getByRole('button', { name: 'My card and QR code' }).click()
  await page.locator('img.qr').waitFor()
  await shot(page, `${theme}-09-my-card`)
  await page.keyboard.press('Escape')

  await page.getByRole('button', { name: 'Add contact' }).first().click()
  await page.getByLabel('Contact card').fill('not a card')
  await page.getByRole('button', { name: 'Add contact' }).last().click()
  await page.locator('dialog [role=alert]').waitFor()
  await shot(page, `${theme}-10-add-contact-error`)
  await page.keyboard.press('Escape')

  await page.getByRole('button', { name: 'Settings' }).click()
  await shot(page, `${theme}-11-settings`)
  await page.keyboard.press('Escape')

  await page.locator('.conv', { hasText: 'Erin Lindqvist' }).click()
  await page.getByRole('region', { name: 'Pinned messages' }).waitFor()
  await page.locator('.file-card[data-state=complete]').waitFor()
  const reply = page.locator('article.msg', { hasText: 'I’ll bring the map' })
  await reply.hover()
  await reply.getByRole('button', { name: 'More actions' }).click()
  await shot(page, `${theme}-20-message-actions`)
  await page.keyboard.press('Escape')
  await reply.getByRole('button', { name: 'Reply', exact: true }).click()
  await shot(page, `${theme}-21-reply-preview`)
  await page.keyboard.press('Escape')

  await page.locator('.conv', { hasText: 'Weekend hikers' }).click()
  await page.locator('.msg-in .sender').first().waitFor()
  await shot(page, `${theme}-13-group-chat`)

  await page.getByRole('button', { name: 'Group details and members' }).click()
  await page.locator('.member').first().waitFor()
  await shot(page, `${theme}-14-group-details`)
  await page.getByRole('button', { name: /^Remove Carol/ }).click()
  await page.getByRole('button', { name: 'Leave group' }).click()
  await shot(page, `${theme}-15-group-details-confirm`)
  await page.keyboard.press('Escape')

  await page.getByRole('button', { name: 'New group' }).click()
  await page.getByLabel('Group name').fill('Saturday climbing')
  await page.getByRole('checkbox', { name: 'Bob Marchetti' }).check()
  await page.getByRole('checkbox', { name: 'Erin Lindqvist' }).check()
  await shot(page, `${theme}-16-new-group`)
  await page.getByRole('button', { name: 'Create group' }).click()
  await page.locator('dialog').waitFor({ state: 'detached' })
  await page.locator('.chat-subtitle', { hasText: '3 members' }).waitFor()
  await shot(page, `${theme}-17-group-created-members-joined`)

  await page.getByRole('button', { name: 'Accept the invitation to Book club' }).click()
  await page.locator('.chat-title', { hasText: 'Book club' }).waitFor()
  await shot(page, `${theme}-18-invitation-accepted`)

  await page.locator('.conv', { hasText: 'Old flatmates' }).click()
  await page.locator('.msg-in').first().waitFor()
  await shot(page, `${theme}-19-group-left`)

  await page.setViewportSize({ width: 420, height: 760 })
  await shot(page, `${theme}-12-narrow-chat`)
  await chrome.close()
}

await server.close()
if (errors.length > 0) {
  process.stderr.write(`page errors:\n${errors.join('\n')}\n`)
  process.exitCode = 1
}
process.stdout.write(`screenshots in ${OUT}\n`)

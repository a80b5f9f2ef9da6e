/**
 * Launch Debian's Chromium through playwright-core the way the tests and benchmarks here need
 * it: headless, sandbox off (containers), no background traffic, a fresh user-data dir.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import { findChromium } from '../launch.ts'

export { findChromium }

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
]

export interface HeadlessChromium {
  readonly context: BrowserContext
  close(): Promise<void>
}

export async function launchHeadless(
  options: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
): Promise<HeadlessChromium> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('no Chromium found (set WREN_CHROMIUM)')
  const userDataDir = await mkdtemp(join(tmpdir(), 'wren-chromium-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    timeout: 30_000,
  })
  return {
    context,
    close: async () => {
      await context.close()
      await rm(userDataDir, { recursive: true, force: true })
    },
  }
}

/** A headless Chromium for several isolated windows (browser.newContext() each gets its own cookies). */
export async function launchBrowser(): Promise<import('playwright-core').Browser> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('no Chromium found (set WREN_CHROMIUM)')
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, timeout: 30_000 })
}

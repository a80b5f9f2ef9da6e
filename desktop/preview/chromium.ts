/**
 * Launch Debian's Chromium through playwright-core the way the tests and benchmarks here need
 * it: headless, sandbox off (containers), no background traffic, a fresh user-data dir.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

/** Chromium binaries tried in order when WREN_CHROMIUM is not set. */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
]

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
]

export function findChromium(): string | null {
  const env = process.env.WREN_CHROMIUM
  if (env && existsSync(env)) return env
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null
}

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

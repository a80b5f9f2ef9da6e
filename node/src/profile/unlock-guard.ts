/**
 * Lockout after wrong passphrases: after UNLOCK_FREE_ATTEMPTS failures in a row, each further
 * attempt must wait UNLOCK_DELAY_BASE_MS doubled per failure (up to UNLOCK_DELAY_MAX_MS) after
 * the last one. The count lives in the profile folder (`unlock-failures.json`, 0600), so a daemon
 * restart does not reset it; a correct passphrase does. Argon2id already makes each guess cost
 * ~1 s of CPU; this bounds how many guesses an hour anyone with the RPC token can make.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { UnlockDelayedError } from './errors.ts'
import type { ProfilePaths } from './profile.ts'

/** Wrong passphrases allowed in a row before any wait (typos happen). */
export const UNLOCK_FREE_ATTEMPTS = 3
/** The first wait, in ms; it doubles with each further failure. */
export const UNLOCK_DELAY_BASE_MS = 1_000
/** The longest wait, in ms: 15 minutes keeps a guesser to a few attempts an hour. */
export const UNLOCK_DELAY_MAX_MS = 15 * 60_000
/** The record's file in the profile folder. */
export const UNLOCK_FAILURES_FILE = 'unlock-failures.json'

const FailuresSchema = z.strictObject({ failures: z.number().int().min(0), lastFailureAt: z.number() })
type Failures = z.infer<typeof FailuresSchema>

/** The wait after `failures` failures in a row, in ms (0 within the free attempts). */
export function unlockDelayMs(failures: number): number {
  if (failures < UNLOCK_FREE_ATTEMPTS) return 0
  return Math.min(UNLOCK_DELAY_BASE_MS * 2 ** (failures - UNLOCK_FREE_ATTEMPTS), UNLOCK_DELAY_MAX_MS)
}

export class UnlockGuard {
  readonly #file: string
  readonly #now: () => number

  constructor(paths: ProfilePaths, now: () => number = Date.now) {
    this.#file = join(paths.dir, UNLOCK_FAILURES_FILE)
    this.#now = now
  }

  async #read(): Promise<Failures> {
    let text: string
    try {
      text = await readFile(this.#file, 'utf8')
    } catch {
      return { failures: 0, lastFailureAt: 0 } // no record: no failures
    }
    let json: unknown = null
    try {
      json = JSON.parse(text)
    } catch {
      // malformed: handled as damaged below
    }
    const parsed = FailuresSchema.safeParse(json)
    // a damaged record must not reset the count: it counts as the free attempts used up
    return parsed.success ? parsed.data : { failures: UNLOCK_FREE_ATTEMPTS, lastFailureAt: this.#now() }
  }

  /** UnlockDelayedError while the wait after the last failure runs. */
  async check(): Promise<void> {
    const { failures, lastFailureAt } = await this.#read()
    const waitMs = lastFailureAt + unlockDelayMs(failures) - this.#now()
    if (waitMs > 0) throw new UnlockDelayedError(waitMs)
  }

  /** Count one more failure; returns the failures in a row now. */
  async failed(): Promise<number> {
    const { failures } = await this.#read()
    const next: Failures = { failures: failures + 1, lastFailureAt: this.#now() }
    await writeFile(this.#file, `${JSON.stringify(next)}\n`, { mode: 0o600 })
    return next.failures
  }

  async succeeded(): Promise<void> {
    await rm(this.#file, { force: true })
  }
}

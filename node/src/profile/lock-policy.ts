/**
 * The profile's lock policy: auto-lock after idle minutes, and the opt-in wipe after N wrong
 * passphrases in a row. It lives in the profile folder (`lock-policy.json`, 0600), not in the
 * sealed store, because the wipe rule must be read while the profile is locked (that is when
 * passphrases are tried). It holds two numbers and nothing secret; changing it needs an unlocked
 * profile (settings.set). Someone who can write the profile folder can remove it — but could as
 * well copy the keystore, so the file guards nothing the folder's permissions do not.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../storage/atomic-file.ts'
import {
  AUTO_LOCK_MAX_MINUTES,
  AUTO_LOCK_MIN_MINUTES,
  WIPE_MAX_FAILURES,
  WIPE_MIN_FAILURES,
} from './lock-limits.ts'
import type { ProfilePaths } from './profile.ts'

/** The record's file in the profile folder. */
export const LOCK_POLICY_FILE = 'lock-policy.json'
/** The record is two small numbers (~60 B); anything past this is not ours and reads as the defaults. */
const MAX_LOCK_POLICY_BYTES = 1024

const PolicySchema = z.strictObject({
  autoLockMinutes: z.number().int().min(AUTO_LOCK_MIN_MINUTES).max(AUTO_LOCK_MAX_MINUTES).nullable(),
  wipeAfterFailures: z.number().int().min(WIPE_MIN_FAILURES).max(WIPE_MAX_FAILURES).nullable(),
})

export type LockPolicy = z.infer<typeof PolicySchema>

/**
 * Both off by default. Auto-lock stops the node (the device goes offline until unlock), so a
 * default would silently take bots and idle desktops off the network; people opt in.
 */
export const DEFAULT_LOCK_POLICY: LockPolicy = { autoLockMinutes: null, wipeAfterFailures: null }

function policyFile(paths: ProfilePaths): string {
  return join(paths.dir, LOCK_POLICY_FILE)
}

/** The saved policy; none (or a damaged file) reads as the defaults. */
export async function readLockPolicy(paths: ProfilePaths): Promise<LockPolicy> {
  let text: string
  try {
    text = await readFile(policyFile(paths), 'utf8')
  } catch {
    return DEFAULT_LOCK_POLICY
  }
  if (text.length > MAX_LOCK_POLICY_BYTES) return DEFAULT_LOCK_POLICY
  try {
    const parsed = PolicySchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : DEFAULT_LOCK_POLICY
  } catch {
    return DEFAULT_LOCK_POLICY
  }
}

/** Save a change (fields left out stay); the new policy. Values are checked by the RPC schema. */
export async function saveLockPolicy(paths: ProfilePaths, change: Partial<LockPolicy>): Promise<LockPolicy> {
  const next = PolicySchema.parse({ ...(await readLockPolicy(paths)), ...change })
  await writeFileAtomic(policyFile(paths), `${JSON.stringify(next)}\n`)
  return next
}

/**
 * Bounds of the lock policy's settings (profile/lock-policy.ts), pure so the RPC declaration can
 * use them too. Minutes for auto-lock, wrong passphrases in a row for the opt-in wipe.
 */

/** Shortest auto-lock: one minute (anything shorter locks a person out while they read). */
export const AUTO_LOCK_MIN_MINUTES = 1
/** Longest auto-lock: one week; beyond that "off" says what is meant. */
export const AUTO_LOCK_MAX_MINUTES = 7 * 24 * 60
/**
 * Fewest wrong passphrases that may wipe the profile: five, i.e. the lockout's three free
 * attempts (unlock-guard.ts UNLOCK_FREE_ATTEMPTS) plus two delayed ones, so a burst of typos
 * cannot destroy a profile within a second.
 */
export const WIPE_MIN_FAILURES = 5
/** Most: past 100 the lockout's 15-minute waits already make guessing hopeless. */
export const WIPE_MAX_FAILURES = 100

/** Named errors of the profile layer (paths, token, daemon.json, the locked/unlocked session). */
import { AlreadyExistsError, UnavailableError } from '../errors.ts'

export class ProfileError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ProfileError'
    this.code = code
  }
}

/** Another live daemon already serves this profile. */
export class ProfileInUseError extends ProfileError {
  constructor(pid: number) {
    super('ERR_PROFILE_IN_USE', `profile is in use by daemon pid ${pid}`)
    this.name = 'ProfileInUseError'
  }
}

/** No daemon is running for the profile (no or stale daemon.json). */
export class DaemonNotRunningError extends ProfileError {
  constructor(message: string) {
    super('ERR_DAEMON_NOT_RUNNING', message)
    this.name = 'DaemonNotRunningError'
  }
}

/** WREN_HOME or the profile folder cannot be used: a file, or not readable and writable. */
export class ProfileAccessError extends ProfileError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PROFILE_ACCESS', message, options)
    this.name = 'ProfileAccessError'
  }
}

/** The profile has no identity yet: identity.create makes one (RPC code NO_IDENTITY). */
export class NoIdentityError extends Error {
  constructor(message = 'this profile has no identity: call identity.create') {
    super(message)
    this.name = 'NoIdentityError'
  }
}

/** The profile has an identity and is locked: identity.unlock opens it (RPC code LOCKED). */
export class ProfileLockedError extends Error {
  constructor(message = 'the profile is locked: call identity.unlock') {
    super(message)
    this.name = 'ProfileLockedError'
  }
}

/**
 * The wrong passphrase that reached the opt-in wipe limit: the keystore and the sealed store were
 * destroyed. A NoIdentityError (RPC code NO_IDENTITY): the profile has none any more.
 */
export class ProfileWipedError extends NoIdentityError {
  constructor(failures: number) {
    super(
      `${failures} wrong passphrases in a row: this profile's keys and messages were destroyed (wipe after failed unlocks is on); identity.create starts a new identity`,
    )
    this.name = 'ProfileWipedError'
  }
}

/** identity.unlock after too many wrong passphrases in a row: wait, then try again. */
export class UnlockDelayedError extends UnavailableError {
  readonly retryAfterMs: number
  constructor(retryAfterMs: number) {
    super(
      `too many wrong passphrases in a row: try again in ${Math.ceil(retryAfterMs / 1000)} s (the wait doubles with each wrong one)`,
    )
    this.name = 'UnlockDelayedError'
    this.retryAfterMs = retryAfterMs
  }
}

/** identity.create on a profile that already has an identity (RPC code ALREADY_EXISTS). */
export class IdentityExistsError extends AlreadyExistsError {
  constructor(message = 'this profile already has an identity') {
    super(message)
    this.name = 'IdentityExistsError'
  }
}

/**
 * Daemon errors as sentences for the place they happened. The daemon's messages are already
 * specific; known application errors get a friendlier sentence, the rest pass through.
 */

export interface RpcErrorLike {
  readonly code?: number
  readonly message: string
  readonly errorName?: string
}

const FRIENDLY: Readonly<Record<string, string>> = {
  LOCKED: 'Wren is locked. Unlock it with your passphrase.',
  NO_IDENTITY: 'This profile has no identity yet.',
  WRONG_PASSPHRASE: 'That passphrase is not right.',
  ALREADY_EXISTS: 'That already exists.',
  KEY_CHANGED_UNACCEPTED: 'This contact’s safety number changed. Review and accept it before sending.',
  SAFETY_NUMBER_MISMATCH: 'The safety numbers do not match. Do not mark this contact as verified.',
  NOT_IMPLEMENTED: 'This daemon does not support that yet.',
  UNAVAILABLE: 'The network service is not running yet.',
}

export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as RpcErrorLike
    if (e.errorName && e.errorName in FRIENDLY) {
      const friendly = FRIENDLY[e.errorName]!
      return e.errorName === 'ALREADY_EXISTS' || e.errorName === 'NOT_IMPLEMENTED' ? e.message : friendly
    }
    return e.message || 'Something went wrong.'
  }
  return String(error)
}

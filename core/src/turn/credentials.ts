/**
 * coturn's REST-style TURN credentials (draft-uberti-behave-turn-rest-00 §2.2, coturn's
 * `use-auth-secret`): username = "<expiry unix seconds>:<peer id>", password =
 * base64(HMAC-SHA1(secret, username)). Pure: the expiry is computed by the caller from its clock.
 * SHA-1 is what coturn and the draft specify; HMAC-SHA1 remains a sound MAC.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { toBase64url } from '../base64url.ts'
import { utf8 } from '../bytes.ts'
import { MAX_TURN_USERNAME_CHARS } from './constants.ts'

/** The username for a credential valid until `expiresAtS` (unix seconds) for `peerId`. */
export function turnUsername(expiresAtS: number, peerId: string): string {
  if (!Number.isSafeInteger(expiresAtS) || expiresAtS < 0)
    throw new RangeError('TURN expiry must be a non-negative integer (unix seconds)')
  if (peerId.length === 0 || peerId.includes(':'))
    throw new RangeError('TURN peer id must be non-empty and without a colon')
  const username = `${expiresAtS}:${peerId}`
  if (username.length > MAX_TURN_USERNAME_CHARS) throw new RangeError('TURN username too long')
  return username
}

/** RFC 4648 §4 base64 with padding (what coturn compares the password with). */
export function toBase64(bytes: Uint8Array): string {
  const url = toBase64url(bytes).replace(/-/g, '+').replace(/_/g, '/')
  return url + '='.repeat((4 - (url.length % 4)) % 4)
}

/** The password coturn derives for `username` from its static-auth-secret. */
export function turnPassword(secret: Uint8Array | string, username: string): string {
  const key = typeof secret === 'string' ? utf8(secret) : secret
  return toBase64(hmac(sha1, key, utf8(username)))
}

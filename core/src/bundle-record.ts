/**
 * Prekey bundles as DHT records: the key layout and the checks every DHT participant (user
 * nodes and relays) applies, in one place so both sides judge a record the same way.
 *
 * Key: utf8('/wren-bundle/') ‖ the 16 raw user-id bytes. Value: an encoded PrekeyBundle.
 */
import { MAX_BUNDLE_BYTES, USER_ID_BYTES } from './constants.ts'
import type { CryptoSuite } from './crypto/suite.ts'
import { DecodeError, TooLargeError } from './errors.ts'
import { type PrekeyBundle, verifyPrekeyBundle } from './prekey-bundle.ts'
import { decodePrekeyBundle } from './prekey-bundle-codec.ts'

/** DHT namespace of prekey bundles (the text between the first two '/' of the key). */
export const BUNDLE_NAMESPACE = 'wren-bundle'
const PREFIX_BYTES = new TextEncoder().encode(`/${BUNDLE_NAMESPACE}/`)

export function bundleRecordKey(userId: Uint8Array): Uint8Array {
  if (userId.length !== USER_ID_BYTES) throw new DecodeError(`user id must be ${USER_ID_BYTES} bytes`)
  const key = new Uint8Array(PREFIX_BYTES.length + USER_ID_BYTES)
  key.set(PREFIX_BYTES, 0)
  key.set(userId, PREFIX_BYTES.length)
  return key
}

/** The user id inside a bundle record key; DecodeError when it is not one. */
export function userIdOfBundleRecordKey(key: Uint8Array): Uint8Array {
  if (key.length !== PREFIX_BYTES.length + USER_ID_BYTES)
    throw new DecodeError('bundle key has the wrong length')
  for (let i = 0; i < PREFIX_BYTES.length; i++) {
    if (key[i] !== PREFIX_BYTES[i]) throw new DecodeError('key is not in the bundle namespace')
  }
  return key.slice(PREFIX_BYTES.length)
}

/**
 * Decode a bundle record and check it fully for `userId`: size cap before parsing, signatures,
 * device certificate, user-id binding, validity window at `now`. Throws the typed error.
 */
export function checkBundleRecord(
  suite: CryptoSuite,
  userId: Uint8Array,
  value: Uint8Array,
  now: number,
): PrekeyBundle {
  if (value.length > MAX_BUNDLE_BYTES) {
    throw new TooLargeError(`bundle record of ${value.length} bytes exceeds ${MAX_BUNDLE_BYTES}`)
  }
  const bundle = decodePrekeyBundle(value)
  verifyPrekeyBundle(suite, bundle, { now, userId })
  return bundle
}

/** Index of the newest bundle (largest createdAt); undecodable values never win; ties keep the first. */
export function newestBundleIndex(values: readonly Uint8Array[]): number {
  let best = 0
  let bestAt = -1
  values.forEach((value, i) => {
    try {
      const at = decodePrekeyBundle(value).createdAt
      if (at > bestAt) {
        best = i
        bestAt = at
      }
    } catch {
      // an invalid value never wins
    }
  })
  return best
}

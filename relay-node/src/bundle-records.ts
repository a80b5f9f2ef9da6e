/**
 * The relay's kad-dht rules for Wren prekey bundles. A relay is a DHT server: devices that are
 * not publicly dialable (DHT clients, or reachable only through a relay reservation) have no
 * other place to keep their bundle. kad-dht refuses a PUT_VALUE for a namespace it has no
 * validator for, so without these rules a relay stores no bundle at all.
 *
 * Same checks as a user's node: key shape, size cap before parsing, then the full signed-bundle
 * check (signatures, device certificate, user-id binding, validity window); the selector keeps
 * the newest valid bundle. Key layout (node/src/p2p/dht-records.ts): utf8('/wren-bundle/') ‖ 16
 * raw user-id bytes.
 */
import type { SelectFn, Selectors, ValidateFn, Validators } from '@libp2p/kad-dht'
import { MAX_BUNDLE_BYTES, USER_ID_BYTES } from '../../core/src/constants.ts'
import type { Clock, CryptoSuite } from '../../core/src/crypto/suite.ts'
import { decodePrekeyBundle, verifyPrekeyBundle } from '../../core/src/prekey-bundle.ts'

/** DHT namespace of prekey bundles (the text between the first two '/' of the key). */
export const BUNDLE_NAMESPACE = 'wren-bundle'
const PREFIX_BYTES = new TextEncoder().encode(`/${BUNDLE_NAMESPACE}/`)

export class InvalidBundleRecordError extends Error {
  override name = 'InvalidBundleRecordError'
}

function userIdOfKey(key: Uint8Array): Uint8Array {
  if (key.length !== PREFIX_BYTES.length + USER_ID_BYTES)
    throw new InvalidBundleRecordError('bundle key has the wrong length')
  for (let i = 0; i < PREFIX_BYTES.length; i++) {
    if (key[i] !== PREFIX_BYTES[i]) throw new InvalidBundleRecordError('key is not in the bundle namespace')
  }
  return key.slice(PREFIX_BYTES.length)
}

export function bundleRecordValidator(suite: CryptoSuite, clock: Clock): ValidateFn {
  return async (key, value) => {
    const userId = userIdOfKey(key)
    if (value.length > MAX_BUNDLE_BYTES)
      throw new InvalidBundleRecordError(`bundle record of ${value.length} bytes exceeds ${MAX_BUNDLE_BYTES}`)
    try {
      verifyPrekeyBundle(suite, decodePrekeyBundle(value), { now: clock(), userId })
    } catch (err) {
      throw new InvalidBundleRecordError(`bundle record rejected: ${(err as Error)?.name ?? 'error'}`, {
        cause: err,
      })
    }
  }
}

/** Index of the newest bundle (largest createdAt); undecodable values never win; ties keep the first. */
export const selectNewestBundle: SelectFn = (_key, values) => {
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

export function bundleRecordRules(
  suite: CryptoSuite,
  clock: Clock,
): { validators: Validators; selectors: Selectors } {
  return {
    validators: { [BUNDLE_NAMESPACE]: bundleRecordValidator(suite, clock) },
    selectors: { [BUNDLE_NAMESPACE]: selectNewestBundle },
  }
}

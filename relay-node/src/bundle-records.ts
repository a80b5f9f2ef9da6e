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
import {
  BUNDLE_NAMESPACE,
  checkBundleRecord,
  newestBundleIndex,
  userIdOfBundleRecordKey,
} from '../../core/src/bundle-record.ts'
import type { Clock, CryptoSuite } from '../../core/src/crypto/suite.ts'

export { BUNDLE_NAMESPACE }

export class InvalidBundleRecordError extends Error {
  override name = 'InvalidBundleRecordError'
}

export function bundleRecordValidator(suite: CryptoSuite, clock: Clock): ValidateFn {
  return async (key, value) => {
    try {
      checkBundleRecord(suite, userIdOfBundleRecordKey(key), value, clock())
    } catch (err) {
      throw new InvalidBundleRecordError(`bundle record rejected: ${(err as Error)?.name ?? 'error'}`, {
        cause: err,
      })
    }
  }
}

/** Index of the newest bundle (largest createdAt); undecodable values never win; ties keep the first. */
export const selectNewestBundle: SelectFn = (_key, values) => newestBundleIndex(values)

export function bundleRecordRules(
  suite: CryptoSuite,
  clock: Clock,
): { validators: Validators; selectors: Selectors } {
  return {
    validators: { [BUNDLE_NAMESPACE]: bundleRecordValidator(suite, clock) },
    selectors: { [BUNDLE_NAMESPACE]: selectNewestBundle },
  }
}

/**
 * The DHT record rules every Wren device serves with: prekey bundles (checked against their
 * user id and the clock) and device lists. One definition, so that a daemon and any host that
 * stands in for other users (benchmarks, simulations) accept and refuse the same records.
 */

import { checkBundleRecord, newestBundleIndex } from '../../../core/src/bundle-record.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { deviceListRecordRules } from '../p2p/device-list-records.ts'
import { type NamespaceRules, userIdFromBundleKey, wrenRecordRules } from '../p2p/dht-records.ts'

export function userRecordRules(suite: CryptoSuite, now: () => number): NamespaceRules {
  return wrenRecordRules(
    {
      validateBundleRecord: async (key, value) => {
        checkBundleRecord(suite, userIdFromBundleKey(key), value, now())
      },
      selectNewestBundle: (_key, values) => newestBundleIndex(values),
    },
    deviceListRecordRules(suite),
  )
}

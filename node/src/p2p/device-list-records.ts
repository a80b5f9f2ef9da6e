/**
 * Device lists in the DHT (issue 18): the `/wren-devices/<userId>` namespace's kad-dht validator
 * and selector (core's record check and highest-valid-version selector, core/src/device-list-record.ts),
 * and bounded put/get helpers over the LAN and WAN DHTs that return network outcomes as values.
 * Registered beside the bundle namespace on user nodes (app/runtime.ts) and relays
 * (relay-node/src/relay-host.ts), so every DHT server stores and serves device lists and the
 * record guard (core/src/record-guard-datastore.ts) refuses a put of a lower version.
 */
import type { KadDHT } from '@libp2p/kad-dht'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import {
  checkDeviceListRecord,
  DEVICE_LIST_NAMESPACE,
  deviceListRecordKey,
  highestDeviceListIndex,
  userIdOfDeviceListKey,
} from '../../../core/src/device-list-record.ts'
import {
  type DhtNode,
  dhtsOf,
  type GetBundleResult,
  getNamespacedRecord,
  mergePutResults,
  type NamespaceRules,
  type PutBundleResult,
  putNamespacedRecord,
} from './dht-records.ts'
import { InvalidRecordError } from './errors.ts'

export { DEVICE_LIST_NAMESPACE }

/** The kad-dht rules of the device list namespace: full check on store, highest valid version on read. */
export function deviceListRecordRules(suite: CryptoSuite): NamespaceRules {
  return {
    validators: {
      [DEVICE_LIST_NAMESPACE]: async (key, value) => {
        try {
          checkDeviceListRecord(suite, userIdOfDeviceListKey(key), value)
        } catch (err) {
          throw new InvalidRecordError(`device list record rejected: ${(err as Error)?.name ?? 'error'}`, {
            cause: err,
          })
        }
      },
    },
    selectors: {
      [DEVICE_LIST_NAMESPACE]: (key, values) => highestDeviceListIndex(suite, key, values),
    },
  }
}

/** The DHT key of a user's device list; InvalidRecordError on a bad id. */
export function deviceListKey(userId: Uint8Array): Uint8Array {
  try {
    return deviceListRecordKey(userId)
  } catch (err) {
    throw new InvalidRecordError((err as Error).message, { cause: err })
  }
}

/** Put a device list on the LAN and WAN DHTs (validated locally first); one merged outcome. */
export async function putDeviceList(
  libp2p: DhtNode,
  userId: Uint8Array,
  bytes: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PutBundleResult> {
  const key = deviceListKey(userId)
  const results = await Promise.all(
    dhtsOf(libp2p).map(({ dht }) => putNamespacedRecord(dht, DEVICE_LIST_NAMESPACE, key, bytes, options)),
  )
  return mergePutResults(results)
}

/** putDeviceList on one bare kad-dht service (the publisher's `put`, p2p/bundle-publisher.ts). */
export function putDeviceListRecord(
  dht: KadDHT,
  userId: Uint8Array,
  bytes: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<PutBundleResult> {
  return putNamespacedRecord(dht, DEVICE_LIST_NAMESPACE, deviceListKey(userId), bytes, options)
}

/** The highest valid device list of a user found in the LAN and WAN DHTs. */
export async function getDeviceList(
  libp2p: DhtNode,
  userId: Uint8Array,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<GetBundleResult> {
  const key = deviceListKey(userId)
  const results = await Promise.all(
    dhtsOf(libp2p).map(({ dht }) => getNamespacedRecord(dht, DEVICE_LIST_NAMESPACE, key, options)),
  )
  const found = results.flatMap((r) => (r.ok ? [r.value] : []))
  if (found.length === 0) {
    return {
      ok: false,
      reason: results.some((r) => !r.ok && r.reason === 'timeout') ? 'timeout' : 'not-found',
    }
  }
  const select = libp2p.services.dht.selectors[DEVICE_LIST_NAMESPACE]
  const i = select == null || found.length === 1 ? 0 : await select(key, found)
  return { ok: true, value: (found[i] ?? found[0]) as Uint8Array }
}

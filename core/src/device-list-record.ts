/**
 * Device lists as DHT records: the key layout, the check every DHT participant (user nodes and
 * relays) applies, the selector (highest valid list version wins) and the pin rule contacts apply
 * (a list below the highest version seen is a rollback and is refused). Beside bundle-record.ts,
 * so both sides judge a record the same way.
 *
 * Key: utf8('/wren-devices/') ‖ the 16 raw user-id bytes. Value: an encoded DeviceList.
 */
import { USER_ID_BYTES } from './constants.ts'
import type { CryptoSuite } from './crypto/suite.ts'
import { type DeviceList, decodeDeviceList, MAX_DEVICE_LIST_BYTES, verifyDeviceList } from './device-list.ts'
import { DecodeError, StaleRecordError, TooLargeError } from './errors.ts'

/** DHT namespace of device lists (the text between the first two '/' of the key). */
export const DEVICE_LIST_NAMESPACE = 'wren-devices'
const PREFIX_BYTES = new TextEncoder().encode(`/${DEVICE_LIST_NAMESPACE}/`)

export function deviceListRecordKey(userId: Uint8Array): Uint8Array {
  if (userId.length !== USER_ID_BYTES) throw new DecodeError(`user id must be ${USER_ID_BYTES} bytes`)
  const key = new Uint8Array(PREFIX_BYTES.length + USER_ID_BYTES)
  key.set(PREFIX_BYTES, 0)
  key.set(userId, PREFIX_BYTES.length)
  return key
}

/** The user id inside a device list key; DecodeError when it is not one. */
export function userIdOfDeviceListKey(key: Uint8Array): Uint8Array {
  if (key.length !== PREFIX_BYTES.length + USER_ID_BYTES)
    throw new DecodeError('device list key has the wrong length')
  for (let i = 0; i < PREFIX_BYTES.length; i++) {
    if (key[i] !== PREFIX_BYTES[i]) throw new DecodeError('key is not in the device list namespace')
  }
  return key.slice(PREFIX_BYTES.length)
}

/** Decode a device list record and check it fully for `userId` (size cap first). Throws the typed error. */
export function checkDeviceListRecord(suite: CryptoSuite, userId: Uint8Array, value: Uint8Array): DeviceList {
  if (value.length > MAX_DEVICE_LIST_BYTES)
    throw new TooLargeError(`device list record of ${value.length} bytes exceeds ${MAX_DEVICE_LIST_BYTES}`)
  const list = decodeDeviceList(value)
  verifyDeviceList(suite, list, userId)
  return list
}

/**
 * Index of the winning list for `key`: the highest valid listVersion, then the latest createdAt;
 * invalid values never win; ties keep the first. 0 when none is valid (kad-dht needs an index).
 */
export function highestDeviceListIndex(
  suite: CryptoSuite,
  key: Uint8Array,
  values: readonly Uint8Array[],
): number {
  let userId: Uint8Array
  try {
    userId = userIdOfDeviceListKey(key)
  } catch {
    return 0
  }
  let best = 0
  let bestVersion = -1
  let bestAt = -1
  values.forEach((value, i) => {
    let list: DeviceList
    try {
      list = checkDeviceListRecord(suite, userId, value)
    } catch {
      return // an invalid value never wins
    }
    if (list.listVersion > bestVersion || (list.listVersion === bestVersion && list.createdAt > bestAt)) {
      best = i
      bestVersion = list.listVersion
      bestAt = list.createdAt
    }
  })
  return best
}

/**
 * The pin rule: a contact that has seen version `pinned` refuses a lower one (StaleRecordError).
 * An equal version is accepted (the same list read again, or re-signed with a new timestamp).
 */
export function checkNotRolledBack(pinned: number | undefined, list: DeviceList): void {
  if (pinned !== undefined && list.listVersion < pinned)
    throw new StaleRecordError(`device list version ${list.listVersion} is below the pinned ${pinned}`)
}

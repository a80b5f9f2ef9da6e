/**
 * The relay's kad-dht rules for Wren device lists (issue 18): `/wren-devices/<userId>`, signed by
 * the user's identity key. A relay is the DHT server for devices that are not publicly dialable,
 * and kad-dht refuses a PUT_VALUE for a namespace it has no validator for, so without these rules
 * no relay would keep a device list. Same checks as a user's node (core/src/device-list-record.ts):
 * size cap before parsing, canonical form, every signature and the user binding; the selector
 * keeps the highest valid list version, and the record guard refuses a put of a lower one.
 */
import type { Selectors, Validators } from '@libp2p/kad-dht'
import type { CryptoSuite } from '../../core/src/crypto/suite.ts'
import {
  checkDeviceListRecord,
  DEVICE_LIST_NAMESPACE,
  highestDeviceListIndex,
  userIdOfDeviceListKey,
} from '../../core/src/device-list-record.ts'

export class InvalidDeviceListRecordError extends Error {
  override name = 'InvalidDeviceListRecordError'
}

export function deviceListRecordRules(suite: CryptoSuite): { validators: Validators; selectors: Selectors } {
  return {
    validators: {
      [DEVICE_LIST_NAMESPACE]: async (key, value) => {
        try {
          checkDeviceListRecord(suite, userIdOfDeviceListKey(key), value)
        } catch (err) {
          throw new InvalidDeviceListRecordError(
            `device list record rejected: ${(err as Error)?.name ?? 'error'}`,
            { cause: err },
          )
        }
      },
    },
    selectors: { [DEVICE_LIST_NAMESPACE]: (key, values) => highestDeviceListIndex(suite, key, values) },
  }
}

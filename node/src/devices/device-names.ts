/**
 * Names the user gives devices ("laptop", "phone"), for `devices.list` and `devices.rename`.
 * They are this profile's own labels, kept in the sealed store: a name is never put in the
 * signed device list (contacts and the DHT would read it) nor sent anywhere.
 */

import { StoredRecordError } from '../storage/errors.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import type { RecordType } from '../storage/stored-record.ts'

/** Longest device name, in UTF-16 code units: a label, not a note. */
export const MAX_DEVICE_NAME_CHARS = 64
/** Names kept at most (devices of our own and contacts' lists together; old ones are dropped). */
export const MAX_DEVICE_NAMES = 256

const DEVICE_NAMES_KEY = 'devices/names'

const DEVICE_NAMES: RecordType<Record<string, string>> = {
  name: 'device names',
  version: undefined,
  decode: (key, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new StoredRecordError(key, 'device names are not an object')
    const names: Record<string, string> = {}
    for (const [id, name] of Object.entries(value)) {
      if (!/^[0-9a-f]{64}$/.test(id) || typeof name !== 'string' || name.length > MAX_DEVICE_NAME_CHARS)
        throw new StoredRecordError(key, 'a device name is malformed')
      names[id] = name
    }
    return names
  },
  encode: (names) => names,
}

export class DeviceNames {
  readonly #store: SealedStore

  constructor(store: SealedStore) {
    this.#store = store
  }

  async all(): Promise<Record<string, string>> {
    return (await this.#store.read(DEVICE_NAMES_KEY, DEVICE_NAMES)) ?? {}
  }

  /** Name a device (hex device id); an empty name removes it. Trimmed; RangeError over the cap. */
  async rename(deviceId: string, name: string): Promise<string> {
    const trimmed = name.trim()
    if (trimmed.length > MAX_DEVICE_NAME_CHARS)
      throw new RangeError(`a device name is at most ${MAX_DEVICE_NAME_CHARS} characters`)
    const names = await this.all()
    delete names[deviceId]
    if (trimmed.length > 0) names[deviceId] = trimmed
    const kept = Object.entries(names).slice(-MAX_DEVICE_NAMES)
    await this.#store.write(DEVICE_NAMES_KEY, DEVICE_NAMES, Object.fromEntries(kept))
    return trimmed
  }
}

/**
 * Per-device sessions (issue 18, Sesame-style). A contact's first session stays keyed by its user
 * id (the "main" session: the device it was started with, or the one that wrote first); every
 * other device on the contact's pinned device list gets a session of its own, keyed by a slot
 * `<userId>~<deviceKeyHex>` in the same session book, and an outbox queue under the same slot.
 * Only listed, non-revoked devices get a slot: an unlisted device that writes (a restored profile
 * before its list arrives) replaces the main session as before.
 */
import { bytesEqual, fromHex, toHex } from '../../../core/src/bytes.ts'
import type { ContactRecord } from './records.ts'

/** Separates the user id from the device key in a slot (user ids are base58: no '~'). */
const SLOT_SEPARATOR = '~'

export interface ListedDevice {
  readonly deviceKey: Uint8Array
  readonly devicePeerId: Uint8Array
}

/** The slot of `userId`'s device `deviceKey`. */
export function deviceSlot(userId: string, deviceKey: Uint8Array): string {
  return `${userId}${SLOT_SEPARATOR}${toHex(deviceKey)}`
}

export function isDeviceSlot(key: string): boolean {
  return key.includes(SLOT_SEPARATOR)
}

/** The user id and device key of a slot; null for a plain user id. */
export function parseDeviceSlot(key: string): { userId: string; deviceKey: Uint8Array } | null {
  const at = key.indexOf(SLOT_SEPARATOR)
  if (at < 0) return null
  return { userId: key.slice(0, at), deviceKey: fromHex(key.slice(at + 1)) }
}

/** The contact's pinned, non-revoked device with `deviceKey`, if any. */
export function listedDevice(contact: ContactRecord | undefined, deviceKey: Uint8Array): ListedDevice | null {
  const list = contact?.deviceList
  if (list === undefined) return null
  if (list.revoked.some((k) => bytesEqual(k, deviceKey))) return null
  return list.devices.find((d) => bytesEqual(d.deviceKey, deviceKey)) ?? null
}

/**
 * The devices that get a copy of what goes to the contact: every pinned, non-revoked device but
 * the main session's. None while the main session's device is not on the list itself (an old
 * list, or a list not read yet): then the main session is the only one, as before issue 18.
 */
export function otherDevices(contact: ContactRecord, mainDeviceKey: Uint8Array): ListedDevice[] {
  if (listedDevice(contact, mainDeviceKey) === null) return []
  const list = contact.deviceList
  if (list === undefined) return []
  return list.devices.filter(
    (d) => !bytesEqual(d.deviceKey, mainDeviceKey) && listedDevice(contact, d.deviceKey) !== null,
  )
}

/**
 * The session-book key for an envelope from the contact's device `senderDeviceKey` while the main
 * session is with `mainDeviceKey`: the main key (the user id) for the same device or for an
 * unlisted one, else the device's slot.
 */
export function sessionKeyFor(
  contact: ContactRecord | undefined,
  userId: string,
  mainDeviceKey: Uint8Array | null,
  senderDeviceKey: Uint8Array,
): string {
  if (mainDeviceKey === null || bytesEqual(mainDeviceKey, senderDeviceKey)) return userId
  if (contact === undefined) return userId
  if (listedDevice(contact, senderDeviceKey) === null || listedDevice(contact, mainDeviceKey) === null)
    return userId
  return deviceSlot(userId, senderDeviceKey)
}

/**
 * Our own other devices (issue 18): our own device list, as this device holds it, read as if it
 * were a contact's pinned list, so the device-slot code (device-slots.ts) serves both. Used by
 * sent transcripts (sent-transcripts.ts) and by inbound, which takes our own user id only from a
 * device on this list.
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import { type ListedDevice, listedDevice } from './device-slots.ts'
import type { ContactRecord } from './records.ts'

/** App payload kind of a sent transcript (after APP_DEVICE_LIST = 40). */
export const APP_SENT_TRANSCRIPT = 41

/**
 * Our own identity as a contact record for the device-slot code: our own device list in place of
 * a pinned one. Undefined without a list (a messenger built without devices).
 */
export function ownContact(
  userId: string,
  identityKey: Uint8Array,
  list: DeviceList | null,
): ContactRecord | undefined {
  if (list === null) return undefined
  return {
    userId,
    displayName: '',
    identityKey,
    verified: true,
    keyChanged: false,
    pendingIdentityKey: null,
    addedAt: 0,
    devicePeerId: null,
    addrs: [],
    deviceList: {
      version: list.listVersion,
      devices: list.devices.map((d) => ({
        deviceKey: d.deviceKey,
        devicePeerId: d.devicePeerId,
        createdAt: d.createdAt,
      })),
      revoked: list.revocations.map((r) => r.deviceKey),
      checkedAt: 0,
    },
  }
}

/** Our other listed, non-revoked devices: the ones that get a transcript. */
export function ownOtherDevices(own: ContactRecord | undefined, ourDeviceKey: Uint8Array): ListedDevice[] {
  const devices = own?.deviceList?.devices ?? []
  return devices.filter(
    (d) => !bytesEqual(d.deviceKey, ourDeviceKey) && listedDevice(own, d.deviceKey) !== null,
  )
}

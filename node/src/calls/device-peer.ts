/**
 * Where a call's bound device is on the network: the libp2p PeerId of a contact's device, by the
 * device key its signals were sealed with (AppDelivery.senderDeviceKey). A device on the
 * contact's pinned device list has its PeerId there; otherwise it is the device of the main
 * session (a contact with one device, or before its list arrived). Null when neither knows it:
 * the call's signals then stay on the pairwise session.
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import { listedDevice } from '../messaging/device-slots.ts'
import type { ContactRecord } from '../messaging/records.ts'
import type { DeviceSessions } from '../messaging/session-book.ts'

export interface DevicePeerSources {
  getContact(userId: string): Promise<ContactRecord | undefined>
  sessionsOf(userId: string): Promise<DeviceSessions | null>
}

export function devicePeerLookup(
  sources: DevicePeerSources,
): (userId: string, deviceKey: Uint8Array) => Promise<Uint8Array | null> {
  return async (userId, deviceKey) => {
    const listed = listedDevice(await sources.getContact(userId), deviceKey)
    if (listed !== null) return listed.devicePeerId
    const main = await sources.sessionsOf(userId)
    return main !== null && bytesEqual(main.deviceKey, deviceKey) ? main.devicePeerId : null
  }
}

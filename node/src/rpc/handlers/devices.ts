/** devices.*: this identity's device list, or a contact's pinned one (node/src/devices, issue 18). */
import { fromHex, toHex } from '../../../../core/src/bytes.ts'
import { formatUserId } from '../../../../core/src/identity.ts'
import { peerIdFromBytes } from '../../messaging/peer-ids.ts'
import type { DeviceList } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'
import { deviceLinkHandlers } from './devices-link.ts'

export function devicesHandlers(deps: HandlerDeps): NamespaceHandlers<'devices'> {
  const { node } = deps
  return {
    ...deviceLinkHandlers(deps),
    'devices.revoke': async ({ deviceId }) => {
      const runtime = node.runtime()
      return runtime.devices.revoke(fromHex(deviceId), runtime.messenger)
    },
    'devices.list': async ({ userId }): Promise<DeviceList> => {
      const runtime = node.runtime()
      if (userId === undefined) {
        const { list, certificate } = runtime.devices.own
        return {
          userId: formatUserId(list.userId),
          version: list.listVersion,
          devices: list.devices.map((d) => ({
            deviceId: toHex(d.deviceKey),
            peerId: peerIdFromBytes(d.devicePeerId).toString(),
            createdAt: d.createdAt,
            current: toHex(d.deviceKey) === toHex(certificate.deviceKey),
          })),
          revoked: list.revocations.map((r) => toHex(r.deviceKey)),
        }
      }
      const contact = await runtime.messenger.requireContact(userId)
      const pinned = contact.deviceList
      return {
        userId,
        version: pinned?.version ?? 0,
        devices: (pinned?.devices ?? []).map((d) => ({
          deviceId: toHex(d.deviceKey),
          peerId: peerIdFromBytes(d.devicePeerId).toString(),
          createdAt: d.createdAt,
          current: false,
        })),
        revoked: (pinned?.revoked ?? []).map((k) => toHex(k)),
      }
    },
  }
}

/** devices.*: this identity's device list, or a contact's pinned one (node/src/devices, issue 18). */
import { fromHex, toHex } from '../../../../core/src/bytes.ts'
import { formatUserId } from '../../../../core/src/identity.ts'
import { DeviceNames } from '../../devices/device-names.ts'
import { UnknownDeviceError } from '../../devices/errors.ts'
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
    'devices.rename': async ({ deviceId, name }) => {
      const runtime = node.runtime()
      if (!runtime.devices.own.list.devices.some((d) => toHex(d.deviceKey) === deviceId))
        throw new UnknownDeviceError("no such device on this identity's list")
      return { deviceId, name: await new DeviceNames(runtime.vault.store).rename(deviceId, name) }
    },
    'devices.list': async ({ userId }): Promise<DeviceList> => {
      const runtime = node.runtime()
      if (userId === undefined) {
        const { list, certificate } = runtime.devices.own
        const names = await new DeviceNames(runtime.vault.store).all()
        return {
          userId: formatUserId(list.userId),
          version: list.listVersion,
          devices: list.devices.map((d) => ({
            deviceId: toHex(d.deviceKey),
            peerId: peerIdFromBytes(d.devicePeerId).toString(),
            createdAt: d.createdAt,
            current: toHex(d.deviceKey) === toHex(certificate.deviceKey),
            ...(names[toHex(d.deviceKey)] !== undefined ? { name: names[toHex(d.deviceKey)] } : {}),
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

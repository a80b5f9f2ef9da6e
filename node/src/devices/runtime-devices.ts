/**
 * The devices part of a running node (issue 18), built by the composition root (app/runtime.ts):
 * contacts' lists (read on lookup, pushed by contacts, pinned), and the push of this identity's
 * own list to every contact when its version is newer than the one last pushed (a restored
 * profile's first start: its contacts then start sessions with the new device).
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { decodeDeviceList } from '../../../core/src/device-list.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import type { Logger } from '../log.ts'
import type { AppHandler } from '../messaging/app-payloads.ts'
import type { ContactRecord } from '../messaging/records.ts'
import type { DhtNode } from '../p2p/dht-records.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { APP_DEVICE_LIST, ContactDeviceLists, type DeviceListChange } from './contact-device-lists.ts'
import { RevokeRefusedError, UnknownDeviceError } from './errors.ts'
import {
  adoptOwnDeviceList,
  listWithoutDevice,
  markDeviceListPushed,
  type OwnDeviceList,
} from './own-device-list.ts'

/** What the devices part needs of the messenger (narrow, no reach-ins). */
export interface DevicesPairwise {
  registerApp(appKind: number, handler: AppHandler): void
  sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void>
  updateContact(
    userId: string,
    change: (contact: ContactRecord) => ContactRecord | null,
  ): Promise<ContactRecord | null>
  /** A contact's newer list was pinned: drop what its revoked devices had. */
  devicesChanged(userId: string): Promise<void>
  /** A contact's newer list added a device: our recent texts to the contact go to it too. */
  resendToNewDevices(userId: string): Promise<number>
}

export interface DevicesInit {
  suite: CryptoSuite
  store: SealedStore
  libp2p: DhtNode
  /** The own list; `adoptLinked` replaces `current` (the DHT publisher reads it there). */
  own: { current: OwnDeviceList }
  /** Put the current own list in the DHTs now (the publisher's schedule keeps it there after). */
  republish: () => Promise<void>
  getContact: (userId: string) => Promise<ContactRecord | undefined>
  /** Sign with the identity key (devices.revoke signs the next list). */
  identity: IdentityKeyPair
  /** Tell a revoked device (devices/revocation-notice.ts); false when it could not be reached. */
  tellRevoked: (devicePeerId: Uint8Array, bytes: Uint8Array) => Promise<boolean>
  listContacts: () => Promise<ContactRecord[]>
  log: Logger
  now: () => number
}

export interface RuntimeDevices {
  readonly own: OwnDeviceList
  readonly contacts: ContactDeviceLists
  /** Register the push handler (before the messenger delivers anything). */
  attach(pairwise: DevicesPairwise): void
  /** Push the own list to every contact when it is newer than the last push (after start). */
  pushIfNewer(pairwise: DevicesPairwise): Promise<void>
  /**
   * A linked device has everything (devices/link-primary.ts): store the list that has it, put
   * it in the DHTs and push it to every contact.
   */
  adoptLinked(bytes: Uint8Array, pairwise: DevicesPairwise): Promise<void>
  /**
   * Revoke another device of this identity: list version + 1 without it and with its revocation,
   * stored, put in the DHTs, pushed to every contact, and the device told (it locks itself).
   */
  revoke(deviceKey: Uint8Array, pairwise: DevicesPairwise): Promise<{ version: number; told: boolean }>
  /**
   * Also tell `listener` when a contact's newer list is pinned, after the messenger dropped what
   * its revoked devices had (the groups rotate or resend their Sender Keys then).
   */
  onContactDevicesChanged(listener: ContactDevicesListener): void
  /** Also tell `listener` when this device adopts an own list it linked or revoked a device on. */
  onOwnDevicesChanged(listener: OwnDevicesListener): void
}

/** Told of our own new list: what it changed, and the revoked device keys (hex). */
export type OwnDevicesListener = (change: DeviceListChange, revoked: ReadonlySet<string>) => Promise<void>

/** Told of a contact's newly pinned list and what it changed. */
export type ContactDevicesListener = (userId: string, change: DeviceListChange) => Promise<void>

export function runtimeDevices(init: DevicesInit, pairwise: DevicesPairwise): RuntimeDevices {
  const listeners: ContactDevicesListener[] = []
  const ownListeners: OwnDevicesListener[] = []
  const contacts = new ContactDeviceLists({
    suite: init.suite,
    libp2p: init.libp2p,
    getContact: init.getContact,
    updateContact: (userId, change) => pairwise.updateContact(userId, change),
    onPinned: async (userId, change) => {
      await pairwise.devicesChanged(userId)
      // what we wrote between its link and this pin never reached the new device
      if (change.added)
        await pairwise
          .resendToNewDevices(userId)
          .catch((err) => init.log.warn('resend to a new device failed', { error: (err as Error)?.name }))
      for (const listener of listeners)
        await listener(userId, change).catch((err) =>
          init.log.warn('device list listener failed', { error: (err as Error)?.name }),
        )
    },
    log: init.log,
    now: init.now,
  })
  const devices: RuntimeDevices = {
    get own() {
      return init.own.current
    },
    contacts,
    onContactDevicesChanged(listener) {
      listeners.push(listener)
    },
    onOwnDevicesChanged(listener) {
      ownListeners.push(listener)
    },
    attach(p) {
      p.registerApp(APP_DEVICE_LIST, (delivery) => contacts.onPushed(delivery))
    },
    async pushIfNewer(p) {
      const { list, bytes, pushedVersion } = init.own.current
      if (pushedVersion >= list.listVersion) return
      const peers = (await init.listContacts()).map((c) => c.userId)
      if (peers.length > 0) await p.sendApp(peers, APP_DEVICE_LIST, bytes)
      await markDeviceListPushed(init.store, list.listVersion)
      init.own.current = { ...init.own.current, pushedVersion: list.listVersion }
      init.log.info('device list pushed to contacts', { version: list.listVersion, contacts: peers.length })
    },
    async adoptLinked(bytes, p) {
      const record = await adoptOwnDeviceList(init.store, bytes)
      const list = decodeDeviceList(bytes)
      const before = init.own.current.list
      init.own.current = { ...init.own.current, list, bytes, pushedVersion: record.pushedVersion }
      void init.republish().catch((err) => init.log.warn('device list put failed', { error: String(err) }))
      await devices.pushIfNewer(p)
      const change = {
        added: list.devices.some((d) => !before.devices.some((o) => bytesEqual(o.deviceKey, d.deviceKey))),
        revoked: list.revocations.length > before.revocations.length,
      }
      const revoked = new Set(list.revocations.map((r) => toHex(r.deviceKey)))
      for (const listener of ownListeners)
        await listener(change, revoked).catch((err) =>
          init.log.warn('own device list listener failed', { error: (err as Error)?.name }),
        )
    },
    async revoke(deviceKey, p) {
      const { list, certificate } = init.own.current
      if (bytesEqual(deviceKey, certificate.deviceKey)) throw new RevokeRefusedError('this device')
      const device = list.devices.find((d) => bytesEqual(d.deviceKey, deviceKey))
      if (device === undefined) throw new UnknownDeviceError('no such device on the list')
      const next = listWithoutDevice(init.suite, init.identity, list, deviceKey, init.now())
      await devices.adoptLinked(next.bytes, p)
      const told = await init.tellRevoked(device.devicePeerId, next.bytes)
      init.log.info('device revoked', { version: next.list.listVersion, told })
      return { version: next.list.listVersion, told }
    },
  }
  return devices
}

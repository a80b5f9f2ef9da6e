/**
 * This identity's device list (issue 18), as this device keeps it: the signed list it publishes
 * at /wren-devices/<userId> (core/src/device-list.ts), stored at FIXED_KEYS.deviceList with the
 * version last pushed to the contacts.
 *
 * `ensureOwnDeviceList` runs at every node start and signs a new version only when something
 * changed:
 *   - no list yet (a new identity, or a profile from before device lists): version 1 with this
 *     one device, its certificate dated at the identity's creation (the one bundles always had);
 *   - this device is not on the stored list (a profile restored from a backup is a NEW device of
 *     the identity: node/src/backup): version + 1 with this device added, dated now;
 *   - the identity key was rotated: version + 1 with every certificate re-signed by the new key.
 */
import { z } from 'zod'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { type DeviceCertificate, signDeviceCertificate } from '../../../core/src/device-certificate.ts'
import {
  type DeviceList,
  decodeDeviceList,
  encodeDeviceList,
  signDeviceList,
} from '../../../core/src/device-list.ts'
import type { IdentityKeyPair } from '../../../core/src/identity.ts'
import type { IdentitySuccession } from '../../../core/src/identity-succession.ts'
import { FIXED_KEYS } from '../storage/layout.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { recordBytes, versionedRecord } from '../storage/stored-record.ts'

const OwnDeviceListSchema = z.object({
  /** The encoded signed list (core/src/device-list.ts). */
  list: recordBytes,
  /** The highest list version pushed to every contact over the pairwise sessions (0: none). */
  pushedVersion: z.number().int().min(0),
})
export type OwnDeviceListRecord = z.output<typeof OwnDeviceListSchema>
export const OWN_DEVICE_LIST = versionedRecord('own device list', OwnDeviceListSchema)

export interface OwnDeviceListInit {
  suite: CryptoSuite
  store: SealedStore
  identity: IdentityKeyPair
  userId: Uint8Array
  succession: IdentitySuccession | null
  /** This device: its libp2p PeerId bytes and Ed25519 device key. */
  devicePeerId: Uint8Array
  deviceKey: Uint8Array
  /** When the identity was created: the first device's certificate date. */
  identityCreatedAt: number
  now: number
}

export interface OwnDeviceList {
  readonly list: DeviceList
  readonly bytes: Uint8Array
  /** This device's certificate on the list (the one its prekey bundle carries). */
  readonly certificate: DeviceCertificate
  readonly pushedVersion: number
}

export async function readOwnDeviceList(store: SealedStore): Promise<OwnDeviceListRecord | undefined> {
  return store.read(FIXED_KEYS.deviceList, OWN_DEVICE_LIST)
}

/** Record that `version` reached every contact (or was queued to every one). */
export async function markDeviceListPushed(store: SealedStore, version: number): Promise<void> {
  const current = await readOwnDeviceList(store)
  if (current === undefined || current.pushedVersion >= version) return
  await store.write(FIXED_KEYS.deviceList, OWN_DEVICE_LIST, { ...current, pushedVersion: version })
}

/** The current list, signing and storing a new version when needed (see the file comment). */
export async function ensureOwnDeviceList(init: OwnDeviceListInit): Promise<OwnDeviceList> {
  const { suite, identity } = init
  const stored = await readOwnDeviceList(init.store)
  const previous = stored === undefined ? null : decodeDeviceList(stored.list)
  const pushedVersion = stored?.pushedVersion ?? 0
  const mine = previous?.devices.find((d) => bytesEqual(d.deviceKey, init.deviceKey))
  const sameKey = previous !== null && bytesEqual(previous.identityKey, identity.publicKey)
  if (previous !== null && mine !== undefined && sameKey && stored !== undefined) {
    return { list: previous, bytes: stored.list, certificate: mine, pushedVersion }
  }
  const resign = (cert: DeviceCertificate): DeviceCertificate =>
    bytesEqual(cert.identityKey, identity.publicKey)
      ? cert
      : signDeviceCertificate(suite, identity, {
          devicePeerId: cert.devicePeerId,
          deviceKey: cert.deviceKey,
          createdAt: cert.createdAt,
        })
  const others = (previous?.devices ?? []).filter((d) => !bytesEqual(d.deviceKey, init.deviceKey)).map(resign)
  const certificate =
    mine !== undefined
      ? resign(mine)
      : signDeviceCertificate(suite, identity, {
          devicePeerId: init.devicePeerId,
          deviceKey: init.deviceKey,
          createdAt: previous === null ? init.identityCreatedAt : init.now,
        })
  const list = signDeviceList(suite, identity, {
    userId: init.userId,
    succession: init.succession,
    listVersion: (previous?.listVersion ?? 0) + 1,
    devices: [...others, certificate],
    revocations: previous?.revocations ?? [],
    createdAt: init.now,
  })
  const bytes = encodeDeviceList(list)
  await init.store.write(FIXED_KEYS.deviceList, OWN_DEVICE_LIST, { list: bytes, pushedVersion })
  return { list, bytes, certificate, pushedVersion }
}

/**
 * The next version of the own list with a linked device on it (devices/link-primary.ts): its
 * certificate signed now by the identity key. Not stored: `adoptOwnDeviceList` does that once the
 * new device has everything.
 */
export function listWithDevice(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  current: DeviceList,
  device: { devicePeerId: Uint8Array; deviceKey: Uint8Array; now: number },
): { list: DeviceList; bytes: Uint8Array } {
  const certificate = signDeviceCertificate(suite, identity, {
    devicePeerId: device.devicePeerId,
    deviceKey: device.deviceKey,
    createdAt: device.now,
  })
  const list = signDeviceList(suite, identity, {
    userId: current.userId,
    succession: current.succession,
    listVersion: current.listVersion + 1,
    devices: [...current.devices.filter((d) => !bytesEqual(d.deviceKey, device.deviceKey)), certificate],
    revocations: current.revocations,
    createdAt: device.now,
  })
  return { list, bytes: encodeDeviceList(list) }
}

/**
 * The next version of the own list without `deviceKey` and with its revocation (devices.revoke):
 * a revoked device key never comes back (core/src/device-list.ts).
 */
export function listWithoutDevice(
  suite: CryptoSuite,
  identity: IdentityKeyPair,
  current: DeviceList,
  deviceKey: Uint8Array,
  now: number,
): { list: DeviceList; bytes: Uint8Array } {
  const list = signDeviceList(suite, identity, {
    userId: current.userId,
    succession: current.succession,
    listVersion: current.listVersion + 1,
    devices: current.devices.filter((d) => !bytesEqual(d.deviceKey, deviceKey)),
    revocations: [...current.revocations, { deviceKey, revokedAt: now }],
    createdAt: now,
  })
  return { list, bytes: encodeDeviceList(list) }
}

/** Store a newer own list (its push is still to do: pushedVersion is kept). */
export async function adoptOwnDeviceList(
  store: SealedStore,
  bytes: Uint8Array,
): Promise<OwnDeviceListRecord> {
  const current = await readOwnDeviceList(store)
  const record = { list: bytes, pushedVersion: current?.pushedVersion ?? 0 }
  await store.write(FIXED_KEYS.deviceList, OWN_DEVICE_LIST, record)
  return record
}

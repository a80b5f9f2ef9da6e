/**
 * The devices part of a running node (issue 18), built by the composition root (app/runtime.ts):
 * contacts' lists (read on lookup, pushed by contacts, pinned), and the push of this identity's
 * own list to every contact when its version is newer than the one last pushed (a restored
 * profile's first start: its contacts then start sessions with the new device).
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { Logger } from '../log.ts'
import type { AppHandler } from '../messaging/app-payloads.ts'
import type { ContactRecord } from '../messaging/records.ts'
import type { DhtNode } from '../p2p/dht-records.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { APP_DEVICE_LIST, ContactDeviceLists } from './contact-device-lists.ts'
import { markDeviceListPushed, type OwnDeviceList } from './own-device-list.ts'

/** What the devices part needs of the messenger (narrow, no reach-ins). */
export interface DevicesPairwise {
  registerApp(appKind: number, handler: AppHandler): void
  sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void>
  updateContact(
    userId: string,
    change: (contact: ContactRecord) => ContactRecord | null,
  ): Promise<ContactRecord | null>
}

export interface DevicesInit {
  suite: CryptoSuite
  store: SealedStore
  libp2p: DhtNode
  own: OwnDeviceList
  getContact: (userId: string) => Promise<ContactRecord | undefined>
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
}

export function runtimeDevices(init: DevicesInit, pairwise: DevicesPairwise): RuntimeDevices {
  const contacts = new ContactDeviceLists({
    suite: init.suite,
    libp2p: init.libp2p,
    getContact: init.getContact,
    updateContact: (userId, change) => pairwise.updateContact(userId, change),
    log: init.log,
    now: init.now,
  })
  return {
    own: init.own,
    contacts,
    attach(p) {
      p.registerApp(APP_DEVICE_LIST, (delivery) => contacts.onPushed(delivery))
    },
    async pushIfNewer(p) {
      const { list, bytes, pushedVersion } = init.own
      if (pushedVersion >= list.listVersion) return
      const peers = (await init.listContacts()).map((c) => c.userId)
      if (peers.length > 0) await p.sendApp(peers, APP_DEVICE_LIST, bytes)
      await markDeviceListPushed(init.store, list.listVersion)
      init.log.info('device list pushed to contacts', { version: list.listVersion, contacts: peers.length })
    },
  }
}

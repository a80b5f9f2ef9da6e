/**
 * Reading device lists back from the DHT (issue 18). Pushes over the pairwise sessions reach
 * contacts only, and a push can be lost (a contact offline past the mailbox TTL), so this node
 * also reads the lists:
 *   - every contact's, on a schedule (ContactDeviceLists.refresh keeps each one at most every
 *     DEVICE_LIST_REFRESH_MS) and at once on a session error from that contact (an envelope from
 *     a device its pinned list does not have, or one that does not decrypt), at most every
 *     SESSION_ERROR_REFRESH_MS per contact;
 *   - our own, on the same schedule and when a device of ours not on our list writes to us: a
 *     newer list signed by our identity key is adopted (another device of ours linked or revoked
 *     one; its signer already pushed it to the contacts), a list that revokes this device locks it
 *     (as the revocation notice does), and an older one is a rollback and is refused.
 * The highest version seen stays: lower versions are refused for contacts and for ourselves.
 */
import { type RepeatingTask, repeatingTask } from '@libp2p/utils'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import { checkDeviceListRecord } from '../../../core/src/device-list-record.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import type { Logger } from '../log.ts'
import type { ContactRecord } from '../messaging/records.ts'
import { getDeviceList } from '../p2p/device-list-records.ts'
import type { DhtNode } from '../p2p/dht-records.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import {
  type ContactDeviceLists,
  DEVICE_LIST_LOOKUP_TIMEOUT_MS,
  DEVICE_LIST_REFRESH_MS,
} from './contact-device-lists.ts'
import { adoptOwnDeviceList, markDeviceListPushed, type OwnDeviceList } from './own-device-list.ts'

/** How often the lists are read again (each contact's at most every DEVICE_LIST_REFRESH_MS). */
export const DEVICE_LIST_SWEEP_MS = DEVICE_LIST_REFRESH_MS
/**
 * A session error asks the DHT again for that user's list at most this often (60 s): a contact
 * whose envelopes keep failing must not turn every envelope into a DHT query.
 */
export const SESSION_ERROR_REFRESH_MS = 60_000
/** Bound on one sweep over every contact (a DHT lookup each, one at a time). */
export const DEVICE_LIST_SWEEP_TIMEOUT_MS = 5 * 60 * 1000

/** What reading our own list from the DHT did. */
export type OwnListOutcome = 'adopted' | 'unchanged' | 'rollback' | 'revoked' | 'other-key' | 'not-listed'

/**
 * What to do with our own list `found` (checked: signed by our identity) while we hold `current`
 * (pure). A list that revokes this device wins over every other outcome but a rollback.
 */
export function ownListOutcome(
  current: DeviceList,
  found: DeviceList,
  deviceKey: Uint8Array,
): OwnListOutcome {
  if (found.listVersion < current.listVersion) return 'rollback'
  if (found.listVersion === current.listVersion) return 'unchanged'
  // an identity key rotated elsewhere comes through identity succession, not through this path
  if (!bytesEqual(found.identityKey, current.identityKey)) return 'other-key'
  if (found.revocations.some((r) => bytesEqual(r.deviceKey, deviceKey))) return 'revoked'
  if (!found.devices.some((d) => bytesEqual(d.deviceKey, deviceKey))) return 'not-listed'
  return 'adopted'
}

export interface DeviceListRefreshInit {
  suite: CryptoSuite
  libp2p: DhtNode
  userId: Uint8Array
  deviceKey: Uint8Array
  store: SealedStore
  own: { current: OwnDeviceList }
  contacts: ContactDeviceLists
  listContacts: () => Promise<ContactRecord[]>
  /** A newer own list revokes this device: lock (node-lifecycle.ts). */
  onRevoked: () => void
  log: Logger
  now: () => number
}

export class DeviceListRefresh {
  readonly #init: DeviceListRefreshInit
  readonly #me: string
  readonly #lastError = new Map<string, number>()
  #task: RepeatingTask | null = null
  #stopped = false

  constructor(init: DeviceListRefreshInit) {
    this.#init = init
    this.#me = formatUserId(init.userId)
  }

  start(): void {
    this.#task = repeatingTask((options) => this.sweep(options?.signal), DEVICE_LIST_SWEEP_MS, {
      timeout: DEVICE_LIST_SWEEP_TIMEOUT_MS,
    })
    this.#task.start()
  }

  stop(): void {
    this.#stopped = true
    this.#task?.stop()
  }

  /** Our own list, then every contact's (each skipped when read recently). Never throws. */
  async sweep(signal?: AbortSignal): Promise<void> {
    await this.refreshOwn()
    const contacts = await this.#init.listContacts().catch(() => [] as ContactRecord[])
    for (const contact of contacts) {
      if (this.#stopped || signal?.aborted === true) return
      await this.#init.contacts.refresh(contact.userId)
    }
  }

  /**
   * A session error from `userId` (a contact, or one of our own devices): its list is read from
   * the DHT now, at most every SESSION_ERROR_REFRESH_MS.
   */
  sessionError(userId: string): void {
    if (this.#stopped) return
    const now = this.#init.now()
    const last = this.#lastError.get(userId)
    if (last !== undefined && now - last < SESSION_ERROR_REFRESH_MS) return
    this.#lastError.set(userId, now)
    this.#init.log.debug('device list read after a session error')
    if (userId === this.#me) void this.refreshOwn()
    else void this.#init.contacts.refresh(userId, true)
  }

  /** Read our own list from the DHT and act on it (see ownListOutcome); null when none was found. */
  async refreshOwn(): Promise<OwnListOutcome | null> {
    const { suite, libp2p, userId, own, log } = this.#init
    if (this.#stopped) return null
    try {
      const found = await getDeviceList(libp2p, userId, { timeoutMs: DEVICE_LIST_LOOKUP_TIMEOUT_MS })
      if (!found.ok || this.#stopped) return null
      const list = checkDeviceListRecord(suite, userId, found.value)
      const outcome = ownListOutcome(own.current.list, list, this.#init.deviceKey)
      if (outcome === 'rollback')
        log.warn('own device list rolled back in the DHT: refused', { version: list.listVersion })
      else if (outcome === 'revoked') {
        log.warn('the DHT holds a newer own device list that revokes this device')
        this.#init.onRevoked()
      } else if (outcome === 'adopted') {
        await adoptOwnDeviceList(this.#init.store, found.value)
        // the device that signed it pushed it to the contacts: this one does not push it again
        await markDeviceListPushed(this.#init.store, list.listVersion)
        const certificate = list.devices.find((d) => bytesEqual(d.deviceKey, this.#init.deviceKey))
        own.current = {
          list,
          bytes: found.value,
          certificate: certificate ?? own.current.certificate,
          pushedVersion: Math.max(own.current.pushedVersion, list.listVersion),
        }
        log.info('newer own device list adopted from the DHT', { version: list.listVersion })
      } else if (outcome !== 'unchanged') log.warn('own device list in the DHT not adopted', { outcome })
      return outcome
    } catch (err) {
      log.debug('own device list refresh failed', { error: (err as Error)?.name })
      return null
    }
  }
}

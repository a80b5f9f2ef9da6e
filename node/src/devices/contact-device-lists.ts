/**
 * Contacts' device lists (issue 18): read from the DHT when a contact is looked up (its bundle was
 * read), or pushed by the contact over the pairwise session when its list changes (app payload
 * APP_DEVICE_LIST); checked fully (core/src/device-list-record.ts) and pinned in the contact
 * record. The highest version seen stays pinned: a lower one later is a rollback and is refused.
 * A list signed by another identity key than the contact's pinned one is not pinned (key changes
 * go through the bundle path and contacts.acceptKeyChange).
 *
 * The messenger keeps a session per listed device (messaging/device-slots.ts) and drops the
 * sessions and queues of revoked ones when a list is pinned (`onPinned`).
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { DeviceList } from '../../../core/src/device-list.ts'
import { checkDeviceListRecord, checkNotRolledBack } from '../../../core/src/device-list-record.ts'
import { StaleRecordError } from '../../../core/src/errors.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type { Logger } from '../log.ts'
import type { AppDelivery, AppEffect } from '../messaging/app-payloads.ts'
import type { ContactRecord } from '../messaging/records.ts'
import { getDeviceList } from '../p2p/device-list-records.ts'
import type { DhtNode } from '../p2p/dht-records.ts'

/** App payload kind of a pushed device list (the encoded signed list). */
export const APP_DEVICE_LIST = 40
/** Bound on one DHT lookup of a contact's list: it runs in the background, never before a send. */
export const DEVICE_LIST_LOOKUP_TIMEOUT_MS = 15_000
/** A contact's list is read from the DHT at most this often (each bundle read would ask again). */
export const DEVICE_LIST_REFRESH_MS = 10 * 60 * 1000
/**
 * A lookup that found nothing is tried again this much later, up to DEVICE_LIST_LOOKUP_RETRIES
 * times: a contact added right after both nodes started asks before the list reached the DHT.
 */
export const DEVICE_LIST_RETRY_MS = 10_000
export const DEVICE_LIST_LOOKUP_RETRIES = 3

/**
 * What a newly pinned list changed against the one pinned before: a device added, a device
 * revoked. The first list pinned for a contact counts as adding when it has more than one device
 * (until then only the device we first spoke with was known) and as revoking when it revokes any.
 */
export interface DeviceListChange {
  readonly added: boolean
  readonly revoked: boolean
}

/** The change from the pinned `before` (undefined: none yet) to `list`. */
export function deviceListChange(before: ContactRecord['deviceList'], list: DeviceList): DeviceListChange {
  const revoked = list.revocations.some(
    (r) => !(before?.revoked ?? []).some((k) => bytesEqual(k, r.deviceKey)),
  )
  const added =
    before === undefined
      ? list.devices.length > 1
      : list.devices.some((d) => !before.devices.some((o) => bytesEqual(o.deviceKey, d.deviceKey)))
  return { added, revoked }
}

/** What pinning a list did. */
export type PinOutcome = 'pinned' | 'unchanged' | 'rollback' | 'invalid' | 'other-key' | 'unknown-contact'

/** The parts of the node this service uses (narrow: no messenger reach-ins). */
export interface ContactDeviceListsInit {
  suite: CryptoSuite
  libp2p: DhtNode
  getContact: (userId: string) => Promise<ContactRecord | undefined>
  updateContact: (
    userId: string,
    change: (contact: ContactRecord) => ContactRecord | null,
  ) => Promise<ContactRecord | null>
  /** A newer list was pinned (its revocations are applied by the messenger, then the groups). */
  onPinned?: (userId: string, change: DeviceListChange) => Promise<void>
  log: Logger
  now: () => number
}

/** The contact record with `list` pinned, or why not (pure: the caller writes it). */
export function pinnedContact(
  contact: ContactRecord,
  list: DeviceList,
  now: number,
): { contact: ContactRecord; outcome: PinOutcome } {
  if (!bytesEqual(list.identityKey, contact.identityKey)) return { contact, outcome: 'other-key' }
  try {
    checkNotRolledBack(contact.deviceList?.version, list)
  } catch (err) {
    if (err instanceof StaleRecordError) return { contact, outcome: 'rollback' }
    throw err
  }
  const unchanged = contact.deviceList?.version === list.listVersion
  return {
    outcome: unchanged ? 'unchanged' : 'pinned',
    contact: {
      ...contact,
      deviceList: {
        version: list.listVersion,
        devices: list.devices.map((d) => ({
          deviceKey: d.deviceKey,
          devicePeerId: d.devicePeerId,
          createdAt: d.createdAt,
        })),
        revoked: list.revocations.map((r) => r.deviceKey),
        checkedAt: now,
      },
    },
  }
}

export class ContactDeviceLists {
  readonly #init: ContactDeviceListsInit
  readonly #inFlight = new Set<string>()
  readonly #retries = new Map<string, ReturnType<typeof setTimeout>>()
  #stopped = false

  constructor(init: ContactDeviceListsInit) {
    this.#init = init
  }

  /** Check `bytes` as `userId`'s list and pin it in the contact record when it may be. */
  async pin(userId: string, bytes: Uint8Array): Promise<PinOutcome> {
    let list: DeviceList
    try {
      list = checkDeviceListRecord(this.#init.suite, parseUserId(userId), bytes)
    } catch (err) {
      this.#init.log.warn('contact device list refused', { error: (err as Error)?.name })
      return 'invalid'
    }
    let outcome = 'unknown-contact' as PinOutcome
    let change: DeviceListChange = { added: false, revoked: false }
    await this.#init.updateContact(userId, (contact) => {
      const next = pinnedContact(contact, list, this.#init.now())
      outcome = next.outcome
      change = deviceListChange(contact.deviceList, list)
      return next.outcome === 'pinned' || next.outcome === 'unchanged' ? next.contact : null
    })
    if (outcome === 'rollback')
      this.#init.log.warn('contact device list rolled back: refused', { version: list.listVersion })
    else if (outcome === 'pinned') {
      this.#init.log.info('contact device list pinned', { version: list.listVersion })
      await this.#init.onPinned?.(userId, change)
    }
    return outcome
  }

  /**
   * Read the contact's list from the DHT and pin it (at most every DEVICE_LIST_REFRESH_MS unless
   * `force`); null when none was found. Never throws: it runs in the background.
   */
  async refresh(userId: string, force = false, attempt = 0): Promise<PinOutcome | null> {
    if (this.#stopped || this.#inFlight.has(userId)) return null
    this.#inFlight.add(userId)
    try {
      const contact = await this.#init.getContact(userId)
      if (contact === undefined) return 'unknown-contact'
      const checkedAt = contact.deviceList?.checkedAt
      if (!force && checkedAt !== undefined && this.#init.now() - checkedAt < DEVICE_LIST_REFRESH_MS)
        return null
      const found = await getDeviceList(this.#init.libp2p, parseUserId(userId), {
        timeoutMs: DEVICE_LIST_LOOKUP_TIMEOUT_MS,
      })
      if (!found.ok) {
        this.#init.log.debug('contact device list not found', { reason: found.reason, attempt })
        if (attempt < DEVICE_LIST_LOOKUP_RETRIES && !this.#retries.has(userId) && !this.#stopped) {
          const timer = setTimeout(() => {
            this.#retries.delete(userId)
            void this.refresh(userId, force, attempt + 1)
          }, DEVICE_LIST_RETRY_MS)
          timer.unref?.()
          this.#retries.set(userId, timer)
        }
        return null
      }
      return await this.pin(userId, found.value)
    } catch (err) {
      this.#init.log.debug('contact device list refresh failed', { error: (err as Error)?.name })
      return null
    } finally {
      this.#inFlight.delete(userId)
    }
  }

  /** No more lookups (the node stops). */
  stop(): void {
    this.#stopped = true
    for (const timer of this.#retries.values()) clearTimeout(timer)
    this.#retries.clear()
  }

  /** The handler of APP_DEVICE_LIST: pin after the payload is committed (outside the messenger's lock). */
  onPushed(delivery: AppDelivery): Promise<AppEffect> {
    const bytes = delivery.payload.slice()
    return Promise.resolve({ after: () => void this.pin(delivery.senderUserId, bytes) })
  }
}

/**
 * Profile pictures (issue 17: "profile pictures: small, sent to contacts on change").
 *
 * Our picture is made small once (prepare-picture.ts: 96 px, ≤ 16 KiB, no metadata), kept sealed
 * in the profile, and sent as the app payload APP_PROFILE_PICTURE over the pairwise sessions to
 * every contact when it changes, and to a contact when it is added: end-to-end encrypted like a
 * message, queued and retried, through the mailboxes while the contact is offline. Only contacts
 * get it (nobody else has a pairwise session with us); group members who are not contacts see the
 * identicon. A contact's picture is parsed once at the edge (picture-payload.ts), kept sealed
 * when it is newer than the one held, and announced; an older one (a late mailbox copy) and a
 * malformed one are dropped. A removal travels as an empty picture and is kept as such.
 *
 * Our own other devices get our picture too, like sent transcripts (messaging/own-devices.ts):
 * the same payload through their device slots, taken as our own picture when newer than theirs,
 * so a picture set on one device shows on all (a device linked later gets it with the profile's
 * records). Only our own listed devices may send it under our user id (inbound checks the list).
 */

import type { Logger } from '../log.ts'
import type { AppDelivery, AppEffect, AppHandler } from '../messaging/app-payloads.ts'
import { FIXED_KEYS, PREFIXES } from '../storage/layout.ts'
import { putRecord, type SealedStore } from '../storage/sealed-store.ts'
import { APP_PROFILE_PICTURE } from './constants.ts'
import { MalformedPictureError } from './errors.ts'
import { decodePicturePayload, encodePicturePayload } from './picture-payload.ts'
import { preparePicture } from './prepare-picture.ts'
import { PICTURE_RECORD, type PictureRecord } from './records.ts'

/** What pictures need of the messenger (narrow: register the handler, queue payloads). */
export interface PicturesPairwise {
  registerApp(appKind: number, handler: AppHandler, fromOwnDevices?: boolean): void
  sendApp(peers: readonly string[], appKind: number, payload: Uint8Array): Promise<void>
  /** Queue the payload to each of our own other devices; how many. */
  sendToOwnDevices(appKind: number, payload: Uint8Array): Promise<number>
}

/** A contact's picture changed (set, replaced or removed). */
export interface PictureChange {
  readonly userId: string
  readonly setAt: number
  readonly removed: boolean
}

export interface ProfilePicturesInit {
  /** Our own user id: a picture from it came from one of our own devices. */
  readonly ownUserId: string
  readonly store: SealedStore
  /** The profile's key blinding (Vault.blind): user ids never appear in keys in the clear. */
  readonly blind: (id: string) => string
  readonly listContacts: () => Promise<ReadonlyArray<{ readonly userId: string }>>
  /** A contact's picture changed, or ours (userId: ownUserId) on another of our devices. */
  readonly onChange: (change: PictureChange) => void
  readonly log: Logger
  readonly now: () => number
}

/** A picture as the API shows it: null when none is set (or it was removed). */
export interface Picture {
  readonly setAt: number
  readonly jpeg: Uint8Array
}

export class ProfilePictures {
  readonly #init: ProfilePicturesInit

  constructor(init: ProfilePicturesInit) {
    this.#init = init
  }

  /** Register the receive handler (before the messenger delivers anything). */
  attach(pairwise: PicturesPairwise): void {
    pairwise.registerApp(APP_PROFILE_PICTURE, (delivery) => this.#onPicture(delivery), true)
  }

  /**
   * Set our picture from the bytes of a JPEG (any size up to the source caps), or remove it
   * (null); stored, then sent to every contact. PictureNotUsableError for an image it cannot use.
   */
  async set(image: Uint8Array | null, pairwise: PicturesPairwise): Promise<Picture | null> {
    const jpeg = image === null ? new Uint8Array(0) : preparePicture(image)
    const previous = await this.#init.store.read(FIXED_KEYS.ownPicture, PICTURE_RECORD)
    // strictly newer than what contacts hold, even when the clock went back
    const setAt = Math.max(this.#init.now(), (previous?.setAt ?? 0) + 1)
    const record: PictureRecord = { setAt, jpeg }
    await this.#init.store.write(FIXED_KEYS.ownPicture, PICTURE_RECORD, record)
    const peers = (await this.#init.listContacts()).map((c) => c.userId)
    const payload = encodePicturePayload(record)
    if (peers.length > 0) await pairwise.sendApp(peers, APP_PROFILE_PICTURE, payload)
    const devices = await pairwise.sendToOwnDevices(APP_PROFILE_PICTURE, payload)
    this.#init.log.info('profile picture sent to contacts', {
      removed: image === null,
      bytes: jpeg.length,
      contacts: peers.length,
      ownDevices: devices,
    })
    return shown(record)
  }

  /** Our picture, or null. */
  async own(): Promise<Picture | null> {
    return shown(await this.#init.store.read(FIXED_KEYS.ownPicture, PICTURE_RECORD))
  }

  /** A contact's newest picture, or null. */
  async ofContact(userId: string): Promise<Picture | null> {
    return shown(await this.#init.store.read(this.#contactKey(userId), PICTURE_RECORD))
  }

  /**
   * A contact was added: it gets our current picture (nothing when none was ever set). Never
   * throws (the caller does not wait): a failure is logged.
   */
  async contactAdded(userId: string, pairwise: PicturesPairwise): Promise<void> {
    try {
      const record = await this.#init.store.read(FIXED_KEYS.ownPicture, PICTURE_RECORD)
      if (record === undefined) return
      await pairwise.sendApp([userId], APP_PROFILE_PICTURE, encodePicturePayload(record))
    } catch (error) {
      this.#init.log.warn('profile picture not queued for a new contact', { error: (error as Error)?.name })
    }
  }

  #contactKey(userId: string): string {
    return `${PREFIXES.contactPicture}${this.#init.blind(userId)}`
  }

  async #onPicture(delivery: AppDelivery): Promise<AppEffect> {
    let update: ReturnType<typeof decodePicturePayload>
    try {
      update = decodePicturePayload(delivery.payload)
    } catch (error) {
      if (!(error instanceof MalformedPictureError)) throw error
      this.#init.log.warn('profile picture refused', { reason: error.message })
      return {}
    }
    const userId = delivery.senderUserId
    const key = userId === this.#init.ownUserId ? FIXED_KEYS.ownPicture : this.#contactKey(userId)
    const held = await this.#init.store.read(key, PICTURE_RECORD)
    if (held !== undefined && held.setAt >= update.setAt) return {}
    const record: PictureRecord = { setAt: update.setAt, jpeg: update.jpeg }
    return {
      ops: [putRecord(key, PICTURE_RECORD, record)],
      after: () => this.#init.onChange({ userId, setAt: record.setAt, removed: record.jpeg.length === 0 }),
    }
  }
}

function shown(record: PictureRecord | undefined): Picture | null {
  return record === undefined || record.jpeg.length === 0 ? null : { setAt: record.setAt, jpeg: record.jpeg }
}

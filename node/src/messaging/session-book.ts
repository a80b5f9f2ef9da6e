/**
 * Sessions with each contact's device: the current one plus a few previous ones, as Signal keeps
 * "archived" session states. Two people who start a session at the same moment each accept the
 * other's prekey message; keeping the previous session lets messages already encrypted with it
 * still decrypt, so simultaneous starts settle instead of resetting each other forever.
 *
 * Decoded records are cached in memory and written through with the caller's batch.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { DuplicateMessageError } from '../../../core/src/errors.ts'
import {
  decodeSessionRecord,
  encodeSessionRecord,
  type SessionRecord,
  sessionDecrypt,
} from '../../../core/src/session.ts'
import { type BatchOp, putRecord } from '../storage/sealed-store.ts'
import { isDeviceSlot } from './device-slots.ts'
import { IDENTITY_INDEX, STORED_SESSIONS, type StoredSessions } from './records.ts'
import type { Vault } from './vault.ts'

/** Previous sessions kept per contact (Signal keeps 40; a handful covers simultaneous starts). */
export const MAX_PREVIOUS_SESSIONS = 3

export interface DeviceSessions {
  /** The contact's user id (main session) or a device slot `<userId>~<deviceKeyHex>`. */
  userId: string
  current: SessionRecord
  previous: SessionRecord[]
  /** Ed25519 device key of the contact's device; its X25519 form seals envelopes to it. */
  deviceKey: Uint8Array
  devicePeerId: Uint8Array
}

export class SessionBook {
  readonly #vault: Vault
  readonly #cache = new Map<string, DeviceSessions | null>()

  constructor(vault: Vault) {
    this.#vault = vault
  }

  #indexKey(identityKey: Uint8Array): string {
    return this.#vault.identityIndexKey(toHex(identityKey))
  }

  async get(userId: string): Promise<DeviceSessions | null> {
    if (this.#cache.has(userId)) return this.#cache.get(userId) ?? null
    const stored = await this.#vault.store.read(this.#vault.sessionKey(userId), STORED_SESSIONS)
    const sessions =
      stored === undefined
        ? null
        : {
            userId,
            current: decodeSessionRecord(stored.current),
            previous: stored.previous.map(decodeSessionRecord),
            deviceKey: stored.deviceKey,
            devicePeerId: stored.devicePeerId,
          }
    this.#cache.set(userId, sessions)
    return sessions
  }

  async userIdForIdentityKey(identityKey: Uint8Array): Promise<string | null> {
    const index = await this.#vault.store.read(this.#indexKey(identityKey), IDENTITY_INDEX)
    return index?.userId ?? null
  }

  /** Ops that store `sessions` and update the cache once the batch is written (call commit). */
  putOps(sessions: DeviceSessions): BatchOp[] {
    const stored: StoredSessions = {
      current: encodeSessionRecord(sessions.current),
      previous: sessions.previous.map(encodeSessionRecord),
      deviceKey: sessions.deviceKey,
      devicePeerId: sessions.devicePeerId,
    }
    const put = putRecord(this.#vault.sessionKey(sessions.userId), STORED_SESSIONS, stored)
    // a device slot's sessions (device-slots.ts) are found through the user id: no index entry
    if (isDeviceSlot(sessions.userId)) return [put]
    return [
      put,
      putRecord(this.#indexKey(sessions.current.remoteIdentityKey), IDENTITY_INDEX, {
        userId: sessions.userId,
      }),
    ]
  }

  deleteOps(userId: string): BatchOp[] {
    return [{ type: 'del', key: this.#vault.sessionKey(userId) }]
  }

  /** Record what the batch wrote; on a failed write call forget() instead. */
  commit(userId: string, sessions: DeviceSessions | null): void {
    this.#cache.set(userId, sessions)
  }

  forget(userId: string): void {
    this.#cache.delete(userId)
  }

  /** A new current session; the old current one becomes the newest previous one. */
  static replaceCurrent(
    existing: DeviceSessions | null,
    next: Omit<DeviceSessions, 'previous'>,
  ): DeviceSessions {
    const previous =
      existing === null ? [] : [existing.current, ...existing.previous].slice(0, MAX_PREVIOUS_SESSIONS)
    return { ...next, previous }
  }

  /**
   * Decrypt a ratchet message with the current session, then the previous ones; a previous
   * session that decrypts becomes current again. Throws the current session's error when none
   * decrypts (a duplicate anywhere is reported as a duplicate).
   */
  static decrypt(
    suite: CryptoSuite,
    sessions: DeviceSessions,
    body: Uint8Array,
  ): { sessions: DeviceSessions; plaintext: Uint8Array } {
    const all = [sessions.current, ...sessions.previous]
    let firstError: unknown
    for (let i = 0; i < all.length; i++) {
      try {
        const { record, plaintext } = sessionDecrypt(suite, all[i] as SessionRecord, body)
        const rest = all.filter((_, j) => j !== i)
        return {
          sessions: { ...sessions, current: record, previous: rest.slice(0, MAX_PREVIOUS_SESSIONS) },
          plaintext,
        }
      } catch (error) {
        if (error instanceof DuplicateMessageError) throw error
        firstError ??= error
      }
    }
    throw firstError
  }
}

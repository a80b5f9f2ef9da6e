/**
 * Decrypting one opened envelope with the sender's sessions: a prekey message accepted as a new
 * session (or matched to one we have), or a message of an existing session. Failures come back
 * as the delivery status to answer with.
 */
import type { PeerId } from '@libp2p/interface'
import { bytesEqual } from '../../../core/src/bytes.ts'
import { CONTENT_TYPE_PREKEY, decodePrekeyMessage, type SealedContent } from '../../../core/src/envelope.ts'
import { DuplicateMessageError } from '../../../core/src/errors.ts'
import { acceptPrekeyMessage } from '../../../core/src/session.ts'
import { DELIVERY_DUPLICATE, DELIVERY_NO_SESSION, DELIVERY_REJECTED } from './content.ts'
import { deviceSlot, listedDevice, sessionKeyFor } from './device-slots.ts'
import type { InboundInit, Pending } from './inbound-batch.ts'
import { ownContact } from './own-devices.ts'
import { type DeviceSessions, SessionBook } from './session-book.ts'

/** A decrypted envelope: its plaintext, the sender's next sessions and its user id if known. */
export interface Decrypted {
  readonly plaintext: Uint8Array
  readonly next: DeviceSessions
  readonly knownUser: string | null
  /** A new session from another device key than the current session's: its old device is left. */
  readonly deviceChanged: boolean
  /** The session-book key the sessions belong to: the user id, or a device slot (device-slots.ts). */
  readonly sessionKey: string | null
}

/** Decrypt `sealed` (from `remotePeer`, null through a mailbox), or the status to answer with. */
export async function decryptSealed(
  init: InboundInit,
  sealed: SealedContent,
  remotePeer: PeerId | null,
  pending: Pending,
): Promise<Decrypted | { status: number }> {
  const { suite, log } = init
  const own = bytesEqual(sealed.senderIdentityKey, init.identity.publicKey)
  let knownUser: string | null
  let sessionKey: string | null
  if (own) {
    // one of our own devices (sent transcripts): only another device on our own list, never a
    // revoked one, each in its own slot (sent-transcripts.ts)
    const self = ownContact(init.ourUserId, init.identity.publicKey, init.ownDeviceList())
    if (bytesEqual(sealed.senderDeviceKey, init.deviceKey.publicKey)) return { status: DELIVERY_REJECTED }
    if (listedDevice(self, sealed.senderDeviceKey) === null) {
      // a device of ours linked by another one: our list here may be older than the DHT's
      if (!self?.deviceList?.revoked.some((k) => bytesEqual(k, sealed.senderDeviceKey)))
        init.onDeviceListStale(init.ourUserId)
      return { status: DELIVERY_REJECTED }
    }
    knownUser = init.ourUserId
    sessionKey = deviceSlot(init.ourUserId, sealed.senderDeviceKey)
  } else {
    knownUser = await init.sessions.userIdForIdentityKey(sealed.senderIdentityKey)
    const main =
      knownUser === null ? null : (pending.sessions.get(knownUser) ?? (await init.sessions.get(knownUser)))
    // another listed device of the contact has a session of its own (issue 18)
    const contact =
      knownUser === null
        ? undefined
        : (pending.contacts.get(knownUser) ?? (await init.vault.getContact(knownUser)))
    // a revoked device of the contact is refused: it must not take over the main session
    if (contact?.deviceList?.revoked.some((k) => bytesEqual(k, sealed.senderDeviceKey)))
      return { status: DELIVERY_REJECTED }
    // a device its pinned list does not have yet: the contact may have linked one since
    if (
      knownUser !== null &&
      contact?.deviceList !== undefined &&
      !contact.deviceList.devices.some((d) => bytesEqual(d.deviceKey, sealed.senderDeviceKey))
    )
      init.onDeviceListStale(knownUser)
    sessionKey =
      knownUser === null
        ? null
        : sessionKeyFor(contact, knownUser, main?.deviceKey ?? null, sealed.senderDeviceKey)
  }
  const existing =
    sessionKey === null ? null : (pending.sessions.get(sessionKey) ?? (await init.sessions.get(sessionKey)))
  let plaintext: Uint8Array
  let next: DeviceSessions
  let deviceChanged = false
  try {
    if (sealed.type === CONTENT_TYPE_PREKEY) {
      const header = decodePrekeyMessage(sealed.body).header
      const all = existing === null ? [] : [existing.current, ...existing.previous]
      const match = all.find((r) => bytesEqual(r.baseKey, header.ephemeralKey)) ?? null
      const accepted = acceptPrekeyMessage(suite, {
        identity: init.identity,
        body: sealed.body,
        existing: match,
        prekeys: init.prekeys.secrets(),
        now: init.now(),
      })
      plaintext = accepted.plaintext
      // through a mailbox the sender's device is unknown until its bundle is read; a session from
      // another device key (a restored profile is a new device, issue 18) is not the old device's
      deviceChanged = existing !== null && !bytesEqual(existing.deviceKey, sealed.senderDeviceKey)
      const devicePeerId =
        remotePeer?.toMultihash().bytes ??
        (existing !== null && !deviceChanged ? existing.devicePeerId : new Uint8Array(0))
      if (accepted.newSession) {
        next = SessionBook.replaceCurrent(existing, {
          userId: sessionKey ?? '',
          current: accepted.record,
          deviceKey: sealed.senderDeviceKey,
          devicePeerId,
        })
        pending.usedPrekeys.push([accepted.usedOneTimePrekeyId, accepted.usedOneTimeKemPrekeyId])
      } else {
        const base = existing as DeviceSessions
        const others = [base.current, ...base.previous].filter((r) => r !== match)
        next = { ...base, current: accepted.record, previous: others }
      }
    } else {
      if (existing === null) {
        if (knownUser !== null) init.onDeviceListStale(knownUser)
        return { status: DELIVERY_NO_SESSION }
      }
      const decrypted = SessionBook.decrypt(suite, existing, sealed.body)
      plaintext = decrypted.plaintext
      next = decrypted.sessions
    }
  } catch (error) {
    if (error instanceof DuplicateMessageError) return { status: DELIVERY_DUPLICATE }
    log.debug('could not decrypt', { error: (error as Error)?.name })
    if (knownUser !== null) init.onDeviceListStale(knownUser)
    return { status: DELIVERY_NO_SESSION }
  }
  return { plaintext, next, knownUser, deviceChanged, sessionKey }
}

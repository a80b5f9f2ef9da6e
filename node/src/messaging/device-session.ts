/**
 * Starting a session with one listed device of a contact (issue 18): its own prekey bundle, asked
 * of the device over `/wren/prekey`, or the bundle in the DHTs when that one is the same device's
 * (the DHT keeps one bundle per user: whichever device published last), with a one-time prekey
 * claimed from that bundle's mailboxes. Unlike establish.ts nothing is recorded in the contact
 * record: its device hints and mailboxes stay the main device's.
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type { MailboxHint, PrekeyBundle } from '../../../core/src/prekey-bundle.ts'
import { initiateSession } from '../../../core/src/session.ts'
import { WREN_PREKEY_PROTOCOL } from '../p2p/constants.ts'
import { getBundle } from '../p2p/dht-records.ts'
import { dialDevice } from '../p2p/reachability.ts'
import { sendRequest } from '../p2p/request-response.ts'
import { BUNDLE_LOOKUP_TIMEOUT_MS, DEVICE_DIAL_TIMEOUT_MS, PREKEY_CLAIM_TIMEOUT_MS } from './constants.ts'
import { decodePrekeyResponse, MAX_PREKEY_RESPONSE_BYTES } from './content.ts'
import type { ListedDevice } from './device-slots.ts'
import { decodeOneTime, type OneTimeKeys, oneTimeOf } from './establish.ts'
import type { MessengerContext } from './messenger-context.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import { type DeviceSessions, SessionBook } from './session-book.ts'
import type { ContactRecord } from './vault.ts'

/** A device's bundle and a one-time pair for it, or null when neither way had one. */
async function deviceBundle(
  ctx: MessengerContext,
  contact: ContactRecord,
  device: ListedDevice,
): Promise<{ bundle: PrekeyBundle; oneTime: OneTimeKeys } | null> {
  const ofDevice = (bytes: Uint8Array): PrekeyBundle | null => {
    try {
      const bundle = ctx.init.verifyBundle(bytes, parseUserId(contact.userId))
      const same =
        bytesEqual(bundle.deviceCertificate.deviceKey, device.deviceKey) &&
        bytesEqual(bundle.identityKey, contact.identityKey)
      return same ? bundle : null
    } catch {
      return null
    }
  }
  const peer = peerIdFromBytes(device.devicePeerId)
  const dial = await dialDevice(ctx.init.libp2p, peer, [], { timeoutMs: DEVICE_DIAL_TIMEOUT_MS })
  if (dial.ok) {
    const answer = await sendRequest(ctx.init.libp2p, peer, WREN_PREKEY_PROTOCOL, new Uint8Array(0), {
      timeoutMs: PREKEY_CLAIM_TIMEOUT_MS,
      maxResponseBytes: MAX_PREKEY_RESPONSE_BYTES,
      runOnLimitedConnection: true,
    })
    if (answer.ok) {
      try {
        const response = decodePrekeyResponse(answer.response)
        const bundle = response.bundle.length > 0 ? ofDevice(response.bundle) : null
        if (bundle !== null) return { bundle, oneTime: oneTimeOf(response) }
      } catch {
        // garbage from the device: try the DHT
      }
    }
  }
  const lookup = await getBundle(ctx.init.libp2p, parseUserId(contact.userId), {
    timeoutMs: BUNDLE_LOOKUP_TIMEOUT_MS,
  })
  const bundle = lookup.ok ? ofDevice(lookup.value) : null
  if (bundle === null) return null
  let oneTime: OneTimeKeys = {}
  if (ctx.mailboxes !== null && bundle.mailboxes.length > 0) {
    const claimed = await ctx.mailboxes.claimPrekey(bundle.mailboxes)
    if (claimed !== null) oneTime = decodeOneTime(claimed)
  }
  return { bundle, oneTime }
}

/**
 * A session with `device` under `slot`, started from its bundle when there is none; the device's
 * mailboxes (from that bundle) go to `mailboxes`. Null when no bundle could be had.
 */
export async function deviceSession(
  ctx: MessengerContext,
  contact: ContactRecord,
  device: ListedDevice,
  slot: string,
  mailboxes: Map<string, MailboxHint[]>,
): Promise<DeviceSessions | null> {
  const have = await ctx.sessions.get(slot)
  if (have !== null) return have
  const found = await deviceBundle(ctx, contact, device)
  if (found === null) return null
  mailboxes.set(slot, [...found.bundle.mailboxes])
  return ctx.lock.run(async () => {
    const existing = await ctx.sessions.get(slot)
    if (existing !== null) return existing // the device wrote first meanwhile
    const start = (oneTime: OneTimeKeys) =>
      initiateSession(ctx.suite, {
        identity: ctx.init.identity,
        bundle: found.bundle,
        ...oneTime,
        now: ctx.init.now(),
      })
    let record: ReturnType<typeof initiateSession>
    try {
      record = start(found.oneTime)
    } catch {
      record = start({}) // a bad one-time prekey: the signed and last-resort keys
    }
    const sessions = SessionBook.replaceCurrent(null, {
      userId: slot,
      current: record,
      deviceKey: device.deviceKey,
      devicePeerId: device.devicePeerId,
    })
    await ctx.vault.store.batch(ctx.sessions.putOps(sessions))
    ctx.sessions.commit(slot, sessions)
    return sessions
  })
}

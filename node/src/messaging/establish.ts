/**
 * Session establishment from a contact's prekey bundle: ask the contact's device for its bundle and
 * a one-time prekey (`/wren/prekey`), or else read the bundle from the LAN/WAN DHTs and claim the
 * one-time prekey from its mailboxes; record what the bundle says (device, mailboxes, any
 * identity key change) and start the session. Network waits happen outside the mutex.
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import type {
  MailboxHint,
  OneTimePrekey,
  PrekeyBundle,
  SignedKemPrekey,
} from '../../../core/src/prekey-bundle.ts'
import { decodeOneTimePrekey, decodeSignedKemPrekey } from '../../../core/src/prekey-bundle-codec.ts'
import { initiateSession } from '../../../core/src/session.ts'
import { WREN_PREKEY_PROTOCOL } from '../p2p/constants.ts'
import { getBundle } from '../p2p/dht-records.ts'
import { dialDevice } from '../p2p/reachability.ts'
import { sendRequest } from '../p2p/request-response.ts'
import {
  BUNDLE_LOOKUP_TIMEOUT_MS,
  BUNDLE_REFRESH_MS,
  DEVICE_DIAL_TIMEOUT_MS,
  PREKEY_CLAIM_TIMEOUT_MS,
} from './constants.ts'
import { decodePrekeyResponse, MAX_PREKEY_RESPONSE_BYTES } from './content.ts'
import type { MessengerContext } from './messenger-context.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import { SessionBook } from './session-book.ts'
import type { ContactRecord } from './vault.ts'

/** What one `/wren/prekey` exchange with a device gave: its bundle (if sent) and a one-time pair. */
interface DeviceAnswer {
  /** The device's bundle, verified and recorded; null when it sent none or it was refused. */
  bundle: PrekeyBundle | null
  oneTime: OneTimeKeys
}

export type OneTimeKeys = { oneTimePrekey?: OneTimePrekey; oneTimeKemPrekey?: SignedKemPrekey }

/**
 * Start a session with the contact. The bundle comes from the contact's device itself when it is
 * connected or dialable (card or last known addresses): a reachable contact never waits on the
 * DHT. Otherwise the bundle is looked up in the LAN and WAN DHTs and the one-time prekey is
 * claimed from the contact's mailboxes. False when no bundle could be had (or the contact is held
 * for a key change).
 */
export async function establishSession(ctx: MessengerContext, contact: ContactRecord): Promise<boolean> {
  let bundle: PrekeyBundle | null = null
  let oneTime: OneTimeKeys = {}
  let asked: Uint8Array | null = null
  if (contact.devicePeerId !== null) {
    asked = contact.devicePeerId
    const answer = await askDevice(ctx, contact, contact.devicePeerId)
    if (answer !== null) {
      bundle = answer.bundle
      oneTime = answer.oneTime
    }
  }
  if (bundle === null) {
    bundle = await readBundle(ctx, contact)
    if (bundle === null) return false
    const devicePeerId = bundle.deviceCertificate.devicePeerId
    const sameDevice = asked !== null && bytesEqual(asked, devicePeerId)
    // the bundle names another device than the one just asked (or none was known): ask it
    const answer = sameDevice ? null : await askDevice(ctx, contact, devicePeerId)
    if (answer !== null) oneTime = answer.oneTime
    else if (!sameDevice || oneTime.oneTimePrekey === undefined) {
      oneTime = {}
      if (ctx.mailboxes !== null && bundle.mailboxes.length > 0) {
        const claimed = await ctx.mailboxes.claimPrekey(bundle.mailboxes)
        if (claimed !== null) oneTime = decodeOneTime(claimed)
      }
    }
  }
  const chosen: PrekeyBundle = bundle
  const devicePeerId = chosen.deviceCertificate.devicePeerId
  return ctx.lock.run(async () => {
    const existing = await ctx.sessions.get(contact.userId)
    if (existing !== null) return true // a session arrived meanwhile (their prekey message)
    let record: ReturnType<typeof initiateSession>
    try {
      record = initiateSession(ctx.suite, {
        identity: ctx.init.identity,
        bundle: chosen,
        ...oneTime,
        now: ctx.init.now(),
      })
    } catch (error) {
      // a bad one-time prekey from the peer: fall back to the signed and last-resort keys
      ctx.init.log.debug('one-time prekey refused, using the fallback', { error: (error as Error)?.name })
      record = initiateSession(ctx.suite, {
        identity: ctx.init.identity,
        bundle: chosen,
        now: ctx.init.now(),
      })
    }
    const sessions = SessionBook.replaceCurrent(null, {
      userId: contact.userId,
      current: record,
      deviceKey: chosen.deviceCertificate.deviceKey,
      devicePeerId,
    })
    await ctx.vault.store.batch(ctx.sessions.putOps(sessions))
    ctx.sessions.commit(contact.userId, sessions)
    return true
  })
}

/**
 * Ask a device for a one-time prekey and its bundle over `/wren/prekey` (dialling it if needed).
 * Null when the device cannot be reached or answers garbage; the bundle in the answer is verified
 * and recorded like one from the DHT.
 */
async function askDevice(
  ctx: MessengerContext,
  contact: ContactRecord,
  devicePeerId: Uint8Array,
): Promise<DeviceAnswer | null> {
  const peer = peerIdFromBytes(devicePeerId)
  // the dial has its own, longer bound: across NATs the first dial may try an address that
  // leads nowhere (the contact's home LAN address) before the relayed one
  const dial = await dialDevice(ctx.init.libp2p, peer, [], { timeoutMs: DEVICE_DIAL_TIMEOUT_MS })
  if (!dial.ok) {
    ctx.init.log.debug('device not reachable for a prekey request', {
      reason: dial.reason,
      detail: dial.detail,
    })
    return null
  }
  const direct = await sendRequest(ctx.init.libp2p, peer, WREN_PREKEY_PROTOCOL, new Uint8Array(0), {
    timeoutMs: PREKEY_CLAIM_TIMEOUT_MS,
    maxResponseBytes: MAX_PREKEY_RESPONSE_BYTES,
    runOnLimitedConnection: true,
  })
  if (!direct.ok) {
    ctx.init.log.debug('device did not answer a prekey request', {
      reason: direct.reason,
      detail: direct.detail,
    })
    return null
  }
  let response: ReturnType<typeof decodePrekeyResponse>
  try {
    response = decodePrekeyResponse(direct.response)
  } catch {
    return null
  }
  const oneTime = oneTimeOf(response)
  if (response.bundle.length === 0) return { bundle: null, oneTime }
  const bundle = await acceptBundle(ctx, contact, response.bundle)
  // a bundle of another device than the one asked is not this device's: its prekeys do not pair
  if (bundle !== null && !bytesEqual(bundle.deviceCertificate.devicePeerId, devicePeerId)) {
    return { bundle: null, oneTime: {} }
  }
  return { bundle, oneTime }
}

export function decodeOneTime(bytes: Uint8Array): OneTimeKeys {
  try {
    return oneTimeOf(decodePrekeyResponse(bytes))
  } catch {
    return {}
  }
}

export function oneTimeOf(pair: { oneTimePrekey: Uint8Array; oneTimeKemPrekey: Uint8Array }): OneTimeKeys {
  if (pair.oneTimePrekey.length === 0 || pair.oneTimeKemPrekey.length === 0) return {}
  try {
    return {
      oneTimePrekey: decodeOneTimePrekey(pair.oneTimePrekey),
      oneTimeKemPrekey: decodeSignedKemPrekey(pair.oneTimeKemPrekey),
    }
  } catch {
    return {}
  }
}

/** The contact's mailboxes, from its bundle (re-read when older than BUNDLE_REFRESH_MS). */
export async function mailboxHints(ctx: MessengerContext, contact: ContactRecord): Promise<MailboxHint[]> {
  const fresh =
    contact.bundleCheckedAt !== undefined && ctx.init.now() - contact.bundleCheckedAt < BUNDLE_REFRESH_MS
  // an empty list is re-read every time: the contact may have registered mailboxes since
  if (fresh && contact.mailboxes !== undefined && contact.mailboxes.length > 0) return contact.mailboxes
  const bundle = await readBundle(ctx, contact)
  return bundle?.mailboxes ? [...bundle.mailboxes] : (contact.mailboxes ?? [])
}

/**
 * Look the contact's bundle up in the DHT, verify it, and record what it says (device,
 * mailboxes; a different identity key goes through observeIdentityKey). Null when not found,
 * invalid, or when the contact is now held for a key change.
 */
export async function readBundle(
  ctx: MessengerContext,
  contact: ContactRecord,
): Promise<PrekeyBundle | null> {
  const lookup = await getBundle(ctx.init.libp2p, parseUserId(contact.userId), {
    timeoutMs: BUNDLE_LOOKUP_TIMEOUT_MS,
  })
  if (!lookup.ok) {
    ctx.init.log.debug('bundle lookup failed', { reason: lookup.reason })
    return null
  }
  return acceptBundle(ctx, contact, lookup.value)
}

/**
 * Verify a bundle of the contact (from the DHT or from its device) and record what it says
 * (device, mailboxes; a different identity key goes through observeIdentityKey). Null when
 * invalid, or when the contact is now held for a key change.
 */
async function acceptBundle(
  ctx: MessengerContext,
  contact: ContactRecord,
  bytes: Uint8Array,
): Promise<PrekeyBundle | null> {
  let bundle: PrekeyBundle
  try {
    bundle = ctx.init.verifyBundle(bytes, parseUserId(contact.userId))
  } catch (error) {
    ctx.init.log.warn('contact bundle rejected', { error: (error as Error)?.name })
    return null
  }
  const after: Array<() => void> = []
  const held = await ctx.lock.run(async () => {
    let current = (await ctx.vault.getContact(contact.userId)) ?? contact
    if (!bytesEqual(bundle.identityKey, current.identityKey))
      current = ctx.inbound.observeIdentityKey(current, bundle.identityKey, after)
    current = {
      ...current,
      devicePeerId: bundle.deviceCertificate.devicePeerId,
      mailboxes: [...bundle.mailboxes],
      bundleCheckedAt: ctx.init.now(),
    }
    await ctx.vault.store.batch([ctx.vault.putContactOp(current)])
    ctx.rememberPeer(current)
    return current.keyChanged
  })
  for (const emit of after) emit()
  if (held) {
    // the bundle carries a new identity key: nothing goes out until the user accepts it
    ctx.waiting.record(contact.userId, 'key-changed')
    return null
  }
  ctx.init.onContactLookedUp?.(contact.userId)
  return bundle
}

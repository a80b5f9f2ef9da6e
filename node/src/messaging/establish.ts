/**
 * Session establishment from a contact's prekey bundle: read the bundle from the DHT (recording
 * device, mailboxes and any identity key change), claim a one-time prekey from the device or its
 * mailboxes, and start the session. Network waits happen outside the mutex.
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import { parseUserId } from '../../../core/src/identity.ts'
import {
  decodeOneTimePrekey,
  decodeSignedKemPrekey,
  type MailboxHint,
  type OneTimePrekey,
  type PrekeyBundle,
  type SignedKemPrekey,
} from '../../../core/src/prekey-bundle.ts'
import { initiateSession } from '../../../core/src/session.ts'
import { WREN_PREKEY_PROTOCOL } from '../p2p/constants.ts'
import { getBundle } from '../p2p/dht-records.ts'
import { sendRequest } from '../p2p/request-response.ts'
import { BUNDLE_LOOKUP_TIMEOUT_MS, BUNDLE_REFRESH_MS, PREKEY_CLAIM_TIMEOUT_MS } from './constants.ts'
import { decodePrekeyResponse, MAX_PREKEY_RESPONSE_BYTES } from './content.ts'
import type { MessengerContext } from './messenger-context.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import { SessionBook } from './session-book.ts'
import type { ContactRecord } from './vault.ts'

/** Fetch the contact's bundle, check its identity key, claim a one-time prekey, start a session. */
export async function establishSession(ctx: MessengerContext, contact: ContactRecord): Promise<boolean> {
  const bundle = await readBundle(ctx, contact)
  if (bundle === null) return false
  const devicePeerId = bundle.deviceCertificate.devicePeerId
  let claimed: Uint8Array | null = null
  const direct = await sendRequest(
    ctx.init.libp2p,
    peerIdFromBytes(devicePeerId),
    WREN_PREKEY_PROTOCOL,
    new Uint8Array(0),
    {
      timeoutMs: PREKEY_CLAIM_TIMEOUT_MS,
      maxResponseBytes: MAX_PREKEY_RESPONSE_BYTES,
      runOnLimitedConnection: true,
    },
  )
  if (direct.ok) claimed = direct.response
  else if (ctx.mailboxes !== null && bundle.mailboxes.length > 0) {
    claimed = await ctx.mailboxes.claimPrekey(bundle.mailboxes)
  }
  let oneTime: { oneTimePrekey?: OneTimePrekey; oneTimeKemPrekey?: SignedKemPrekey } = {}
  if (claimed !== null) {
    try {
      const pair = decodePrekeyResponse(claimed)
      if (pair.oneTimePrekey.length > 0 && pair.oneTimeKemPrekey.length > 0) {
        oneTime = {
          oneTimePrekey: decodeOneTimePrekey(pair.oneTimePrekey),
          oneTimeKemPrekey: decodeSignedKemPrekey(pair.oneTimeKemPrekey),
        }
      }
    } catch {
      oneTime = {}
    }
  }
  return ctx.lock.run(async () => {
    const existing = await ctx.sessions.get(contact.userId)
    if (existing !== null) return true // a session arrived meanwhile (their prekey message)
    let record: ReturnType<typeof initiateSession>
    try {
      record = initiateSession(ctx.suite, {
        identity: ctx.init.identity,
        bundle,
        ...oneTime,
        now: ctx.init.now(),
      })
    } catch (error) {
      // a bad one-time prekey from the peer: fall back to the signed and last-resort keys
      ctx.init.log.debug('one-time prekey refused, using the fallback', { error: (error as Error)?.name })
      record = initiateSession(ctx.suite, {
        identity: ctx.init.identity,
        bundle,
        now: ctx.init.now(),
      })
    }
    const sessions = SessionBook.replaceCurrent(null, {
      userId: contact.userId,
      current: record,
      deviceKey: bundle.deviceCertificate.deviceKey,
      devicePeerId,
    })
    await ctx.vault.store.batch(ctx.sessions.putOps(sessions))
    ctx.sessions.commit(contact.userId, sessions)
    return true
  })
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
  let bundle: PrekeyBundle
  try {
    bundle = ctx.init.verifyBundle(lookup.value, parseUserId(contact.userId))
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
  return held ? null : bundle
}

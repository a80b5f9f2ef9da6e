/**
 * Contacts: adding one from its card, pinning its identity key, verifying it, accepting a key
 * change (which drops sessions made with the old key), and teaching libp2p its addresses.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { bytesEqual } from '../../../core/src/bytes.ts'
import type { ContactCard } from '../../../core/src/contact-card.ts'
import { formatUserId } from '../../../core/src/identity.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { ContactKeyChangedError, ContactNotFoundError, OwnCardError } from './errors.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { Outbox } from './outbox.ts'
import { peerIdFromBytes } from './peer-ids.ts'
import type { ContactRecord } from './vault.ts'

export async function addContact(
  ctx: MessengerContext,
  card: ContactCard,
  name: string | undefined,
): Promise<ContactRecord> {
  const userId = formatUserId(card.userId)
  if (userId === ctx.userIdString) throw new OwnCardError()
  const after: Array<() => void> = []
  const contact = await ctx.lock.run(async () => {
    const existing = await ctx.vault.getContact(userId)
    let next: ContactRecord
    if (existing === undefined) {
      next = {
        userId,
        displayName: name ?? card.displayName,
        identityKey: card.identityKey,
        verified: false,
        keyChanged: false,
        pendingIdentityKey: null,
        addedAt: ctx.init.now(),
        devicePeerId: card.devicePeerId,
        addrs: [...card.addrs],
      }
    } else {
      next = {
        ...existing,
        displayName: name ?? existing.displayName,
        devicePeerId: card.devicePeerId,
        addrs: [...card.addrs],
      }
      next = ctx.inbound.observeIdentityKey(next, card.identityKey, after)
    }
    await ctx.vault.store.batch([ctx.vault.putContactOp(next)])
    return next
  })
  for (const emit of after) emit()
  ctx.rememberPeer(contact)
  await learnAddresses(ctx, contact)
  return contact
}

export async function learnAddresses(ctx: MessengerContext, contact: ContactRecord): Promise<void> {
  if (contact.devicePeerId === null || contact.addrs.length === 0) return
  const peerId = peerIdFromBytes(contact.devicePeerId)
  const multiaddrs = contact.addrs.flatMap((bytes) => {
    try {
      return [multiaddr(bytes)]
    } catch {
      return []
    }
  })
  await ctx.init.libp2p.peerStore.merge(peerId, { multiaddrs }).catch(() => {})
}

export async function requireContact(ctx: MessengerContext, userId: string): Promise<ContactRecord> {
  const contact = await ctx.vault.getContact(userId)
  if (contact === undefined) throw new ContactNotFoundError(userId)
  return contact
}

export async function verifyContact(ctx: MessengerContext, userId: string): Promise<ContactRecord> {
  return ctx.lock.run(async () => {
    const contact = await requireContact(ctx, userId)
    if (contact.keyChanged)
      throw new ContactKeyChangedError('accept the new identity key before verifying it')
    const next = { ...contact, verified: true }
    await ctx.vault.store.batch([ctx.vault.putContactOp(next)])
    return next
  })
}

/** Trust the new identity key: it becomes the pinned key (unverified); old sessions are dropped. */
export async function acceptKeyChange(
  ctx: MessengerContext,
  outbox: Outbox,
  userId: string,
): Promise<ContactRecord> {
  const next = await ctx.lock.run(async () => {
    const contact = await requireContact(ctx, userId)
    if (!contact.keyChanged || contact.pendingIdentityKey === null) return contact
    const accepted: ContactRecord = {
      ...contact,
      identityKey: contact.pendingIdentityKey,
      pendingIdentityKey: null,
      keyChanged: false,
      verified: false,
    }
    const ops: BatchOp[] = [ctx.vault.putContactOp(accepted)]
    const sessions = await ctx.sessions.get(userId)
    const stale = sessions !== null && !bytesEqual(sessions.current.remoteIdentityKey, accepted.identityKey)
    if (stale) ops.push(...ctx.sessions.deleteOps(userId))
    await ctx.vault.store.batch(ops)
    if (stale) ctx.sessions.commit(userId, null)
    await outbox.clearEnvelopes(userId)
    return accepted
  })
  outbox.kick(userId)
  return next
}

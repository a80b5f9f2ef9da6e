/**
 * A contact's pinned device list revoked devices (issue 18): their sessions and queues go, so
 * nothing more is sealed or deposited for them. When the main session's device is revoked, the
 * main session goes too and the next send starts one with a device still on the list.
 */
import { bytesEqual } from '../../../core/src/bytes.ts'
import { deviceSlot } from './device-slots.ts'
import type { MessengerContext } from './messenger-context.ts'
import type { Outbox } from './outbox.ts'

export async function dropRevokedDevices(
  ctx: MessengerContext,
  outbox: Outbox,
  userId: string,
): Promise<void> {
  const contact = await ctx.vault.getContact(userId)
  const revoked = contact?.deviceList?.revoked ?? []
  if (contact === undefined || revoked.length === 0) return
  for (const deviceKey of revoked) await outbox.fanout.drop(deviceSlot(userId, deviceKey))
  const main = await ctx.sessions.get(userId)
  if (main === null || !revoked.some((k) => bytesEqual(k, main.deviceKey))) return
  const next = contact.deviceList?.devices.find((d) => !revoked.some((k) => bytesEqual(k, d.deviceKey)))
  await ctx.lock.run(async () => {
    const current = (await ctx.vault.getContact(userId)) ?? contact
    const { bundleCheckedAt: _stale, ...rest } = current
    const moved = { ...rest, devicePeerId: next?.devicePeerId ?? null, mailboxes: [] }
    await ctx.vault.store.batch([...ctx.sessions.deleteOps(userId), ctx.vault.putContactOp(moved)])
    ctx.sessions.commit(userId, null)
  })
  await outbox.clearEnvelopes(userId)
  ctx.init.log.info('main session of a revoked device dropped')
  outbox.kick(userId)
}

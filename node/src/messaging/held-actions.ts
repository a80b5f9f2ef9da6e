/**
 * Actions on a message that has not arrived (yet): an edit, delete, reaction or pin from a
 * contact can overtake the message it targets (mailboxes on several relays, a lost original).
 * They are held, sealed in the profile store like everything else, under the target's author and
 * id (ha/ in storage/layout.ts), and applied in their order when the message arrives. Bounded:
 * MAX_HELD_PER_MESSAGE per message, MAX_HELD_ACTIONS in all, each dropped after
 * HELD_ACTION_TTL_MS (checked when holding or taking, and swept by dropExpiredHeld, so a
 * record nobody touches again goes too). A held delete holds no text: a delete for a message that
 * never comes leaves no message and no tombstone, only this id until it expires.
 */

import type { BatchOp } from '../storage/sealed-store.ts'
import { HELD_ACTION_TTL_MS, MAX_HELD_ACTIONS, MAX_HELD_PER_MESSAGE } from './constants.ts'
import type { InboundInit, Pending } from './inbound-batch.ts'
import type { HeldActions, Vault } from './vault.ts'

/** One held action: who sent it and its encoded MessageAction (decoded when it was received). */
export type HeldAction = HeldActions['actions'][number]

async function readHeld(init: InboundInit, pending: Pending, key: string): Promise<HeldActions | null> {
  if (pending.held.has(key)) return pending.held.get(key) ?? null
  return (await init.vault.getHeldActions(key)) ?? null
}

/** Held actions in the store and this batch, dropping the expired ones (their del ops go in the batch). */
async function countLive(init: InboundInit, pending: Pending): Promise<number> {
  const now = init.now()
  let count = 0
  const seen = new Set<string>()
  for await (const [key, stored] of init.vault.heldActions()) {
    seen.add(key)
    const record = pending.held.has(key) ? pending.held.get(key) : stored
    if (record == null) continue
    const live = record.actions.filter((a) => now - a.heldAt <= HELD_ACTION_TTL_MS)
    if (live.length !== record.actions.length) {
      const next = live.length === 0 ? null : { actions: live }
      pending.held.set(key, next)
      pending.ops.push(next === null ? { type: 'del', key } : init.vault.putHeldActionsOp(key, next))
    }
    count += live.length
  }
  for (const [key, record] of pending.held)
    if (!seen.has(key) && record !== null) count += record.actions.length
  return count
}

/** Hold `action` from `sender` for the message `idHex` of `author`; false when over a cap (dropped). */
export async function holdAction(
  init: InboundInit,
  pending: Pending,
  author: string,
  idHex: string,
  held: Omit<HeldAction, 'heldAt'>,
): Promise<boolean> {
  const key = init.vault.heldActionsKey(author, idHex)
  const current = await readHeld(init, pending, key)
  if ((current?.actions.length ?? 0) >= MAX_HELD_PER_MESSAGE) return false
  if ((await countLive(init, pending)) >= MAX_HELD_ACTIONS) return false
  const record = await readHeld(init, pending, key)
  const next: HeldActions = { actions: [...(record?.actions ?? []), { ...held, heldAt: init.now() }] }
  pending.held.set(key, next)
  pending.ops.push(init.vault.putHeldActionsOp(key, next))
  return true
}

/** The actions held for the message `idHex` of `author`, in order, taken off the store (none: []). */
export async function takeHeld(
  init: InboundInit,
  pending: Pending,
  author: string,
  idHex: string,
): Promise<HeldAction[]> {
  const key = init.vault.heldActionsKey(author, idHex)
  const inBatch = pending.held.get(key)
  if (inBatch === null) return []
  if (inBatch === undefined && !pending.storedHeld.has(key)) return []
  const record = inBatch ?? (await init.vault.getHeldActions(key))
  if (record === undefined) return []
  pending.held.set(key, null)
  pending.ops.push({ type: 'del', key })
  const now = init.now()
  return record.actions.filter((a) => now - a.heldAt <= HELD_ACTION_TTL_MS)
}

/**
 * Drop every held action past HELD_ACTION_TTL_MS from the store (a record left empty goes); run
 * under the messenger's lock, like a delivery batch. Returns how many actions were dropped.
 */
export async function dropExpiredHeld(vault: Vault, now: number): Promise<number> {
  const ops: BatchOp[] = []
  let dropped = 0
  for await (const [key, record] of vault.heldActions()) {
    const live = record.actions.filter((a) => now - a.heldAt <= HELD_ACTION_TTL_MS)
    if (live.length === record.actions.length) continue
    dropped += record.actions.length - live.length
    ops.push(live.length === 0 ? { type: 'del', key } : vault.putHeldActionsOp(key, { actions: live }))
  }
  if (ops.length > 0) await vault.store.batch(ops)
  return dropped
}

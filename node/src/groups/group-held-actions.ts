/**
 * Actions on a group message that has not arrived (yet): gossip, pairwise copies and a member's
 * catch-up take different paths, so an edit, delete, reaction or pin can overtake the message it
 * targets. They are held, sealed like every record, under the target's author and id (gh/ in
 * storage/layout.ts), and applied in their order when the message arrives. Bounded:
 * MAX_GROUP_HELD_PER_MESSAGE per message, MAX_GROUP_HELD_ACTIONS in all, each dropped after
 * GROUP_HELD_ACTION_TTL_MS. A held delete holds no text. Called under the group lock.
 */
import { GROUP_PREFIXES } from '../storage/layout.ts'
import type { BatchOp } from '../storage/sealed-store.ts'
import { GROUP_HELD_ACTION_TTL_MS, MAX_GROUP_HELD_ACTIONS, MAX_GROUP_HELD_PER_MESSAGE } from './constants.ts'
import type { GroupStore } from './group-store.ts'

/** One held action: its sender, the group it came in, the encoded MessageAction, when held. */
export interface HeldGroupAction {
  readonly sender: string
  readonly groupId: string
  readonly action: Uint8Array
  readonly heldAt: number
}

export interface HeldGroupActions {
  readonly actions: readonly HeldGroupAction[]
}

/** The live held actions in all (expired ones are dropped: their ops go in `ops`). */
async function countLive(store: GroupStore, now: number, ops: BatchOp[]): Promise<number> {
  let count = 0
  for await (const [key, record] of store.vault.store.iterate<HeldGroupActions>({
    prefix: GROUP_PREFIXES.heldActions,
  })) {
    const live = record.actions.filter((a) => now - a.heldAt <= GROUP_HELD_ACTION_TTL_MS)
    if (live.length !== record.actions.length)
      ops.push(live.length === 0 ? store.del(key) : store.put(key, { actions: live }))
    count += live.length
  }
  return count
}

/**
 * Hold `held` for the message `idHex` of `author`: the ops to write, or null when a cap is
 * reached (the action is dropped).
 */
export async function holdGroupAction(
  store: GroupStore,
  author: string,
  idHex: string,
  held: HeldGroupAction,
): Promise<BatchOp[] | null> {
  const key = store.heldActionsKey(author, idHex)
  const current = await store.get<HeldGroupActions>(key)
  if ((current?.actions.length ?? 0) >= MAX_GROUP_HELD_PER_MESSAGE) return null
  const ops: BatchOp[] = []
  if ((await countLive(store, held.heldAt, ops)) >= MAX_GROUP_HELD_ACTIONS) return null
  const live = (current?.actions ?? []).filter((a) => held.heldAt - a.heldAt <= GROUP_HELD_ACTION_TTL_MS)
  ops.push(store.put(key, { actions: [...live, held] }))
  return ops
}

/** The live actions held for the message `idHex` of `author`, in order; their delete op goes in `ops`. */
export async function takeGroupHeld(
  store: GroupStore,
  author: string,
  idHex: string,
  now: number,
  ops: BatchOp[],
): Promise<HeldGroupAction[]> {
  const key = store.heldActionsKey(author, idHex)
  const record = await store.get<HeldGroupActions>(key)
  if (record === undefined) return []
  ops.push(store.del(key))
  return record.actions.filter((a) => now - a.heldAt <= GROUP_HELD_ACTION_TTL_MS)
}

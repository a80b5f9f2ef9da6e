/**
 * The deterministic total order in which every member folds the op DAG. This is the whole
 * convergence argument: the order depends only on the SET of ops (never on arrival order or
 * claimed timestamps), and the fold is a pure function of the order, so members holding the
 * same ops hold the same state.
 *
 * Rule (also in docs/groups.md):
 *   key(op) = (GROUP_OP_PRIORITY[kind], opId as lowercase hex)
 *   Visit all ops in ascending key order; to visit an op, first visit its not-yet-emitted
 *   parents (themselves in ascending key order, recursively), then emit it.
 * The result is a linear extension of the DAG (parents always first: causal history is
 * replayed exactly as its authors saw it), and among concurrent ops the highest-priority op is
 * emitted as early as causality allows, pulling only its own ancestors ahead of it.
 *
 * What that means for conflicts (authorization is checked at each step on the state so far):
 * - Concurrent remove/leave/demotion vs. anything else: the power-removing op goes first, so a
 *   removed or demoted admin's concurrent actions (invites, renames, removals that were not
 *   causal ancestors of the removal) are rejected. Its ops the remover had seen still stand.
 * - Two concurrent removals (or two concurrent role changes): lower op id first; the second is
 *   judged on the state after the first (e.g. an admin removed by the first cannot remove).
 * - A removal and a leave of the same member: whichever goes first applies, the other is
 *   rejected; the epoch advances once.
 * - Concurrent renames by authorized actors: all apply, and the name is a last-writer-wins
 *   register by op id (apply.ts): the highest op id among the concurrent renames wins.
 * - An invite concurrent with the inviter's removal is rejected, and so is the invitee's accept.
 * Because a late-arriving op can reorder concurrent history, an op's outcome (applied or
 * rejected) is final only once every member has seen every op concurrent with it.
 */
import { toHex } from '../bytes.ts'
import { GROUP_OP_PRIORITY } from './constants.ts'
import type { GroupOp } from './operations.ts'

interface Keyed {
  readonly id: string
  readonly priority: number
  readonly op: GroupOp
}

function compareKeyed(a: Keyed, b: Keyed): number {
  return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * Total order (op ids in hex) of a closed DAG: every parent of every op in `ops` is in `ops`.
 * Iterative, so a long chain cannot overflow the stack.
 */
export function groupOpOrder(ops: ReadonlyMap<string, GroupOp>): string[] {
  const keyed = new Map<string, Keyed>()
  for (const [id, op] of ops) keyed.set(id, { id, priority: GROUP_OP_PRIORITY[op.args.kind], op })
  const parentsOf = (entry: Keyed): Keyed[] =>
    entry.op.parents
      .map((p) => keyed.get(toHex(p)))
      .filter((k): k is Keyed => k !== undefined)
      .sort(compareKeyed)
  const emitted = new Set<string>()
  const onStack = new Set<string>()
  const order: string[] = []
  for (const root of [...keyed.values()].sort(compareKeyed)) {
    if (emitted.has(root.id)) continue
    const stack: Array<{ entry: Keyed; parents: Keyed[]; next: number }> = [
      { entry: root, parents: parentsOf(root), next: 0 },
    ]
    onStack.add(root.id)
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as (typeof stack)[number]
      const parent = top.parents[top.next++]
      if (parent === undefined) {
        stack.pop()
        onStack.delete(top.entry.id)
        emitted.add(top.entry.id)
        order.push(top.entry.id)
      } else if (!emitted.has(parent.id) && !onStack.has(parent.id)) {
        onStack.add(parent.id)
        stack.push({ entry: parent, parents: parentsOf(parent), next: 0 })
      }
    }
  }
  return order
}

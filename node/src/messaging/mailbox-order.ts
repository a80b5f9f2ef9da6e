/**
 * The order in which envelopes fetched from several of our mailboxes are delivered: one merged
 * list consistent with each mailbox's own order.
 */
import { toHex } from '../../../core/src/bytes.ts'
import type { StoredEnvelope } from '../../../core/src/mailbox/response.ts'

/**
 * Merge envelope lists from several mailboxes into one order consistent with each list (the
 * same envelope is in several; one relay may have missed some): an envelope not seen yet is
 * placed right after the previous envelope of its own list.
 */
export function mergeMailboxOrder(lists: readonly StoredEnvelope[][]): StoredEnvelope[] {
  // a singly linked list behind a head sentinel (index 0): inserting after a known node is
  // O(1), so merging k lists of n costs O(k·n) (an array splice that renumbered every later
  // position cost O(n²) per list: ~30 ms of a 1,000-message catch-up from 3 mailboxes)
  const items: Array<StoredEnvelope | null> = [null]
  const next: number[] = [-1]
  const node = new Map<string, number>()
  for (const list of lists) {
    let previous = 0
    for (const item of list) {
      const key = toHex(item.hash)
      const at = node.get(key)
      if (at !== undefined) {
        previous = at
        continue
      }
      const index = items.length
      items.push(item)
      next.push(next[previous] as number)
      next[previous] = index
      node.set(key, index)
      previous = index
    }
  }
  const merged: StoredEnvelope[] = []
  for (let i = next[0] as number; i !== -1; i = next[i] as number) merged.push(items[i] as StoredEnvelope)
  return merged
}

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
  const merged: StoredEnvelope[] = []
  const position = new Map<string, number>()
  for (const list of lists) {
    let previous = -1
    for (const item of list) {
      const key = toHex(item.hash)
      const at = position.get(key)
      if (at !== undefined) {
        previous = at
        continue
      }
      merged.splice(previous + 1, 0, item)
      // positions after the insertion point moved by one
      for (const [k, p] of position) if (p > previous) position.set(k, p + 1)
      position.set(key, previous + 1)
      previous += 1
    }
  }
  return merged
}

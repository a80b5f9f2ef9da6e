/**
 * What users see: reads every online user's whole history (every 1:1 and group conversation)
 * and records how many copies of each scheduled message its recipients hold (1 when all is
 * well; duplicates shown to a user would be more).
 */
import { pool } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Messages read per history page. */
const HISTORY_PAGE = 500
/** Users whose history is read in parallel. */
const CHECK_CONCURRENCY = 4

export async function countCopiesInHistory(state: RunState): Promise<void> {
  const { users, metrics, progress } = state
  const byRecipient = new Map<number, Map<string, number>>()
  let checked = 0
  await pool(
    users,
    CHECK_CONCURRENCY,
    async (user) => {
      const rt = user.runtime
      if (rt === null) return
      const counts = new Map<string, number>()
      const conversations = new Set((await rt.vault.listConversations()).map((c) => c.id))
      for (const g of rt.groups.list()) conversations.add(g.conversationId)
      for (const conversationId of conversations) {
        let before: number | undefined
        for (;;) {
          const page = await rt.vault.listMessages(conversationId, before, HISTORY_PAGE)
          for (const m of page.messages)
            if (m.direction === 'in') counts.set(m.id, (counts.get(m.id) ?? 0) + 1)
          if (!page.hasMore || page.messages.length === 0) break
          before = page.messages[0]?.seq
        }
      }
      byRecipient.set(user.index, counts)
      progress('check', ++checked, users.length)
    },
    state.signal,
  )
  for (const m of metrics.messages) {
    if (m.messageId === null) continue
    m.copiesInHistory = byRecipient.get(m.to)?.get(m.messageId) ?? 0
  }
  for (const m of metrics.groupMessages) {
    if (m.messageId === null) continue
    for (const u of m.recipients) m.copiesInHistory[u] = byRecipient.get(u)?.get(m.messageId) ?? 0
  }
}

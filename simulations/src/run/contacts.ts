/** The planned contact pairs, added both ways from each other's contact cards. */
import { parseContactCard } from '../../../core/src/contact-card.ts'
import type { SimUser } from '../harness.ts'
import { pool } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Contact pairs added in parallel. */
const CONTACT_CONCURRENCY = 8

export async function addContacts(state: RunState): Promise<void> {
  const { plan, users, suite, progress } = state
  let added = 0
  await pool(
    plan.contacts,
    CONTACT_CONCURRENCY,
    async ([a, b]) => {
      const ua = users[a] as SimUser
      const ub = users[b] as SimUser
      await ua.runtime?.messenger.addContact(parseContactCard(suite, ub.card), undefined)
      await ub.runtime?.messenger.addContact(parseContactCard(suite, ua.card), undefined)
      progress('contacts', ++added, plan.contacts.length)
    },
    state.signal,
  )
}

/**
 * `<contact>` on the command line: a user id, or a display name matched case-insensitively that
 * must name exactly one contact. Resolved against contacts.list, so the CLI never guesses.
 */
import type { Contact } from '../rpc/api.ts'
import type { WrenClient } from '../rpc/client.ts'
import { WREN_COMMAND } from './command-name.ts'
import { ContactNotFoundError } from './errors.ts'
import { safeText } from './format.ts'

const USER_ID_PATTERN = /^wu[a-z2-7]{26}$/i

export async function resolveContact(client: WrenClient, query: string): Promise<Contact> {
  const { contacts } = await client.call('contacts.list')
  return pickContact(contacts, query)
}

export function pickContact(contacts: readonly Contact[], query: string): Contact {
  const wanted = query.trim()
  if (USER_ID_PATTERN.test(wanted)) {
    const id = wanted.toLowerCase()
    const found = contacts.find((c) => c.userId.toLowerCase() === id)
    if (!found)
      throw new ContactNotFoundError(
        `no contact with user id ${id}`,
        `add it first: ${WREN_COMMAND} add <card>`,
      )
    return found
  }
  const name = wanted.toLowerCase()
  const matches = contacts.filter((c) => c.displayName.toLowerCase() === name)
  if (matches.length === 1) return matches[0]!
  if (matches.length === 0)
    throw new ContactNotFoundError(
      `no contact named "${safeText(wanted)}"`,
      `list them with: ${WREN_COMMAND} contacts (or use the user id)`,
    )
  throw new ContactNotFoundError(
    `"${safeText(wanted)}" matches ${matches.length} contacts: ${matches.map((c) => c.userId).join(', ')}`,
    'use the user id instead',
  )
}

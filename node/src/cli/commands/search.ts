/** wren search <query>: search the whole history (or one contact's chat) and print matches in context. */
import type { Command } from 'commander'
import { directConversationId, MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_CHARS } from '../../rpc/api.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { UsageError } from '../errors.ts'
import { formatTime, printJson, printLine, safeText } from '../format.ts'
import { resolveContact } from '../resolve-contact.ts'

type Globals = (command: Command) => GlobalOptions

export function registerSearchCommand(program: Command, globals: Globals): void {
  program
    .command('search')
    .description(
      "search every conversation (or --in one contact's chat): words match as prefixes or inside words, any case or accent",
    )
    .argument('<query...>', 'words to find (all of them)')
    .option('--in <contact>', 'only the chat with this contact (user id or display name)')
    .option('--limit <n>', `results to show (1–${MAX_SEARCH_LIMIT})`, '20')
    .action(async (words: string[], opts: { in?: string; limit: string }, command: Command) => {
      const g = globals(command)
      const query = words.join(' ').trim()
      if (query === '' || query.length > MAX_SEARCH_QUERY_CHARS)
        throw new UsageError(`the query must have 1 to ${MAX_SEARCH_QUERY_CHARS} characters`)
      const limit = Number(opts.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)
        throw new UsageError(`--limit must be 1 to ${MAX_SEARCH_LIMIT}`)
      const result = await withClient(g, async (client) => {
        const contacts = (await client.call('contacts.list', {})).contacts
        const conversationId =
          opts.in === undefined
            ? undefined
            : directConversationId((await resolveContact(client, opts.in)).userId)
        const page = await client.call('messages.search', {
          query,
          limit,
          ...(conversationId !== undefined ? { conversationId } : {}),
        })
        return { page, names: new Map(contacts.map((c) => [c.userId, c.displayName])) }
      })
      if (g.json) return printJson(result.page)
      if (result.page.results.length === 0) return printLine('No message matches.')
      for (const hit of result.page.results) {
        const who = hit.direction === 'out' ? 'you' : (result.names.get(hit.sender) ?? hit.sender)
        const where = hit.conversationId.startsWith('dm:')
          ? (result.names.get(hit.conversationId.slice(3)) ?? hit.conversationId)
          : hit.conversationId
        printLine(
          `${formatTime(hit.sentAt)}  ${safeText(where)} · ${safeText(who)}: ${safeText(hit.snippet)}`,
        )
        printLine(`    id ${hit.messageId} (seq ${hit.seq})`)
      }
      if (result.page.next !== null) printLine('(more: narrow the query or raise --limit)')
    })
}

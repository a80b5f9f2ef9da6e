/** wren send | history: one-shot messaging. */
import { type Command, InvalidArgumentError } from 'commander'
import { DEFAULT_PAGE_LIMIT, directConversationId, MAX_PAGE_LIMIT, MAX_TEXT_CHARS } from '../../rpc/api.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { UsageError } from '../errors.ts'
import { contactLabel, formatMessage, printJson, printLine } from '../format.ts'
import { resolveContact } from '../resolve-contact.ts'

type Globals = (command: Command) => GlobalOptions

export function parseLimit(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_LIMIT)
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_PAGE_LIMIT}`)
  return n
}

export function registerMessageCommands(program: Command, globals: Globals): void {
  program
    .command('send')
    .description('send a message (end-to-end encrypted); returns once the daemon has queued it')
    .argument('<contact>', 'user id or display name')
    .argument('<text...>', 'the message (words are joined with spaces)')
    .action(async (query: string, words: string[], _opts: unknown, command: Command) => {
      const g = globals(command)
      const text = words.join(' ')
      if (text.trim() === '') throw new UsageError('the message is empty')
      if (text.length > MAX_TEXT_CHARS)
        throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`)
      const { contact, message } = await withClient(g, async (client) => {
        const contact = await resolveContact(client, query)
        const { message } = await client.call('messages.send', {
          conversationId: directConversationId(contact.userId),
          text,
        })
        return { contact, message }
      })
      if (g.json) return printJson(message)
      printLine(`Sent to ${contactLabel(contact)} (${message.status}).`)
    })

  program
    .command('history')
    .description('show the messages of the conversation with a contact, oldest first')
    .argument('<contact>', 'user id or display name')
    .option(
      '--limit <n>',
      `how many of the newest messages (1..${MAX_PAGE_LIMIT})`,
      parseLimit,
      DEFAULT_PAGE_LIMIT,
    )
    .action(async (query: string, opts: { limit: number }, command: Command) => {
      const g = globals(command)
      const { contact, page } = await withClient(g, async (client) => {
        const contact = await resolveContact(client, query)
        const page = await client.call('messages.list', {
          conversationId: directConversationId(contact.userId),
          limit: opts.limit,
        })
        return { contact, page }
      })
      if (g.json) return printJson(page)
      if (page.messages.length === 0) return printLine(`No messages with ${contactLabel(contact)} yet.`)
      if (page.hasMore) printLine(`(older messages not shown; use --limit)`)
      for (const message of page.messages) printLine(formatMessage(message, contactLabel(contact)))
    })
}

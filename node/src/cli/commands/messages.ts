/** wren send | history | save | download: one-shot messaging, files included. */
import { resolve } from 'node:path'
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
    .description('send a message or a file (end-to-end encrypted); returns once the daemon has queued it')
    .argument('<contact>', 'user id or display name')
    .argument('[text...]', 'the message, or the caption of a file (words are joined with spaces)')
    .option('--file <path>', 'send this file (the recipient pulls it while both are online)')
    .action(async (query: string, words: string[], opts: { file?: string }, command: Command) => {
      const g = globals(command)
      const text = words.join(' ')
      if (opts.file === undefined && text.trim() === '') throw new UsageError('the message is empty')
      if (text.length > MAX_TEXT_CHARS)
        throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`)
      const { contact, message } = await withClient(g, async (client) => {
        const contact = await resolveContact(client, query)
        const conversationId = directConversationId(contact.userId)
        const { message } =
          opts.file === undefined
            ? await client.call('messages.send', { conversationId, text })
            : await client.call('attachments.send', {
                conversationId,
                path: resolve(opts.file),
                ...(text === '' ? {} : { caption: text }),
              })
        return { contact, message }
      })
      if (g.json) return printJson(message)
      const what =
        message.attachment === undefined ? '' : ` file ${message.attachment.name}, message ${message.id}`
      printLine(`Sent${what} to ${contactLabel(contact)} (${message.status}).`)
    })

  program
    .command('save')
    .description('write the file of a message (received and complete, or one you sent) to PATH')
    .argument('<messageId>', 'the message that carries the file (wren history --json shows ids)')
    .argument('<path>', 'where to write it')
    .option('--overwrite', 'replace PATH if it exists')
    .action(async (messageId: string, path: string, opts: { overwrite?: boolean }, command: Command) => {
      const g = globals(command)
      const saved = await withClient(g, (client) =>
        client.call('attachments.save', {
          messageId,
          path: resolve(path),
          ...(opts.overwrite ? { overwrite: true } : {}),
        }),
      )
      if (g.json) return printJson(saved)
      printLine(`Saved ${saved.bytes} bytes to ${saved.path}.`)
    })

  program
    .command('download')
    .description(
      'fetch a received file that waits as offered (the auto-download setting did not fetch it: files ask by default, and nothing over 100 MiB)',
    )
    .argument('<messageId>', 'the message that carries the file')
    .action(async (messageId: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const view = await withClient(g, (client) => client.call('attachments.download', { messageId }))
      if (g.json) return printJson(view)
      printLine(`Downloading ${view.name} (${view.state}); wren save ${messageId} PATH once it is complete.`)
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

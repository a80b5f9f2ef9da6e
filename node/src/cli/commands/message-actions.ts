/** wren reply | react | edit | delete: actions on one message of a direct chat (ids: wren history --json). */
import type { Command } from 'commander'
import { directConversationId, MAX_TEXT_CHARS } from '../../rpc/api.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { UsageError } from '../errors.ts'
import { contactLabel, printJson, printLine } from '../format.ts'
import { resolveContact } from '../resolve-contact.ts'

type Globals = (command: Command) => GlobalOptions

function joinText(words: string[]): string {
  const text = words.join(' ')
  if (text.trim() === '') throw new UsageError('the message is empty')
  if (text.length > MAX_TEXT_CHARS)
    throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`)
  return text
}

export function registerMessageActionCommands(program: Command, globals: Globals): void {
  program
    .command('reply')
    .description('answer a message of the chat with a contact; the reply carries a quote of it')
    .argument('<contact>', 'user id or display name')
    .argument('<messageId>', 'the message to answer (wren history --json shows ids)')
    .argument('<text...>', 'the reply (words are joined with spaces)')
    .action(async (query: string, messageId: string, words: string[], _opts: unknown, command: Command) => {
      const g = globals(command)
      const text = joinText(words)
      const { contact, message } = await withClient(g, async (client) => {
        const contact = await resolveContact(client, query)
        const conversationId = directConversationId(contact.userId)
        const { message } = await client.call('messages.send', { conversationId, text, replyTo: messageId })
        return { contact, message }
      })
      if (g.json) return printJson(message)
      printLine(`Replied to ${contactLabel(contact)} (${message.status}).`)
    })

  program
    .command('react')
    .description('react to a message with one emoji (again with another to change it), or --remove yours')
    .argument('<messageId>', 'the message (wren history --json shows ids)')
    .argument('[emoji]', 'one emoji, e.g. 👍')
    .option('--remove', 'remove your reaction')
    .action(
      async (messageId: string, emoji: string | undefined, opts: { remove?: boolean }, command: Command) => {
        const g = globals(command)
        if ((emoji === undefined) === (opts.remove !== true))
          throw new UsageError('give one emoji, or --remove')
        const { message } = await withClient(g, (client) =>
          client.call('messages.react', { messageId, emoji: opts.remove ? null : (emoji as string) }),
        )
        if (g.json) return printJson(message)
        printLine(opts.remove ? 'Reaction removed.' : `Reacted ${emoji}.`)
      },
    )

  program
    .command('edit')
    .description('replace the text of one of your messages (within 24 h of sending; the old text is kept)')
    .argument('<messageId>', 'your message (wren history --json shows ids)')
    .argument('<text...>', 'the new text (words are joined with spaces)')
    .action(async (messageId: string, words: string[], _opts: unknown, command: Command) => {
      const g = globals(command)
      const text = joinText(words)
      const { message } = await withClient(g, (client) => client.call('messages.edit', { messageId, text }))
      if (g.json) return printJson(message)
      printLine('Edited.')
    })

  program
    .command('delete')
    .description('delete a message here, or with --for-everyone one of yours on both sides (within 24 h)')
    .argument('<messageId>', 'the message (wren history --json shows ids)')
    .option('--for-everyone', 'erase its text on both sides (your own messages only)')
    .action(async (messageId: string, opts: { forEveryone?: boolean }, command: Command) => {
      const g = globals(command)
      const forEveryone = opts.forEveryone === true
      const { message } = await withClient(g, (client) =>
        client.call('messages.delete', { messageId, forEveryone }),
      )
      if (g.json) return printJson(message)
      printLine(forEveryone ? 'Deleted for everyone.' : 'Deleted here.')
    })
}

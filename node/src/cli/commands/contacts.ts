/** wren add | contacts | safety-number | verify | accept-key: the people you talk to. */
import type { Command } from 'commander'
import { MAX_CARD_CHARS } from '../../rpc/api.ts'
import { WREN_COMMAND } from '../command-name.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { UsageError } from '../errors.ts'
import { contactLabel, formatContact, formatSafetyNumber, printJson, printLine } from '../format.ts'
import { resolveContact } from '../resolve-contact.ts'

type Globals = (command: Command) => GlobalOptions

/** A card argument of '-' is read from stdin (cards are long to paste); at most MAX_CARD_CHARS. */
async function cardArgument(card: string): Promise<string> {
  if (card !== '-') return card.trim()
  let text = ''
  for await (const chunk of process.stdin) {
    text += String(chunk)
    if (text.length > MAX_CARD_CHARS + 2)
      throw new UsageError(`the card on stdin is longer than ${MAX_CARD_CHARS} characters`)
  }
  const trimmed = text.trim()
  if (!trimmed) throw new UsageError('no card on stdin')
  return trimmed
}

export function registerContactCommands(program: Command, globals: Globals): void {
  program
    .command('add')
    .description("add a contact from their card ('-' reads it from stdin); pins their identity key")
    .argument('<card>', "the card string ('wren:...'), or '-'")
    .option('--name <name>', 'your own name for this contact (default: the name in the card)')
    .action(async (cardArg: string, opts: { name?: string }, command: Command) => {
      const g = globals(command)
      const card = await cardArgument(cardArg)
      const contact = await withClient(g, (client) =>
        client.call('contacts.add', opts.name === undefined ? { card } : { card, name: opts.name }),
      )
      if (g.json) return printJson(contact)
      printLine(`Added ${contactLabel(contact)} (${contact.userId}).`)
      printLine(`Compare safety numbers to verify them: ${WREN_COMMAND} safety-number ${contact.userId}`)
    })

  program
    .command('contacts')
    .description('list your contacts')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command)
      const { contacts } = await withClient(g, (client) => client.call('contacts.list'))
      if (g.json) return printJson({ contacts })
      if (contacts.length === 0) return printLine(`No contacts yet. Add one with: ${WREN_COMMAND} add <card>`)
      for (const contact of contacts) printLine(formatContact(contact))
    })

  program
    .command('safety-number')
    .description('show the safety number you share with a contact, to compare in person or on a call')
    .argument('<contact>', 'user id or display name')
    .action(async (query: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const { contact, result } = await withClient(g, async (client) => {
        const contact = await resolveContact(client, query)
        return { contact, result: await client.call('contacts.safetyNumber', { userId: contact.userId }) }
      })
      if (g.json)
        return printJson({
          userId: contact.userId,
          safetyNumber: result.safetyNumber,
          qrPayload: result.qrPayload,
        })
      printLine(`Safety number with ${contactLabel(contact)}:`)
      printLine(formatSafetyNumber(result.safetyNumber))
      printLine(`If it matches theirs: ${WREN_COMMAND} verify ${contact.userId} --safety-number <the digits>`)
    })

  program
    .command('verify')
    .description('mark a contact verified, checking the safety number when given')
    .argument('<contact>', 'user id or display name')
    .option('--safety-number <digits>', 'the number they read to you (spaces allowed); must match')
    .action(async (query: string, opts: { safetyNumber?: string }, command: Command) => {
      const g = globals(command)
      const digits = opts.safetyNumber?.replace(/\s+/g, '')
      if (digits !== undefined && !/^[0-9]{60}$/.test(digits))
        throw new UsageError('--safety-number must be the 60 digits of the safety number')
      const contact = await withClient(g, async (client) => {
        const { userId } = await resolveContact(client, query)
        return client.call(
          'contacts.verify',
          digits === undefined ? { userId } : { userId, safetyNumber: digits },
        )
      })
      if (g.json) return printJson(contact)
      printLine(`${contactLabel(contact)} is verified.`)
    })

  program
    .command('accept-key')
    .description("accept a contact's new identity key after it changed (they stay unverified)")
    .argument('<contact>', 'user id or display name')
    .action(async (query: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const contact = await withClient(g, async (client) => {
        const { userId } = await resolveContact(client, query)
        return client.call('contacts.acceptKeyChange', { userId })
      })
      if (g.json) return printJson(contact)
      printLine(
        `Accepted the new key of ${contactLabel(contact)}; verify it again with: ${WREN_COMMAND} safety-number ${contact.userId}`,
      )
    })
}

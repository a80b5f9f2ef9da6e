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
    .description(
      'mark a contact verified once your safety numbers match: give the number they read to you, or the payload of their QR code',
    )
    .argument('<contact>', 'user id or display name')
    .option('--safety-number <digits>', 'the number they read to you (spaces allowed); must match')
    .option('--qr-payload <base64>', 'the payload scanned from their safety-number QR code; must match')
    .option(
      '--i-compared',
      'you compared the numbers yourself and they match: mark verified without checking',
    )
    .action(
      async (
        query: string,
        opts: { safetyNumber?: string; qrPayload?: string; iCompared?: boolean },
        command: Command,
      ) => {
        const g = globals(command)
        const given = [opts.safetyNumber, opts.qrPayload, opts.iCompared].filter((v) => v !== undefined)
        if (given.length !== 1)
          throw new UsageError(
            given.length === 0
              ? 'verify needs the safety number to check: --safety-number <digits> or --qr-payload <base64>'
              : 'give only one of --safety-number, --qr-payload and --i-compared',
            `see your number with: ${WREN_COMMAND} safety-number ${query}; if you compared it with theirs yourself, add --i-compared`,
          )
        const digits = opts.safetyNumber?.replace(/[\s\-.]+/g, '')
        if (digits !== undefined && !/^[0-9]{60}$/.test(digits))
          throw new UsageError('--safety-number must be the 60 digits of the safety number')
        const contact = await withClient(g, async (client) => {
          const { userId } = await resolveContact(client, query)
          if (digits !== undefined) return client.call('contacts.verify', { userId, safetyNumber: digits })
          if (opts.qrPayload !== undefined)
            return client.call('contacts.verify', { userId, qrPayload: opts.qrPayload.trim() })
          return client.call('contacts.verify', { userId, compared: true })
        })
        if (g.json) return printJson(contact)
        printLine(`${contactLabel(contact)} is verified.`)
      },
    )

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

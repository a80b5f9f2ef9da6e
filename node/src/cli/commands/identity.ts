/** wren init | unlock | card | picture | status: the profile's own identity and the daemon's state. */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import QRCode from 'qrcode'
import { type Identity, MAX_DISPLAY_NAME_CHARS, type Result } from '../../rpc/api.ts'
import { wrenCommand } from '../command-name.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { UsageError } from '../errors.ts'
import { printJson, printLine, safeText } from '../format.ts'
import { readPassphrase } from '../passphrase.ts'
import { printNetworkReport } from './network.ts'

type Globals = (command: Command) => GlobalOptions

const PASSPHRASE_FILE_HELP = "read the passphrase from this file ('-' = stdin) instead of prompting"

/** The identity as --json shows it: everything the daemon returned except the bulky SVG QR. */
function identityJson(identity: Identity) {
  const { cardQrSvg: _svg, ...rest } = identity
  return rest
}

function printIdentity(identity: Identity): void {
  printLine(`name:    ${safeText(identity.displayName)}`)
  printLine(`user id: ${identity.userId}`)
  printLine(`peer id: ${identity.peerId}`)
  printLine(`card:    ${identity.card}`)
}

export function registerIdentityCommands(program: Command, globals: Globals): void {
  program
    .command('init')
    .description('create the identity of this profile (the daemon must be running)')
    .requiredOption('--name <name>', 'your display name, shown to contacts')
    .option('--passphrase-file <path>', PASSPHRASE_FILE_HELP)
    .action(async (opts: { name: string; passphraseFile?: string }, command: Command) => {
      const g = globals(command)
      if (opts.name.trim() === '' || opts.name.length > MAX_DISPLAY_NAME_CHARS)
        throw new UsageError(`--name must have 1 to ${MAX_DISPLAY_NAME_CHARS} characters`)
      const passphrase = await readPassphrase({ file: opts.passphraseFile, confirm: true, isNew: true })
      const identity = await withClient(g, (client) =>
        client.call('identity.create', { passphrase, displayName: opts.name }),
      )
      if (g.json) return printJson(identityJson(identity))
      printLine(`Created the identity of profile ${g.profile}; it is unlocked.`)
      printIdentity(identity)
    })

  program
    .command('unlock')
    .description('unlock the profile in the daemon with its passphrase')
    .option('--passphrase-file <path>', PASSPHRASE_FILE_HELP)
    .action(async (opts: { passphraseFile?: string }, command: Command) => {
      const g = globals(command)
      const passphrase = await readPassphrase({ file: opts.passphraseFile })
      const identity = await withClient(g, (client) => client.call('identity.unlock', { passphrase }))
      if (g.json) return printJson(identityJson(identity))
      printLine(`Unlocked profile ${g.profile} (${identity.userId}).`)
    })

  program
    .command('lock')
    .description('lock the profile: the node stops, keys leave memory; wren unlock opens it again')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command)
      await withClient(g, (client) => client.call('identity.lock'))
      if (g.json) return printJson({ locked: true })
      printLine(`Locked profile ${g.profile}: the device is offline until wren unlock.`)
    })

  program
    .command('picture [path]')
    .description(
      'set your profile picture from a JPEG or PNG (cut to a 96 px square, metadata removed) and send it to your contacts; --remove removes it; without either, say whether one is set',
    )
    .option('--remove', 'remove your picture (contacts then see your identicon)')
    .action(async (path: string | undefined, opts: { remove?: boolean }, command: Command) => {
      const g = globals(command)
      if (path !== undefined && opts.remove) throw new UsageError('give a path or --remove, not both')
      const { picture } = await withClient(g, (client) =>
        path !== undefined
          ? client.call('identity.setPicture', { path: resolve(path) })
          : opts.remove
            ? client.call('identity.setPicture', { remove: true })
            : client.call('identity.picture'),
      )
      if (g.json) return printJson({ picture })
      if (picture === null)
        return printLine(opts.remove ? 'Picture removed; your contacts are told.' : 'No picture is set.')
      const bytes = Buffer.from(picture.jpeg, 'base64').length
      printLine(
        path !== undefined
          ? `Picture set (${bytes} bytes, 96 px); it goes to your contacts, end-to-end encrypted.`
          : `A picture is set (${bytes} bytes), since ${new Date(picture.setAt).toISOString()}.`,
      )
    })

  program
    .command('card')
    .description('print your contact card, to give to people who should be able to message you')
    .option('--qr', 'also draw the card as a QR code in the terminal')
    .action(async (opts: { qr?: boolean }, command: Command) => {
      const g = globals(command)
      const identity = await withClient(g, (client) => client.call('identity.get'))
      if (g.json)
        return printJson({ userId: identity.userId, displayName: identity.displayName, card: identity.card })
      if (opts.qr) {
        const qr = await QRCode.toString(identity.card, { type: 'terminal', small: true })
        process.stdout.write(qr.endsWith('\n') ? qr : `${qr}\n`)
      }
      printLine(identity.card)
    })

  program
    .command('status')
    .description('daemon, identity and network status')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command)
      const status = await withClient(g, (client) => client.call('node.status'))
      if (g.json) return printJson({ profile: g.profile, ...status })
      printStatus(g.profile, status)
    })
}

function printStatus(profile: string, s: Result<'node.status'>): void {
  const state = !s.hasIdentity
    ? `none yet: create it with: ${wrenCommand('init --name <your name>', profile)}`
    : s.unlocked
      ? 'unlocked'
      : `locked: unlock it with: ${wrenCommand('unlock', profile)}`
  printLine(`profile:     ${profile}`)
  printLine(`daemon:      running, version ${s.version}, up ${Math.round(s.uptimeMs / 1000)} s`)
  printLine(`identity:    ${state}`)
  if (s.userId) printLine(`user id:     ${s.userId}`)
  if (s.peerId) printLine(`peer id:     ${s.peerId}`)
  if (!s.unlocked && s.listenAddrs.length === 0) {
    // listening on addresses given with --listen: nothing to show before the node starts
    const when = s.hasIdentity ? 'once the profile is unlocked' : 'once the identity exists'
    printLine(`network:     not started yet: the node starts ${when}; then this command lists its addresses`)
    return
  }
  if (!s.unlocked) {
    // the profile's kept ports: where the node will listen (its peer id comes with the identity)
    const when = s.hasIdentity ? 'once the profile is unlocked' : 'once the identity exists'
    printLine(`network:     starts ${when}; it will listen on the addresses below (same ports)`)
  } else {
    printLine(`connections: ${s.connections} (relays: ${s.relays})`)
  }
  for (const addr of s.listenAddrs) printLine(`listening:   ${addr}`)
  if (s.network !== null) printNetworkReport(s.network, Date.now())
}

/**
 * wren link (on the new device: show the code, then confirm the number) and wren link <code> (on
 * the primary: dial, show the number, confirm the other's) — issue 18.
 */
import { createInterface } from 'node:readline/promises'
import type { Command } from 'commander'
import QRCode from 'qrcode'
import type { WrenClient } from '../../rpc/client.ts'
import type { GlobalOptions } from '../context.ts'
import { withClient } from '../context.ts'
import { printLine } from '../format.ts'
import { readPassphrase } from '../passphrase.ts'

type Globals = (command: Command) => GlobalOptions

async function askNumber(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return (await rl.question(prompt)).trim()
  } finally {
    rl.close()
  }
}

async function linkAsPrimary(client: WrenClient, code: string): Promise<void> {
  const { confirmation } = await client.call('devices.link', { code })
  printLine(`This device shows: ${confirmation}`)
  const typed = await askNumber('Number shown on the new device: ')
  const done = await client.call('devices.confirm', { confirmation: typed })
  printLine(
    `Linked device ${done.deviceId?.slice(0, 16)}…; device list version ${done.version} pushed to contacts.`,
  )
}

async function linkAsNewDevice(client: WrenClient, passphraseFile: string | undefined): Promise<void> {
  const passphrase = await readPassphrase({ file: passphraseFile, confirm: true, isNew: true })
  let onConfirm: (n: string) => void = () => {}
  const shown = new Promise<string>((resolve) => {
    onConfirm = resolve
  })
  let onLinked: (error: string | undefined) => void = () => {}
  const linked = new Promise<string | undefined>((resolve) => {
    onLinked = resolve
  })
  const offConfirm = await client.on(
    'device.linkConfirm',
    (p) => p.role === 'new' && onConfirm(p.confirmation),
  )
  const offLinked = await client.on('device.linked', (p) => p.role === 'new' && onLinked(p.error))
  try {
    const { code } = await client.call('devices.linkStart', { passphrase })
    printLine(await QRCode.toString(code, { type: 'utf8', errorCorrectionLevel: 'M' }))
    printLine(code)
    printLine('On your primary device run: wren link <the code above>')
    printLine(`This device shows: ${await shown}`)
    await client.call('devices.confirm', { confirmation: await askNumber('Number shown on the primary: ') })
    const error = await linked
    if (error !== undefined) throw new Error(`the link failed: ${error}`)
    printLine('This device is linked: the identity, contacts and history are here.')
  } finally {
    offConfirm()
    offLinked()
  }
}

export function registerLinkCommands(program: Command, globals: Globals): void {
  program
    .command('link [code]')
    .description(
      'without a code (on a new profile): show a link code and become a new device of the primary that uses it; with a code (on the primary): link the device that shows it',
    )
    .option(
      '--passphrase-file <path>',
      "new device: read the profile passphrase from this file ('-' = stdin)",
    )
    .action(async (code: string | undefined, opts: { passphraseFile?: string }, command: Command) => {
      await withClient(globals(command), (client) =>
        code === undefined ? linkAsNewDevice(client, opts.passphraseFile) : linkAsPrimary(client, code),
      )
    })
}

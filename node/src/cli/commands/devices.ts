/**
 * wren devices: this identity's device list, or a contact's pinned one; wren revoke: revoke
 * another device of this identity; wren backup / wren restore:
 * an encrypted backup of the profile, restored on a fresh profile as a new device (issue 18).
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { DeviceList } from '../../rpc/api.ts'
import type { GlobalOptions } from '../context.ts'
import { withClient } from '../context.ts'
import { DeviceNotFoundError, UsageError } from '../errors.ts'
import { formatTime, printJson, printLine } from '../format.ts'
import { readPassphrase } from '../passphrase.ts'
import { resolveContact } from '../resolve-contact.ts'

type Globals = (command: Command) => GlobalOptions

/**
 * Shortest device id prefix `wren revoke` takes, in hex digits: 8 digits (32 bits) cannot match
 * two devices of a list by accident, and `wren devices` shows 16.
 */
const MIN_DEVICE_ID_PREFIX = 8
const DEVICE_ID_HEX = 64

const BACKUP_PASSPHRASE_HELP = "read the backup passphrase from this file ('-' = stdin) instead of prompting"

function printDevices(list: DeviceList): void {
  if (list.version === 0) {
    printLine('No device list known yet.')
    return
  }
  printLine(`Device list version ${list.version}:`)
  for (const d of list.devices)
    printLine(
      `  ${d.deviceId.slice(0, 16)}…  ${d.peerId}  since ${formatTime(d.createdAt)}${d.current ? '  (this device)' : ''}`,
    )
  for (const id of list.revoked) printLine(`  ${id.slice(0, 16)}…  revoked`)
}

export function registerDeviceCommands(program: Command, globals: Globals): void {
  program
    .command('devices [contact]')
    .description("list this identity's devices, or the device list pinned for a contact")
    .action(async (contact: string | undefined, _opts: unknown, command: Command) => {
      const g = globals(command)
      const list = await withClient(g, async (client) => {
        const userId = contact === undefined ? undefined : (await resolveContact(client, contact)).userId
        return client.call('devices.list', userId === undefined ? {} : { userId })
      })
      if (g.json) return printJson(list)
      printDevices(list)
    })

  program
    .command('revoke <deviceId>')
    .description(
      'revoke another device of this identity (its id from `wren devices`, or a unique prefix of at least 8 hex digits): the list is signed again without it and pushed to every contact, who stop sending to it; it locks itself when it can be told',
    )
    .action(async (deviceId: string, _opts: unknown, command: Command) => {
      const g = globals(command)
      const prefix = deviceId.trim().toLowerCase().replace(/…$/, '')
      if (
        prefix.length < MIN_DEVICE_ID_PREFIX ||
        prefix.length > DEVICE_ID_HEX ||
        !/^[0-9a-f]+$/.test(prefix)
      )
        throw new UsageError(
          `a device id is ${MIN_DEVICE_ID_PREFIX} to ${DEVICE_ID_HEX} hex digits`,
          'see `wren devices` for the ids',
        )
      const done = await withClient(g, async (client) => {
        const list = await client.call('devices.list', {})
        const matches = list.devices.filter((d) => d.deviceId.startsWith(prefix))
        const [device] = matches
        if (device === undefined || matches.length > 1)
          throw new DeviceNotFoundError(
            device === undefined
              ? `no device ${prefix} on this identity's list`
              : `${prefix} matches several devices`,
            'see `wren devices` for the ids',
          )
        if (device.current)
          throw new UsageError('this is the device you are using: revoke it from another one')
        return {
          deviceId: device.deviceId,
          ...(await client.call('devices.revoke', { deviceId: device.deviceId })),
        }
      })
      if (g.json) return printJson(done)
      printLine(
        `Device ${done.deviceId.slice(0, 16)}… revoked: device list version ${done.version}${done.told ? ', the device was told and locks itself' : ', the device could not be reached (contacts stop sending to it all the same)'}.`,
      )
    })

  program
    .command('backup <path>')
    .description(
      'write an encrypted backup of this profile (identity, contacts, groups, history) to a new file',
    )
    .option('--passphrase-file <path>', BACKUP_PASSPHRASE_HELP)
    .action(async (path: string, opts: { passphraseFile?: string }, command: Command) => {
      const g = globals(command)
      const passphrase = await readPassphrase({ file: opts.passphraseFile, confirm: true, isNew: true })
      const done = await withClient(g, (client) =>
        client.call('backup.export', { path: resolve(path), passphrase }),
      )
      if (g.json) return printJson(done)
      printLine(`Backup written to ${done.path}: ${done.records} records, ${done.bytes} bytes.`)
    })

  program
    .command('restore <path>')
    .description(
      'restore a backup into this profile (it must have no identity): it becomes a new device of the same identity; the profile passphrase is the backup passphrase',
    )
    .option('--passphrase-file <path>', BACKUP_PASSPHRASE_HELP)
    .action(async (path: string, opts: { passphraseFile?: string }, command: Command) => {
      const g = globals(command)
      const passphrase = await readPassphrase({ file: opts.passphraseFile })
      const identity = await withClient(g, (client) =>
        client.call('backup.import', { path: resolve(path), passphrase }),
      )
      if (g.json) return printJson({ userId: identity.userId, peerId: identity.peerId })
      printLine(`Restored ${identity.displayName} (${identity.userId}) as a new device: ${identity.peerId}.`)
    })
}

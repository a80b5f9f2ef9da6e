/**
 * The `wren` command line: global options, the commands, and help text that lists the exit codes.
 * Every command talks to the profile's daemon through WrenClient, like any other client.
 */
import { readFileSync } from 'node:fs'
import { Command, InvalidArgumentError, Option } from 'commander'
import { PROFILE_NAME_PATTERN } from '../profile/profile.ts'
import { WREN_COMMAND } from './command-name.ts'
import { registerCallMediaCommands } from './commands/call.ts'
import { registerCallCommands } from './commands/calls.ts'
import { registerChatCommand } from './commands/chat.ts'
import { registerContactCommands } from './commands/contacts.ts'
import { registerDaemonCommand } from './commands/daemon.ts'
import { registerDeviceCommands } from './commands/devices.ts'
import { registerGroupCommands } from './commands/group.ts'
import { registerIdentityCommands } from './commands/identity.ts'
import { registerLinkCommands } from './commands/link.ts'
import { registerMessageActionCommands } from './commands/message-actions.ts'
import { registerMessageCommands } from './commands/messages.ts'
import { registerNetworkCommands } from './commands/network.ts'
import { registerRoomCommand } from './commands/room.ts'
import { registerSearchCommand } from './commands/search.ts'
import type { GlobalOptions } from './context.ts'
import { exitCodeHelp } from './exit-codes.ts'
import { PASSPHRASE_ENV } from './passphrase.ts'

/** Largest --timeout accepted, in ms: ten minutes is longer than any call should ever take. */
export const MAX_TIMEOUT_MS = 600_000

function parseTimeout(value: string): number {
  const ms = Number(value)
  if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS)
    throw new InvalidArgumentError(`must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`)
  return ms
}

function parseProfile(value: string): string {
  if (!PROFILE_NAME_PATTERN.test(value))
    throw new InvalidArgumentError(
      "letters, digits, '-' and '_' (at most 64, starting with a letter or digit)",
    )
  return value
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'))
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}

const ENVIRONMENT_HELP = `Environment:
  WREN_HOME        folder of the profiles (default ~/.wren); --home overrides it
  ${PASSPHRASE_ENV.padEnd(16)} passphrase for init/unlock when no --passphrase-file is given`

const EXAMPLES_HELP = `Getting started (in the Wren folder, after npm install):
  ${WREN_COMMAND} daemon                     # the daemon of profile 'default' (keep it running)
  ${WREN_COMMAND} status                     # in another terminal: its addresses
  ${WREN_COMMAND} init --name Alice          # create your identity (asks for a passphrase)
  ${WREN_COMMAND} card                       # your card: give it to a friend
  ${WREN_COMMAND} add 'wren:...' --name Bob  # add theirs
  ${WREN_COMMAND} chat Bob
A second person on the same machine adds --profile bob to every command.`

/** The options every command sees, whether given before or after the command name. */
export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<{ home?: string; profile: string; json?: boolean; timeout?: number }>()
  return { home: o.home, profile: o.profile, json: o.json === true, timeout: o.timeout }
}

export function createProgram(): Command {
  const program = new Command()
    .name('wren')
    .description('Wren: serverless end-to-end encrypted messaging. Talks to the daemon of a profile.')
    .version(packageVersion(), '-V, --version')
    .addOption(
      new Option('--home <dir>', 'WREN_HOME: folder of the profiles (default $WREN_HOME or ~/.wren)'),
    )
    .addOption(new Option('--profile <name>', 'profile to use').default('default').argParser(parseProfile))
    .option('--json', 'machine-readable output: one JSON value on stdout (errors as JSON on stderr)')
    .addOption(
      new Option('--timeout <ms>', 'bound on reaching the daemon and on each call').argParser(parseTimeout),
    )
    .exitOverride()
    .showHelpAfterError(`(${WREN_COMMAND} --help lists commands and options)`)
    .configureOutput({ outputError: (text, write) => write(text) })
    .addHelpText('after', `\n${EXAMPLES_HELP}\n\n${ENVIRONMENT_HELP}\n\n${exitCodeHelp()}`)

  registerDaemonCommand(program, globalOptions)
  registerIdentityCommands(program, globalOptions)
  registerContactCommands(program, globalOptions)
  registerMessageCommands(program, globalOptions)
  registerMessageActionCommands(program, globalOptions)
  registerSearchCommand(program, globalOptions)
  registerChatCommand(program, globalOptions)
  registerGroupCommands(program, globalOptions)
  registerCallCommands(program, globalOptions)
  registerCallMediaCommands(program, globalOptions)
  registerDeviceCommands(program, globalOptions)
  registerLinkCommands(program, globalOptions)
  registerNetworkCommands(program, globalOptions)
  registerRoomCommand(program)
  return program
}

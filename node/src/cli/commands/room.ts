/**
 * wren room [CODE]: an ephemeral end-to-end encrypted chat with whoever holds the same code. No
 * profile and no daemon: this process runs its own short-lived libp2p host, keeps every key in
 * memory, writes nothing to disk, and wipes its keys on /quit. Without a code it makes one.
 */
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { type Command, InvalidArgumentError, Option } from 'commander'
import {
  formatRoomCode,
  generateRoomCode,
  normalizeRoomCode,
  RoomCodeError,
} from '../../../../core/src/room/code.ts'
import { MAX_ROOM_LINE_CHARS } from '../../../../core/src/room/constants.ts'
import { ROOM_CODE_EXPIRY_MS } from '../../room/constants.ts'
import { Room, type RoomNodeEvent } from '../../room/room.ts'
import { CliError, UsageError } from '../errors.ts'
import { EXIT } from '../exit-codes.ts'
import { printLine, safeText } from '../format.ts'

const QUIT_COMMANDS = new Set(['/quit', '/exit', '/q'])
/** Longest expiry a user may ask for, in minutes: a code is meant to be used soon (1 day). */
const MAX_EXPIRY_MINUTES = 24 * 60
/** Endings that are a normal goodbye (exit 0); anything else exits ROOM_FAILED. */
const GOODBYES = new Set(['quit', 'peer-quit'])

interface RoomOptions {
  relay: string[]
  bootstrap: string[]
  expireMinutes?: number
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function parseMinutes(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_EXPIRY_MINUTES)
    throw new InvalidArgumentError(`must be a whole number of minutes from 1 to ${MAX_EXPIRY_MINUTES}`)
  return n
}

const STATE_LINES: Readonly<Record<string, string>> = {
  searching: 'searching for the other person…',
  found: 'found someone: setting up keys…',
  'key-setup': 'checking that you share the same code…',
  connected: `connected: end-to-end encrypted, keys in memory only. Type lines (up to ${MAX_ROOM_LINE_CHARS} characters); /quit leaves.`,
}

export function registerRoomCommand(program: Command): void {
  program
    .command('room')
    .description(
      'ephemeral chat with whoever has the same room code: no profile, nothing on disk; without CODE one is made',
    )
    .argument('[code]', 'the room code (8 to 16 characters; dashes and case do not matter)')
    .option('--relay <multiaddr>', 'a Wren relay to meet through (repeatable)', collect, [])
    .option('--bootstrap <multiaddr>', 'another peer to dial at start (repeatable)', collect, [])
    .addOption(
      new Option(
        '--expire-minutes <n>',
        `minutes after which an unused code expires (default ${ROOM_CODE_EXPIRY_MS / 60_000})`,
      ).argParser(parseMinutes),
    )
    .action(async (code: string | undefined, opts: RoomOptions) => {
      const ended = await runRoom(code, opts)
      if (!GOODBYES.has(ended.reason)) throw new CliError(EXIT.ROOM_FAILED, `room ended: ${ended.detail}`)
    })
}

async function runRoom(
  input: string | undefined,
  opts: RoomOptions,
): Promise<{ reason: string; detail: string }> {
  let code: string
  try {
    code =
      input === undefined ? generateRoomCode((n) => new Uint8Array(randomBytes(n))) : normalizeRoomCode(input)
  } catch (err) {
    if (err instanceof RoomCodeError) throw new UsageError(err.message)
    throw err
  }
  const expiryMs = (opts.expireMinutes ?? ROOM_CODE_EXPIRY_MS / 60_000) * 60_000
  printLine(
    `room code: ${formatRoomCode(code)}${input === undefined ? '  (give it to the other person)' : ''}`,
  )
  printLine(`the code expires if nobody joins within ${expiryMs / 60_000} min`)
  if (opts.relay.length + opts.bootstrap.length === 0)
    printLine('no --relay given: only someone on this local network can join')
  let ended = { reason: 'transport', detail: 'the room stopped' }
  const room = new Room({
    code,
    bootstrap: [...opts.relay, ...opts.bootstrap],
    expiryMs,
    onEvent: (event) => {
      if (event.type === 'ended') ended = { reason: event.reason, detail: event.detail }
      show(event)
    },
  })
  code = ''
  const lines = createInterface({ input: process.stdin, terminal: false })
  lines.on('line', (line) => {
    if (QUIT_COMMANDS.has(line.trim())) void room.quit()
    else if (line.length > 0) room.send(line)
  })
  lines.on('close', () => void room.quit())
  const onSignal = () => void room.quit()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await room.open()
    await room.finished
    return ended
  } finally {
    lines.close()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function show(event: RoomNodeEvent): void {
  if (event.type === 'state') {
    const line = STATE_LINES[event.state]
    if (line !== undefined) printLine(line)
  } else if (event.type === 'text') printLine(`them: ${safeText(event.text)}`)
  else if (event.type === 'notice') printLine(`! ${event.text}`)
  else printLine(`room closed: ${event.detail}`)
}

/**
 * wren calls: the call list (live calls, then the call log), newest first; `--relay-only on|off`
 * changes the "relay calls only" setting (media through TURN on our relays only). Placing and answering
 * calls with media in the CLI process is `wren call` / `wren answer` (call.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import { type Call, MAX_CALL_LIST_LIMIT } from '../../rpc/api.ts'
import type { GlobalOptions } from '../context.ts'
import { withClient } from '../context.ts'
import { formatTime, printJson, printLine, safeText } from '../format.ts'

type Globals = (command: Command) => GlobalOptions

const DEFAULT_LIMIT = 20
const MS_PER_SECOND = 1000

function parseCallLimit(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_CALL_LIST_LIMIT)
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_CALL_LIST_LIMIT}`)
  return n
}

/** One line: when, direction, who, and how it went. */
export function formatCall(call: Call, names: ReadonlyMap<string, string>): string {
  const who = safeText(names.get(call.peerUserId) ?? call.peerUserId)
  const arrow = call.direction === 'outgoing' ? '→' : '←'
  let how: string
  if (call.state !== 'ended') how = call.state
  else if (call.missed) how = 'missed'
  else if (call.connectedAt !== null) how = `${Math.round(call.durationMs / MS_PER_SECOND)} s`
  else how = call.endReason ?? 'ended'
  return `${formatTime(call.startedAt)}  ${arrow} ${who}  ${how}`
}

function parseOnOff(value: string): boolean {
  if (value === 'on') return true
  if (value === 'off') return false
  throw new InvalidArgumentError('must be on or off')
}

export function registerCallCommands(program: Command, globals: Globals): void {
  program
    .command('calls')
    .description('list calls: live ones, then the call log, newest first')
    .addOption(new Option('-n, --limit <n>', 'how many').argParser(parseCallLimit).default(DEFAULT_LIMIT))
    .addOption(
      new Option(
        '--relay-only <on|off>',
        'relay calls only: media through TURN on your relays, hiding your IP address from callees',
      ).argParser(parseOnOff),
    )
    .action(async (opts: { limit: number; relayOnly?: boolean }, command: Command) => {
      const g = globals(command)
      if (opts.relayOnly !== undefined) {
        const relayOnly = opts.relayOnly
        const settings = await withClient(g, (client) => client.call('calls.settings', { relayOnly }))
        if (g.json) return printJson(settings)
        return printLine(`Relay calls only: ${settings.relayOnly ? 'on' : 'off'}`)
      }
      const { calls, contacts } = await withClient(g, async (client) => ({
        calls: (await client.call('calls.list', { limit: opts.limit })).calls,
        contacts: (await client.call('contacts.list')).contacts,
      }))
      if (g.json) return printJson({ calls })
      if (calls.length === 0) return printLine('No calls yet.')
      const names = new Map(contacts.map((c) => [c.userId, c.displayName]))
      for (const call of calls) printLine(formatCall(call, names))
    })
}

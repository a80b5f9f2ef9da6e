/** wren doctor, and the network part of wren status: DHTs, bundle, relays, in words. */
import type { Command } from 'commander'
import type { Result } from '../../rpc/api.ts'
import { type GlobalOptions, withClient } from '../context.ts'
import { CliError } from '../errors.ts'
import { EXIT } from '../exit-codes.ts'
import { printJson, printLine } from '../format.ts'

type Globals = (command: Command) => GlobalOptions
type Report = NonNullable<Result<'node.status'>['network']>

const STATUS_MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const

export function registerNetworkCommands(program: Command, globals: Globals): void {
  program
    .command('doctor')
    .description('check the network (addresses, reachability, DHT, your bundle, relays) and say what to do')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command)
      const { checks } = await withClient(g, (client) => client.call('node.doctor'))
      if (g.json) return printJson({ profile: g.profile, checks })
      for (const c of checks) {
        printLine(`[${STATUS_MARK[c.status]}] ${c.check}: ${c.summary}`)
        if (c.advice !== null) printLine(`       → ${c.advice}`)
      }
      const failed = checks.filter((c) => c.status === 'fail').length
      if (failed > 0) throw new CliError(EXIT.ERROR, `${failed} check(s) failed`, 'see the advice above')
    })
}

/** The network lines of `wren status`. */
export function printNetworkReport(report: Report, now: number): void {
  const { lan, wan } = report.dht
  printLine(`LAN DHT:     ${lan.peers} peers (${lan.mode}), bundle ${bundleWords(lan.bundle)}`)
  printLine(`WAN DHT:     ${wan.peers} peers (${wan.mode}), bundle ${bundleWords(wan.bundle)}`)
  if (report.nextPublishAt !== null) {
    printLine(`next publish: in ${Math.max(0, Math.round((report.nextPublishAt - now) / 1000))} s`)
  }
  for (const addr of report.publicAddrs) printLine(`public:      ${addr}`)
  if (report.relays.length === 0) printLine('relays:      none configured (see: wren doctor)')
  for (const r of report.relays) {
    const facts = [
      r.connected ? 'connected' : 'not connected',
      ...(r.reservation ? ['reachable through it'] : []),
      ...(r.mailbox ? ['holds a mailbox'] : []),
    ]
    printLine(`relay:       ${r.addr} (${facts.join(', ')})`)
  }
  const { limits } = report
  if (limits.deniedPeers > 0 || limits.refusedConnections > 0) {
    printLine(
      `refused:     ${limits.deniedPeers} peers now, ${limits.refusedConnections} connections since start`,
    )
  }
  for (const p of limits.protocols) {
    printLine(
      `limits:      ${p.protocol}: ${p.throttled} throttled, ${p.malformed} malformed, ${p.unwanted} unwanted, ${p.disconnected} disconnected, ${p.refused} refused`,
    )
  }
}

function bundleWords(state: Report['dht']['lan']['bundle']): string {
  switch (state) {
    case 'published':
      return 'published'
    case 'pending':
      return 'not published yet'
    case 'no-peers':
      return 'not published (no peers in this DHT)'
    case 'refused':
      return 'refused by every peer'
    case 'timeout':
      return 'not published (timed out)'
    case 'stale':
      return 'a newer one is already out'
  }
}

/**
 * wren daemon: run the profile's daemon in the foreground (its bundle, launch/service-entry.ts, as a
 * child on the same Node), passing signals on and exiting with its code. Its logs go to stderr.
 */
import { spawn } from 'node:child_process'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { SERVICE_NODE_FLAGS, serviceEnv } from '../../../../core/src/service-process.ts'
import { daemonEntry } from '../../launch/service-entry.ts'
import { LOG_FORMAT_CHOICES } from '../../log.ts'
import type { GlobalOptions } from '../context.ts'
import { CliError } from '../errors.ts'
import { EXIT } from '../exit-codes.ts'

type Globals = (command: Command) => GlobalOptions

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

interface DaemonOptions {
  rpcPort: number
  bootstrap: string[]
  listen: string[]
  relay: string[]
  mailboxes?: string
  mdns: boolean
  logFormat: string
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be 0..65535')
  return port
}

export function registerDaemonCommand(program: Command, globals: Globals): void {
  program
    .command('daemon')
    .description('run the daemon of the profile in the foreground (Ctrl-C stops it)')
    .option('--rpc-port <port>', 'RPC port on 127.0.0.1 (0 = any free port)', parsePort, 0)
    .option('--bootstrap <multiaddr>', 'peer to dial at start (repeatable): a relay or a friend', collect, [])
    .option('--listen <multiaddr>', 'listen address (repeatable); production defaults otherwise', collect, [])
    .option('--relay <multiaddr>', 'relay to keep a mailbox on (repeatable)', collect, [])
    .option('--mailboxes <k>', 'mailboxes to keep on distinct relays (default 3)')
    .option('--no-mdns', 'do not announce or discover this device on the local network (mDNS)')
    .addOption(
      new Option('--log-format <format>', 'log lines: text on a terminal, JSON otherwise (auto)')
        .choices(LOG_FORMAT_CHOICES)
        .default('auto'),
    )
    .action(async (opts: DaemonOptions, command: Command) => {
      const g = globals(command)
      const args = [await daemonEntry(), '--profile', g.profile, '--rpc-port', String(opts.rpcPort)]
      if (g.home !== undefined) args.push('--home', g.home)
      for (const addr of opts.bootstrap) args.push('--bootstrap', addr)
      for (const addr of opts.listen) args.push('--listen', addr)
      for (const addr of opts.relay) args.push('--relay', addr)
      if (opts.mailboxes !== undefined) args.push('--mailboxes', opts.mailboxes)
      if (!opts.mdns) args.push('--no-mdns')
      args.push('--log-format', opts.logFormat)
      const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...args], {
        stdio: 'inherit',
        env: serviceEnv(process.env),
      })
      // Ctrl-C reaches the whole process group; a signal sent to us alone is passed on. The daemon
      // stops once however many times it is told.
      const forward = (signal: NodeJS.Signals) => child.kill(signal)
      for (const s of FORWARDED_SIGNALS) process.on(s, forward)
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve, reject) => {
          child.once('error', reject)
          child.once('exit', (code, signal) => resolve({ code, signal }))
        },
      ).finally(() => {
        for (const s of FORWARDED_SIGNALS) process.off(s, forward)
      })
      if (exit.code === 0) return
      const how = exit.code !== null ? `with code ${exit.code}` : `on ${exit.signal}`
      throw new CliError(EXIT.ERROR, `the daemon exited ${how}`, 'its log lines above say why')
    })
}

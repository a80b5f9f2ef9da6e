/**
 * Process entry of the daemon:
 *   node node/src/daemon/main.ts [--home DIR] [--profile NAME] [--rpc-port N]
 *     [--bootstrap MULTIADDR]... [--listen MULTIADDR]... [--no-mdns] [--log-format auto|text|json]
 * Starts locked; clients unlock it over RPC (identity.create / identity.unlock).
 * Exit codes: 0 clean stop, 1 failed to start.
 *
 * The composition root: the one file that imports the RPC handlers (rpc/handlers/); it joins
 * them with the node's lifecycle (app/) and the daemon process (./daemon.ts). Imports go one way:
 * daemon/ → app/ and rpc/handlers → app/, never back.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { missingServiceFlags, SERVICE_NODE_FLAGS } from '../../../core/src/service-process.ts'
import { type NodeLifecycle, startNodeLifecycle } from '../app/node-lifecycle.ts'
import { createLogger, LOG_FORMAT_CHOICES, type LogFormatChoice, resolveLogFormat } from '../log.ts'
import { RoomRegistry } from '../room/room-registry.ts'
import { attachmentsHttp } from '../rpc/handlers/attachments-http.ts'
import { createHandlers } from '../rpc/handlers/index.ts'
import { roomEventNotifier } from '../rpc/handlers/rooms.ts'
import { startDaemon } from './daemon.ts'

/** Owner-only permissions for everything the daemon (and LevelDB) creates. */
const PROFILE_UMASK = 0o077
/** Bytes in a MiB (--auto-download-mb). */
const MIB = 1024 * 1024

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be 0..65535')
  return port
}

const program = new Command()
  .name('wren-daemon')
  .option('--home <dir>', 'WREN_HOME (default $WREN_HOME or ~/.wren)')
  .option('--profile <name>', 'profile name', 'default')
  .option('--rpc-port <port>', 'RPC port on 127.0.0.1 (0 = any free port)', parsePort, 0)
  .option('--bootstrap <multiaddr>', 'peer to dial at start (repeatable): a relay or a friend', collect, [])
  .option('--listen <multiaddr>', 'listen address (repeatable); production defaults otherwise', collect, [])
  .option('--relay <multiaddr>', 'relay to keep a mailbox on (repeatable; k of them are used)', collect, [])
  .option('--mailboxes <k>', 'mailboxes to keep on distinct relays', parsePositive)
  .option('--mailbox-fetch-ms <ms>', 'periodic mailbox fetch interval', parsePositive)
  .option('--no-mdns', 'do not announce or discover this device on the local network (mDNS)')
  .option('--retry-max-ms <ms>', 'longest wait between delivery retries', parsePositive)
  .option('--call-ring-ms <ms>', 'how long a call rings before it ends with timeout', parsePositive)
  .option(
    '--auto-download-mb <MiB>',
    'auto-download size limit of a profile that has not set one (attachments.settings maxMb): bigger received files wait for `wren download` (default 100)',
    parsePositive,
  )
  .option(
    '--max-upload-mb <MiB>',
    'largest file the desktop page may upload to send (files sent by path have no such cap; default 1024)',
    parsePositive,
  )
  .addOption(
    new Option('--log-format <format>', 'log lines on stderr: text on a terminal, JSON otherwise (auto)')
      .choices(LOG_FORMAT_CHOICES)
      .default('auto'),
  )
  .parse()
const opts = program.opts<{
  home?: string
  profile: string
  rpcPort: number
  bootstrap: string[]
  listen: string[]
  relay: string[]
  mailboxes?: number
  mailboxFetchMs?: number
  mdns: boolean
  retryMaxMs?: number
  callRingMs?: number
  autoDownloadMb?: number
  maxUploadMb?: number
  logFormat: LogFormatChoice
}>()

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function parsePositive(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer')
  return n
}

process.umask(PROFILE_UMASK)
const logFormat = resolveLogFormat(opts.logFormat, process.stderr.isTTY === true)
const log = createLogger('node:daemon', { format: logFormat })
const missingFlags = missingServiceFlags(process.execArgv, process.env.NODE_OPTIONS)
if (missingFlags.length > 0)
  log.warn(`started without ${missingFlags.join(' ')}: memory a burst of traffic takes stays for minutes`, {
    expected: SERVICE_NODE_FLAGS,
  })
try {
  let lifecycle: NodeLifecycle | null = null
  const daemon = await startDaemon({
    home: opts.home,
    profile: opts.profile,
    rpcPort: opts.rpcPort,
    onRequest: (method) => lifecycle?.autoLock.activity(method),
    handlersFactory: (ctx) => {
      const node = startNodeLifecycle(ctx, {
        bootstrap: opts.bootstrap,
        ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
        mdns: opts.mdns,
        relays: opts.relay,
        ...(opts.mailboxes !== undefined ? { mailboxCount: opts.mailboxes } : {}),
        ...(opts.mailboxFetchMs !== undefined ? { mailboxFetchIntervalMs: opts.mailboxFetchMs } : {}),
        ...(opts.retryMaxMs !== undefined ? { retryMaxMs: opts.retryMaxMs } : {}),
        ...(opts.callRingMs !== undefined ? { callRingTimeoutMs: opts.callRingMs } : {}),
        ...(opts.autoDownloadMb !== undefined ? { autoDownloadMaxBytes: opts.autoDownloadMb * MIB } : {}),
      })
      lifecycle = node
      // ephemeral rooms live in memory only and never outlive the unlocked profile or the daemon
      const rooms = new RoomRegistry({
        onEvent: roomEventNotifier((event, payload) => ctx.notify(event, payload)),
      })
      node.onLock(() => rooms.closeAll('the profile locked'))
      ctx.onStop(() => rooms.closeAll('the daemon stopped'))
      return createHandlers({ ctx, node, rooms })
    },
    httpFactory: async (ctx) => {
      if (lifecycle === null) throw new Error('the node lifecycle starts before the HTTP routes')
      return [
        await attachmentsHttp({
          ctx,
          node: lifecycle,
          ...(opts.maxUploadMb !== undefined ? { maxUploadBytes: opts.maxUploadMb * MIB } : {}),
        }),
      ]
    },
    handleSignals: true,
    log,
  })
  await daemon.stopped
  process.exit(0)
} catch (error) {
  const name = error instanceof Error ? error.name : String(error)
  const message = error instanceof Error ? error.message : undefined
  // On a terminal the reason is the sentence itself; in JSON it stays a field for collectors.
  if (logFormat === 'text') log.error(`the daemon could not start: ${message ?? name}`)
  else log.error('daemon failed to start', { error: name, message })
  process.exit(1)
}

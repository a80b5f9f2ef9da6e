/**
 * Process entry of the daemon:
 *   node node/src/daemon/main.ts [--home DIR] [--profile NAME] [--rpc-port N]
 * Starts locked; clients unlock it over RPC (identity.create / identity.unlock).
 * Exit codes: 0 clean stop, 1 failed to start.
 */
import { Command, InvalidArgumentError } from 'commander'
import { startDaemon } from './daemon.ts'
import { createDefaultHandlers } from './identity-handlers.ts'
import { createLogger } from './log.ts'

/** Owner-only permissions for everything the daemon (and LevelDB) creates. */
const PROFILE_UMASK = 0o077

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
  .parse()
const opts = program.opts<{ home?: string; profile: string; rpcPort: number }>()

process.umask(PROFILE_UMASK)
const log = createLogger('node:daemon')
try {
  const daemon = await startDaemon({
    home: opts.home,
    profile: opts.profile,
    rpcPort: opts.rpcPort,
    // LEAD: plug the messaging layer in here: (ctx) => ({ ...createDefaultHandlers(ctx), ...messagingHandlers(ctx) })
    handlersFactory: createDefaultHandlers,
    handleSignals: true,
    log,
  })
  await daemon.stopped
  process.exit(0)
} catch (error) {
  log.error('daemon failed to start', {
    error: error instanceof Error ? error.name : String(error),
    message: error instanceof Error ? error.message : undefined,
  })
  process.exit(1)
}

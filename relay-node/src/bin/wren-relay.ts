#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * wren-relay: run a Wren relay node (circuit relay, DHT server, mailbox).
 *   wren-relay [--config relay.json] [--data-dir DIR]
 * Environment overrides: see relay-node/src/config.ts (WREN_RELAY_*). The data (identity key,
 * mailboxes) lives in --data-dir, else $XDG_DATA_HOME/wren-relay or ~/.local/share/wren-relay.
 * Logs are JSON lines on stderr; the 'relay.started' line carries the peer id, addresses and
 * data folder. On a terminal a first plain line also says where the data is kept. SIGINT/SIGTERM stop
 * the relay gracefully (stored envelopes are kept).
 *
 * The first line starts Node with SERVICE_NODE_FLAGS (core/src/service-process.ts: a capped young
 * generation, so a burst of traffic does not leave the relay ~100 MB larger for minutes);
 * `env -S` splits it (GNU coreutils ≥ 8.30, macOS, the BSDs). Started any other way (`node
 * wren-relay.ts`), the relay logs which flags it lacks.
 */
import { Command } from 'commander'
import { missingServiceFlags, SERVICE_NODE_FLAGS } from '../../../core/src/service-process.ts'
import { loadRelayConfig } from '../config.ts'
import { RELAY_UMASK, SHUTDOWN_TIMEOUT_MS } from '../constants.ts'
import { RelayError } from '../errors.ts'
import { startRelay } from '../relay-host.ts'

const program = new Command()
  .name('wren-relay')
  .description('Run a Wren relay node: circuit relay v2, DHT server and offline mailbox')
  .option('-c, --config <file>', 'JSON config file')
  .option(
    '-d, --data-dir <dir>',
    'data directory (identity key and mailbox store); default $XDG_DATA_HOME/wren-relay or ~/.local/share/wren-relay',
  )
  .parse()

const opts = program.opts<{ config?: string; dataDir?: string }>()

async function main(): Promise<void> {
  // before any file is created: the mailbox store and the key are for the relay's user only
  process.umask(RELAY_UMASK)
  const missing = missingServiceFlags(process.execArgv, process.env.NODE_OPTIONS)
  if (missing.length > 0)
    console.error(
      JSON.stringify({
        level: 'warn',
        event: 'relay.service_flags_missing',
        missing,
        expected: SERVICE_NODE_FLAGS,
      }),
    )
  const config = loadRelayConfig({
    configPath: opts.config,
    env: process.env,
    overrides: opts.dataDir === undefined ? {} : { dataDir: opts.dataDir },
  })
  if (process.stderr.isTTY)
    process.stderr.write(
      `wren-relay: keeping its identity key and mailboxes in ${config.dataDir} (--data-dir or WREN_RELAY_DATA_DIR to change it)\n`,
    )
  const relay = await startRelay(config)
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    const timer = setTimeout(() => {
      console.error(JSON.stringify({ level: 'error', event: 'relay.shutdown_timeout', signal }))
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS)
    timer.unref()
    relay
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        console.error(JSON.stringify({ level: 'error', event: 'relay.stop_failed', message: String(err) }))
        process.exit(1)
      })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((err) => {
  const message = err instanceof RelayError ? err.message : String(err?.stack ?? err)
  console.error(JSON.stringify({ level: 'error', event: 'relay.start_failed', message }))
  process.exit(1)
})

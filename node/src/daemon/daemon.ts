/**
 * The Wren daemon: opens a profile (locked), serves the JSON-RPC API on 127.0.0.1, records
 * { rpcPort, pid } in daemon.json for clients, and stops cleanly on SIGINT/SIGTERM (server
 * closed, stop hooks run, profile locked, daemon.json removed).
 *
 * daemon/ is the process: it launches the node (app/, the runtime) and builds the HostContext
 * the node declares it needs (app/host-context.ts); app/ never imports daemon/. The composition
 * root (node/src/daemon/main.ts) passes a factory that starts the node's lifecycle and builds
 * the handlers (node/src/rpc/handlers).
 */

import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import packageJson from '../../../package.json' with { type: 'json' }
import type { HostContext, NetworkStatus } from '../app/host-context.ts'
import { createNodeSuite } from '../crypto/node-suite.ts'
import { createLogger, type Logger } from '../log.ts'
import {
  assertProfileFree,
  ensureRpcToken,
  removeDaemonInfo,
  writeDaemonInfo,
} from '../profile/daemon-info.ts'
import { openProfile } from '../profile/profile.ts'
import { ProfileSession } from '../profile/session.ts'
import type { EventName, EventPayload, MethodName } from '../rpc/api.ts'
import type { HttpRoute } from '../rpc/http-route.ts'
import { type Handlers, RpcServer } from '../rpc/server.ts'
import type { KdfParams } from '../storage/keystore.ts'

export type HandlersFactory = (ctx: HostContext) => Handlers | Promise<Handlers>

export interface StartDaemonOptions {
  /** WREN_HOME; default $WREN_HOME or ~/.wren. */
  readonly home?: string
  /** Profile name; default 'default'. */
  readonly profile?: string
  /** RPC port on 127.0.0.1; 0 (default) = any free port. */
  readonly rpcPort?: number
  /** Every method's handler, built once the context exists (before the server listens). */
  readonly handlersFactory: HandlersFactory
  readonly log?: Logger
  readonly suite?: CryptoSuite
  /** Stop on SIGINT/SIGTERM (the process entry point sets this). */
  readonly handleSignals?: boolean
  /** Argon2 cost for a new keystore; tests only. */
  readonly kdf?: KdfParams
  /** Plain HTTP routes beside the RPC, behind its token (the attachments endpoint), built after the handlers. */
  readonly httpFactory?: (ctx: HostContext) => Promise<readonly HttpRoute[]>
  /** Every client request's method (auto-lock's activity); see RpcServerOptions.onRequest. */
  readonly onRequest?: (method: MethodName) => void
}

export interface Daemon {
  readonly ctx: HostContext
  readonly rpcPort: number
  readonly url: string
  readonly token: string
  /** Clean stop; idempotent. */
  stop(): Promise<void>
  /** Resolves once the daemon has stopped (by stop() or a signal). */
  readonly stopped: Promise<void>
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const

export async function startDaemon(options: StartDaemonOptions): Promise<Daemon> {
  const log = options.log ?? createLogger('node:daemon')
  const paths = await openProfile({ home: options.home, profile: options.profile })
  await assertProfileFree(paths)
  const token = await ensureRpcToken(paths)
  const session = await ProfileSession.open(paths, options.kdf)

  let server: RpcServer | null = null
  let network: (() => NetworkStatus) | null = null
  const stopHooks: Array<() => Promise<void> | void> = []
  const ctx: HostContext = {
    paths,
    session,
    suite: options.suite ?? createNodeSuite(),
    log,
    version: packageJson.version,
    startedAt: Date.now(),
    notify<E extends EventName>(event: E, payload: EventPayload<E>) {
      server?.notify(event, payload)
    },
    setNetworkStatus(source) {
      network = source
    },
    networkStatus: () => (network ? network() : null),
    onStop(hook) {
      stopHooks.push(hook)
    },
  }

  const handlers = await options.handlersFactory(ctx)
  const http = options.httpFactory ? await options.httpFactory(ctx) : []
  server = await RpcServer.start({
    handlers,
    http,
    token,
    port: options.rpcPort ?? 0,
    log: log.child('node:rpc'),
    ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
  })
  const rpc = server
  await writeDaemonInfo(paths, { rpcPort: rpc.port, pid: process.pid })
  log.info('daemon ready', {
    profile: paths.name,
    rpcPort: rpc.port,
    pid: process.pid,
    hasIdentity: session.hasIdentity,
  })

  let resolveStopped!: () => void
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve
  })
  let stopping: Promise<void> | null = null
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('signal received, stopping', { signal })
    void stop()
  }
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (options.handleSignals) for (const s of STOP_SIGNALS) process.off(s, onSignal)
      await rpc.close()
      for (const hook of stopHooks.reverse()) {
        try {
          await hook()
        } catch (error) {
          log.error('stop hook failed', { error: error instanceof Error ? error.name : String(error) })
        }
      }
      await session.close()
      await removeDaemonInfo(paths)
      log.info('daemon stopped', { profile: paths.name })
      resolveStopped()
    })()
    return stopping
  }
  if (options.handleSignals) for (const s of STOP_SIGNALS) process.on(s, onSignal)

  return { ctx, rpcPort: rpc.port, url: rpc.url, token, stop, stopped }
}

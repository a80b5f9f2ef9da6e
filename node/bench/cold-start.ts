/**
 * Daemon cold start, timed in phases, for node.bench.ts. The profile exists already (identity
 * created in an earlier run of the daemon), as when a user starts Wren again:
 *
 *   t0       spawn(node <daemon bundle> --home H --profile P --rpc-port 0); the bundle is built
 *            before t0, by the launcher, as users' launchers do (launch/service-entry.ts)
 *   json     <home>/<profile>/daemon.json holds the child's pid (RPC server listening), polled every 5 ms
 *   rpc      WebSocket RPC client connected with the profile's bearer token
 *   unlock   identity.unlock returned (Argon2id keystore open, runtime and libp2p started)
 *   ready    first node.status with a non-empty listenAddrs (polled every 5 ms)
 *
 * Every phase is measured from t0 with performance.now(); `ready` is the figure compared with
 * the goal. The child is stopped with SIGTERM (SIGKILL after a bound) by its own PID only.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SERVICE_NODE_FLAGS, serviceEnv } from '../../core/src/service-process.ts'
import { daemonEntry } from '../src/launch/service-entry.ts'
import { WrenClient } from '../src/rpc/client.ts'
import { pollUntil } from './bench-report.ts'

const REPO_ROOT = new URL('../..', import.meta.url).pathname
/** Bound on a cold start: far above the 1.5 s goal, so a slow start is measured, not hung on. */
export const COLD_START_TIMEOUT_MS = 20_000
/** Bound on a daemon's exit after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000

export interface ColdStartTimes {
  readonly json: number
  readonly rpc: number
  readonly unlock: number
  readonly ready: number
}

export interface ColdStarted {
  readonly times: ColdStartTimes
  readonly pid: number
  readonly client: WrenClient
  stop(): Promise<void>
}

export async function coldStart(options: {
  home: string
  profile: string
  passphrase: string
  env?: Record<string, string>
}): Promise<ColdStarted> {
  const entry = await daemonEntry()
  const t0 = performance.now()
  const child: ChildProcess = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, entry, '--home', options.home, '--profile', options.profile, '--rpc-port', '0'],
    { cwd: REPO_ROOT, env: serviceEnv(process.env, options.env), stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const logs: string[] = []
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => logs.push(chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid
  if (pid === undefined) throw new Error('daemon did not spawn')
  let client: WrenClient | undefined
  const stop = async () => {
    await client?.close()
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    }
  }
  try {
    const dir = join(options.home, options.profile)
    const info = await pollUntil(
      'daemon.json',
      async () => {
        if (child.exitCode !== null) throw new Error(`daemon exited: ${logs.join('')}`)
        const parsed = await readFile(join(dir, 'daemon.json'), 'utf8').then(
          (t) => JSON.parse(t) as { rpcPort: number; pid: number },
          () => undefined,
        )
        return parsed?.pid === pid ? parsed : undefined
      },
      COLD_START_TIMEOUT_MS,
    )
    const json = performance.now() - t0
    const token = (await readFile(join(dir, 'rpc-token'), 'utf8')).trim()
    client = await WrenClient.connect({ url: `ws://127.0.0.1:${info.rpcPort}/`, token })
    const rpc = performance.now() - t0
    await client.call('identity.unlock', { passphrase: options.passphrase })
    const unlock = performance.now() - t0
    const connected = client
    await pollUntil(
      'listen addresses',
      async () => ((await connected.call('node.status', {})).listenAddrs.length > 0 ? true : undefined),
      COLD_START_TIMEOUT_MS,
    )
    const ready = performance.now() - t0
    return { times: { json, rpc, unlock, ready }, pid, client, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

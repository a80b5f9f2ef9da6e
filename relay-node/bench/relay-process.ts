/**
 * A relay as its own process for relay.bench.ts (so its RSS is the relay's alone): runs
 * relay-node/src/bin/wren-relay.ts with a JSON config on loopback, waits (bounded) for the
 * 'relay.started' log line, and stops it with SIGTERM by its own PID (graceful: data kept).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { SERVICE_NODE_FLAGS, serviceEnv } from '../../core/src/service-process.ts'
import type { RelayConfigInput } from '../src/config.ts'

const BIN = new URL('../src/bin/wren-relay.ts', import.meta.url).pathname
/** Bound on a relay start or graceful stop on loopback. */
export const RELAY_PROCESS_WAIT_MS = 20_000

export interface RelayProcess {
  readonly pid: number
  readonly peerId: ReturnType<typeof peerIdFromString>
  readonly multiaddrs: Multiaddr[]
  readonly metricsUrl: string
  readonly dataDir: string
  stop(): Promise<void>
}

export async function startRelayProcess(
  dataDir: string,
  config: RelayConfigInput,
  env: Record<string, string> = {},
): Promise<RelayProcess> {
  const configPath = join(dataDir, 'relay.json')
  const full: RelayConfigInput = {
    ...config,
    dataDir,
    listen: { host: '127.0.0.1', tcpPort: 0, wsPort: -1 },
    metrics: { enabled: true, port: 0 },
    dht: { provide: false },
    logLevel: 'info',
  }
  await writeFile(configPath, JSON.stringify(full), { mode: 0o600 })
  const child: ChildProcess = spawn(process.execPath, [...SERVICE_NODE_FLAGS, BIN, '--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: serviceEnv(process.env, { WREN_RELAY_DATA_DIR: '', ...env }),
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('relay did not spawn')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const logs: string[] = []
  const started = await new Promise<{ peerId: string; addrs: string[]; metrics: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('relay did not start in time')), RELAY_PROCESS_WAIT_MS)
      let buffered = ''
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        buffered += chunk
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          if (logs.length < 1000) logs.push(line)
          if (!line.includes('"relay.started"')) continue
          clearTimeout(timer)
          resolve(JSON.parse(line))
        }
      })
      exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`relay exited with ${code}: ${logs.join('\n')}`))
      })
    },
  ).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
  return {
    pid,
    peerId: peerIdFromString(started.peerId),
    multiaddrs: started.addrs.map((a) => multiaddr(a)),
    metricsUrl: started.metrics,
    dataDir,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), RELAY_PROCESS_WAIT_MS)
      await exited
      clearTimeout(timer)
    },
  }
}

/** One gauge or counter (without labels) from a Prometheus text page. */
export async function readMetric(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) })).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`metric ${name} not found`)
  return Number(line.slice(name.length + 1))
}

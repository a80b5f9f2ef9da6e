/**
 * coturn beside the relay (issue 15, "NAT"): a TURN server run by the relay operator, started and
 * stopped with the relay. The relay writes coturn's config under <dataDir>/turn (0700; the file is
 * 0600 since it holds the static-auth-secret), starts `turnserver -c <file>` as a child process,
 * remembers its PID (turn/coturn.pid) and stops it by that PID: SIGTERM, then SIGKILL after
 * COTURN_STOP_TIMEOUT_MS. A coturn left behind by a relay that was killed is stopped at the next
 * start (when /proc shows that PID still runs our config).
 *
 * Credentials are coturn's `use-auth-secret` scheme (core/src/turn/credentials.ts); the relay
 * hands them to Wren peers over /wren/turn/1.0.0 (turn-service.ts). Peer ranges: loopback and
 * private addresses are refused unless the config allows them (a TURN server on a public host
 * must not become a way into its operator's LAN); TCP relaying (RFC 6062) is off, voice is UDP.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { RelayConfig } from './config.ts'
import {
  COTURN_LOG_TAIL_LINES,
  COTURN_PROBE_INTERVAL_MS,
  COTURN_START_TIMEOUT_MS,
  COTURN_STOP_TIMEOUT_MS,
  DATA_DIR_MODE,
  DATA_FILE_MODE,
  TURN_DIR,
  TURN_SECRET_BYTES,
  TURN_SECRET_FILE,
} from './constants.ts'
import { ConfigError, TurnServerError } from './errors.ts'
import { type RelayLogger, silentLogger } from './logger.ts'

export type TurnConfig = RelayConfig['turn']

const CONFIG_FILE = 'turnserver.conf'
const PID_FILE = 'coturn.pid'
const USER_DB_FILE = 'turndb'
/** Permission bits that must be clear on the secret: any access by group or others. */
const UNSAFE_SECRET_MODE_BITS = 0o077

/** Address ranges coturn refuses to relay to unless allowPrivatePeers (RFC 1918, 6598, 3927, 4193, 4291). */
const PRIVATE_PEER_RANGES = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.168.0.0-192.168.255.255',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
]

const isWildcard = (ip: string) => ip === '0.0.0.0' || ip === '::'

/** The static-auth-secret (hex) from <dataDir>/turn-secret, made on first use; refused when others can read it. */
export async function loadOrCreateTurnSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, TURN_SECRET_FILE)
  try {
    const info = await stat(path)
    if ((info.mode & UNSAFE_SECRET_MODE_BITS) !== 0)
      throw new TurnServerError(`${path} is readable by others; run chmod 600 on it`)
    const secret = (await readFile(path, 'utf8')).trim()
    if (!/^[0-9a-f]{64}$/.test(secret))
      throw new TurnServerError(`${path} does not hold a 32-byte hex secret`)
    return secret
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const secret = randomBytes(TURN_SECRET_BYTES).toString('hex')
  await writeFile(path, `${secret}\n`, { mode: DATA_FILE_MODE, flag: 'wx' })
  await chmod(path, DATA_FILE_MODE)
  return secret
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * The TURN URLs handed to peers: the configured ones, else UDP and TCP on the external IP, the
 * listen IP (when not a wildcard), or the first announced IP or DNS name of the relay.
 */
export function turnUrls(turn: TurnConfig, announce: readonly string[]): string[] {
  if (turn.urls.length > 0) return [...turn.urls]
  let host = turn.externalIp !== '' ? turn.externalIp : isWildcard(turn.listenIp) ? '' : turn.listenIp
  for (const addr of announce) {
    if (host !== '') break
    try {
      const c = multiaddr(addr).getComponents()[0]
      if (c && ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name) && c.value) host = c.value
    } catch {
      // an announce address that does not parse fails elsewhere
    }
  }
  if (host === '')
    throw new ConfigError('turn: set turn.urls, turn.externalIp, a non-wildcard turn.listenIp, or announce')
  const base = `turn:${urlHost(host)}:${turn.port}`
  return [`${base}?transport=udp`, `${base}?transport=tcp`]
}

/** coturn's config file for this relay (holds the secret: written 0600). */
export function coturnConfig(turn: TurnConfig, secret: string, dir: string): string {
  const lines = [
    `listening-ip=${turn.listenIp}`,
    `listening-port=${turn.port}`,
    `min-port=${turn.minPort}`,
    `max-port=${turn.maxPort}`,
    `realm=${turn.realm}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `user-quota=${turn.userQuota}`,
    `total-quota=${turn.totalQuota}`,
    `max-bps=${turn.maxBps}`,
    'fingerprint',
    'no-cli',
    'no-tls',
    'no-dtls',
    'no-tcp-relay',
    'no-multicast-peers',
    'no-software-attribute',
    `userdb=${join(dir, USER_DB_FILE)}`,
    'log-file=stdout',
    'simple-log',
  ]
  const relayIp = turn.relayIp !== '' ? turn.relayIp : isWildcard(turn.listenIp) ? '' : turn.listenIp
  if (relayIp !== '') lines.push(`relay-ip=${relayIp}`)
  if (turn.externalIp !== '') lines.push(`external-ip=${turn.externalIp}`)
  if (turn.allowLoopbackPeers) lines.push('allow-loopback-peers')
  if (!turn.allowPrivatePeers) for (const r of PRIVATE_PEER_RANGES) lines.push(`denied-peer-ip=${r}`)
  return `${lines.join('\n')}\n`
}

export interface CoturnHandle {
  readonly pid: number
  /** TURN URLs for peers. */
  readonly urls: readonly string[]
  /** The static-auth-secret (hex). */
  readonly secret: string
  /** False once coturn exited (stopped, or died: credentials are then refused as unavailable). */
  running(): boolean
  /** SIGTERM by PID, SIGKILL after COTURN_STOP_TIMEOUT_MS; safe to call more than once. */
  stop(): Promise<void>
}

export interface StartCoturnOptions {
  readonly turn: TurnConfig
  readonly dataDir: string
  readonly announce: readonly string[]
  readonly logger?: RelayLogger
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: COTURN_PROBE_INTERVAL_MS * 5 })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.once('timeout', () => done(false))
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Stop a coturn a killed relay left running on this config (its PID file, checked in /proc). */
async function stopLeftover(dir: string, configPath: string, log: RelayLogger): Promise<void> {
  let pid: number
  try {
    pid = Number((await readFile(join(dir, PID_FILE), 'utf8')).trim())
  } catch {
    return
  }
  if (!Number.isSafeInteger(pid) || pid <= 1) return
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  if (!cmdline.includes(configPath)) return
  log.warn('turn.leftover_stopped', { pid })
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + COTURN_STOP_TIMEOUT_MS
  while (alive(pid) && Date.now() < deadline) await sleep(COTURN_PROBE_INTERVAL_MS)
  if (alive(pid)) process.kill(pid, 'SIGKILL')
}

export async function startCoturn(options: StartCoturnOptions): Promise<CoturnHandle> {
  const { turn, dataDir } = options
  const log = options.logger ?? silentLogger
  const urls = turnUrls(turn, options.announce)
  const dir = join(dataDir, TURN_DIR)
  await mkdir(dir, { recursive: true, mode: DATA_DIR_MODE })
  await chmod(dir, DATA_DIR_MODE)
  const secret = await loadOrCreateTurnSecret(dataDir)
  const configPath = join(dir, CONFIG_FILE)
  await stopLeftover(dir, configPath, log)
  await rm(configPath, { force: true })
  await writeFile(configPath, coturnConfig(turn, secret, dir), { mode: DATA_FILE_MODE })

  const tail: string[] = []
  const child = spawn(turn.binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      tail.push(line.slice(0, 300))
      if (tail.length > COTURN_LOG_TAIL_LINES) tail.shift()
    }
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
  const pid = await Promise.race([
    new Promise<number | undefined>((resolve) => child.once('spawn', () => resolve(child.pid))),
    spawnError.then(() => undefined),
  ])
  if (pid === undefined) {
    const err = await spawnError
    throw new TurnServerError(`cannot start ${turn.binary} (install Debian's coturn): ${err.message}`, {
      cause: err,
    })
  }
  await writeFile(join(dir, PID_FILE), `${pid}\n`, { mode: DATA_FILE_MODE })

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGTERM')
        const killed = await Promise.race([
          exited(child).then(() => false),
          sleep(COTURN_STOP_TIMEOUT_MS).then(() => true),
        ])
        if (killed) {
          log.warn('turn.stop_timeout', { pid })
          process.kill(pid, 'SIGKILL')
          await exited(child)
        }
      }
      await rm(join(dir, PID_FILE), { force: true })
      log.info('turn.stopped', { pid })
    })()
    return stopping
  }

  const probeHost = isWildcard(turn.listenIp) ? (turn.listenIp === '::' ? '::1' : '127.0.0.1') : turn.listenIp
  const deadline = Date.now() + COTURN_START_TIMEOUT_MS
  let listening = false
  while (!listening && Date.now() < deadline && child.exitCode === null) {
    listening = await tcpOpen(probeHost, turn.port)
    if (!listening) await sleep(COTURN_PROBE_INTERVAL_MS)
  }
  if (!listening) {
    await stop()
    throw new TurnServerError(
      `coturn did not listen on ${probeHost}:${turn.port} within ${COTURN_START_TIMEOUT_MS} ms; its last lines:\n${tail.join('\n')}`,
    )
  }
  child.once('exit', (code, signal) => {
    if (stopping === undefined) log.error('turn.exited', { pid, code, signal })
  })
  log.info('turn.started', { pid, urls })
  return {
    pid,
    urls,
    secret,
    running: () => child.exitCode === null && child.signalCode === null && stopping === undefined,
    stop,
  }
}

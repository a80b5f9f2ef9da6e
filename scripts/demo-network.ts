/**
 * The demo network's processes (scripts/demo.ts): relays and user daemons started as child
 * processes, each stopped by its own PID, their temp folders, and the console output helpers.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { daemonEntry } from '../node/src/launch/service-entry.ts'
import { readDaemonInfo, readRpcToken } from '../node/src/profile/daemon-info.ts'
import { profilePaths } from '../node/src/profile/profile.ts'
import type { Message } from '../node/src/rpc/api.ts'
import { WrenClient } from '../node/src/rpc/client.ts'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const RELAY_BIN = join(REPO_ROOT, 'relay-node/src/bin/wren-relay.ts')

/** Passphrase of the demo profiles: printed on purpose, these identities are throwaway. */
export const DEMO_PASSPHRASE = 'wren-demo-passphrase'
/** Mailboxes bob and alice keep: one on each of the two demo relays. */
export const DEMO_MAILBOXES = 2
/** Bound on a relay or daemon starting: loopback needs a second or two, more on a busy machine. */
export const START_TIMEOUT_MS = 20_000
/** Bound on a child exiting after SIGTERM before it is killed. */
export const STOP_TIMEOUT_MS = 8_000
/** Bound on mailboxes registered and the prekey bundle published (DHT put on loopback). */
export const READY_TIMEOUT_MS = 30_000
export const POLL_MS = 100
/** Log lines kept per child, shown when it fails. */
export const KEPT_LOG_LINES = 30

// ---- output

export const color = process.stdout.isTTY && !process.env.NO_COLOR
export const paint = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s)
export const bold = paint('1')
export const dim = paint('2')
export const green = paint('32')
export const cyan = paint('36')
export const say = (text = '') => console.log(text)
export const step = (text: string) => say(`\n${bold(cyan(`▸ ${text}`))}`)
export const STATUS_MARK: Record<string, string> = {
  queued: '○ queued',
  sent: '✓ sent',
  stored: '⧗ stored',
  delivered: '✓✓ delivered',
  read: '✓✓ read',
  failed: '✗ failed',
}
export const mark = (status: string, receipts: number) =>
  status === 'stored'
    ? `${STATUS_MARK.stored} (${receipts} relay receipt${receipts === 1 ? '' : 's'})`
    : (STATUS_MARK[status] ?? status)

// ---- child processes (each stopped by its own PID)

export interface Child {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  readonly logs: string[]
  readonly exited: Promise<void>
}

export const children = new Set<Child>()
export const tempDirs: string[] = []

export function startChild(name: string, args: string[], onLine?: (line: string) => void): Child {
  // detached: a Ctrl-C in the terminal reaches only this script, which then stops each child itself
  const proc = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  if (proc.pid === undefined) throw new Error(`${name} did not start`)
  const logs: string[] = []
  let buffered = ''
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (chunk: string) => {
    buffered += chunk
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      logs.push(line)
      if (logs.length > KEPT_LOG_LINES) logs.shift()
      onLine?.(line)
    }
  })
  const exited = new Promise<void>((done) => proc.once('exit', () => done()))
  const child: Child = { name, proc, pid: proc.pid, logs, exited }
  children.add(child)
  say(dim(`  started ${name} (pid ${proc.pid})`))
  return child
}

export async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGTERM')
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await child.exited
    clearTimeout(timer)
  }
  children.delete(child)
}

export function failure(child: Child, what: string): Error {
  return new Error(`${child.name} ${what}\n--- last log lines of ${child.name} ---\n${child.logs.join('\n')}`)
}

/** Poll `check` until it returns a value, or fail after `timeoutMs` with `what` in the message. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

// ---- relays

export interface Relay {
  readonly child: Child
  readonly addr: string
}

/**
 * A relay with its data in `root/name`. The first start takes a free port; its config then records
 * that port, so a relay started again from the same folder (a reused --home) keeps its peer id
 * and address, and the mailboxes the profiles registered there stay valid.
 */
export async function startRelay(name: string, root: string): Promise<Relay> {
  const dataDir = join(root, name)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const configPath = join(dataDir, 'relay.json')
  const previous = await readFile(configPath, 'utf8').then(
    (text) => (JSON.parse(text) as { listen?: { tcpPort?: number } }).listen?.tcpPort ?? 0,
    () => 0,
  )
  const config = {
    dataDir,
    listen: { host: '127.0.0.1', tcpPort: previous, wsPort: -1 },
    metrics: { enabled: false, port: 0 },
    dht: { provide: false },
    logLevel: 'info',
  }
  await writeFile(configPath, JSON.stringify(config), { mode: 0o600 })
  let started: ((addrs: string[], peerId: string) => void) | undefined
  const ready = new Promise<{ addrs: string[]; peerId: string }>((done) => {
    started = (addrs, peerId) => done({ addrs, peerId })
  })
  const child = startChild(name, [RELAY_BIN, '--config', configPath], (line) => {
    if (!line.includes('relay.started')) return
    try {
      const entry = JSON.parse(line) as { event?: string; peerId?: string; addrs?: string[] }
      if (entry.event === 'relay.started' && entry.peerId) started?.(entry.addrs ?? [], entry.peerId)
    } catch {
      // not a JSON line: kept in the logs
    }
  })
  const result = await race(child, ready, 'start')
  const tcp = result.addrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (tcp === undefined) throw failure(child, 'has no TCP address')
  const addr = tcp.includes('/p2p/') ? tcp : `${tcp}/p2p/${result.peerId}`
  const port = Number(/\/tcp\/(\d+)/.exec(tcp)?.[1] ?? 0)
  config.listen.tcpPort = port
  await writeFile(configPath, JSON.stringify(config), { mode: 0o600 })
  say(dim(`    ${addr}`))
  return { child, addr }
}

/** `promise`, unless the child exits first or START_TIMEOUT_MS passes. */
export async function race<T>(child: Child, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      child.exited.then(() => Promise.reject(failure(child, `exited during ${what}`))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(failure(child, `did not ${what} within ${START_TIMEOUT_MS / 1000} s`)),
          START_TIMEOUT_MS,
        )
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

// ---- daemons

export interface Daemon {
  readonly child: Child
  readonly client: WrenClient
}

export async function startDaemon(home: string, profile: string, args: string[]): Promise<Daemon> {
  const child = startChild(profile, [
    await daemonEntry(),
    '--home',
    home,
    '--profile',
    profile,
    '--rpc-port',
    '0',
    ...args,
  ])
  const paths = profilePaths(home, profile)
  const info = await race(
    child,
    until(`${profile}'s daemon.json`, START_TIMEOUT_MS, async () => {
      const found = await readDaemonInfo(paths).catch(() => undefined)
      return found?.pid === child.pid ? found : undefined
    }),
    'start',
  )
  const token = await readRpcToken(paths)
  const client = await WrenClient.connect({ url: `ws://127.0.0.1:${info.rpcPort}/`, token })
  return { child, client }
}

export async function stopDaemon(daemon: Daemon): Promise<void> {
  await daemon.client.close().catch(() => {})
  await stopChild(daemon.child)
}

/** Unlock an existing identity (a reused --home) or create a new one. */
export async function openIdentity(daemon: Daemon, displayName: string): Promise<string> {
  const status = await daemon.client.call('node.status')
  if (status.hasIdentity) {
    return (await daemon.client.call('identity.unlock', { passphrase: DEMO_PASSPHRASE })).userId
  }
  return (await daemon.client.call('identity.create', { passphrase: DEMO_PASSPHRASE, displayName })).userId
}

export async function waitMailboxesReady(daemon: Daemon, name: string): Promise<void> {
  await until(`${name}'s ${DEMO_MAILBOXES} mailboxes and published bundle`, READY_TIMEOUT_MS, async () => {
    const s = await daemon.client.call('node.status')
    return s.mailboxes >= DEMO_MAILBOXES && s.bundlePublished ? true : undefined
  })
}

export async function listOut(daemon: Daemon, conversationId: string): Promise<Message[]> {
  const page = await daemon.client.call('messages.list', { conversationId, limit: 100 })
  return page.messages
}

/**
 * `npm run demo`: a local Wren network on this machine, in one command.
 *
 *   node scripts/demo.ts [--home DIR] [--once]
 *
 * Starts two relays (listening on 127.0.0.1) and two user daemons (alice and bob) as child
 * processes with the settings a user gets, creates both identities with a demo passphrase, exchanges
 * their cards, prints how to chat as each one (CLI and desktop), then runs a scripted exchange:
 * a direct message and a reply, bob going offline, three messages stored at his two relay
 * mailboxes (with signed receipts), bob coming back and receiving them in order. The network then
 * stays up until Ctrl-C (or, with --once, stops right after the script). Every child it started
 * is stopped by its PID and the temporary folders are removed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { readDaemonInfo, readRpcToken } from '../node/src/profile/daemon-info.ts'
import { profilePaths } from '../node/src/profile/profile.ts'
import { directConversationId, type EventPayload, type Message } from '../node/src/rpc/api.ts'
import { WrenClient } from '../node/src/rpc/client.ts'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const RELAY_BIN = join(REPO_ROOT, 'relay-node/src/bin/wren-relay.ts')
const DAEMON_MAIN = join(REPO_ROOT, 'node/src/daemon/main.ts')

/** Passphrase of the demo profiles: printed on purpose, these identities are throwaway. */
export const DEMO_PASSPHRASE = 'wren-demo-passphrase'
/** Mailboxes bob and alice keep: one on each of the two demo relays. */
const DEMO_MAILBOXES = 2
/** Bound on a relay or daemon starting: loopback needs a second or two, more on a busy machine. */
const START_TIMEOUT_MS = 20_000
/** Bound on a child exiting after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 8_000
/** Bound on mailboxes registered and the prekey bundle published (DHT put on loopback). */
const READY_TIMEOUT_MS = 30_000
/** Bound on one step of the scripted exchange (a delivery, a deposit, a fetch). */
const STEP_TIMEOUT_MS = 30_000
const POLL_MS = 100
/** Log lines kept per child, shown when it fails. */
const KEPT_LOG_LINES = 30
/** Fast mailbox fetches and outbox retries, so the demo moves along. */
const DAEMON_TUNING = ['--mailbox-fetch-ms', '1000', '--retry-max-ms', '2000']

const { values: flags } = parseArgs({
  options: {
    home: { type: 'string' },
    once: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (flags.help) {
  console.log('usage: npm run demo -- [--home DIR] [--once]')
  console.log('  --home DIR  WREN home for the alice and bob profiles (kept on exit; default: a temp dir)')
  console.log('  --once      stop after the scripted exchange instead of waiting for Ctrl-C')
  process.exit(0)
}

// ---- output

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s)
const bold = paint('1')
const dim = paint('2')
const green = paint('32')
const cyan = paint('36')
const say = (text = '') => console.log(text)
const step = (text: string) => say(`\n${bold(cyan(`▸ ${text}`))}`)
const STATUS_MARK: Record<string, string> = {
  queued: '○ queued',
  sent: '✓ sent',
  stored: '⧗ stored',
  delivered: '✓✓ delivered',
  read: '✓✓ read',
  failed: '✗ failed',
}
const mark = (status: string, receipts: number) =>
  status === 'stored'
    ? `${STATUS_MARK.stored} (${receipts} relay receipt${receipts === 1 ? '' : 's'})`
    : (STATUS_MARK[status] ?? status)

// ---- child processes (each stopped by its own PID)

interface Child {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  readonly logs: string[]
  readonly exited: Promise<void>
}

const children = new Set<Child>()
const tempDirs: string[] = []

function startChild(name: string, args: string[], onLine?: (line: string) => void): Child {
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

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGTERM')
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await child.exited
    clearTimeout(timer)
  }
  children.delete(child)
}

function failure(child: Child, what: string): Error {
  return new Error(`${child.name} ${what}\n--- last log lines of ${child.name} ---\n${child.logs.join('\n')}`)
}

/** Poll `check` until it returns a value, or fail after `timeoutMs` with `what` in the message. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

// ---- relays

interface Relay {
  readonly child: Child
  readonly addr: string
}

/**
 * A relay with its data in `root/name`. The first start takes a free port; its config then records
 * that port, so a relay started again from the same folder (a reused --home) keeps its peer id
 * and address, and the mailboxes the profiles registered there stay valid.
 */
async function startRelay(name: string, root: string): Promise<Relay> {
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
async function race<T>(child: Child, promise: Promise<T>, what: string): Promise<T> {
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

interface Daemon {
  readonly child: Child
  readonly client: WrenClient
}

async function startDaemon(home: string, profile: string, args: string[]): Promise<Daemon> {
  const child = startChild(profile, [
    DAEMON_MAIN,
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

async function stopDaemon(daemon: Daemon): Promise<void> {
  await daemon.client.close().catch(() => {})
  await stopChild(daemon.child)
}

/** Unlock an existing identity (a reused --home) or create a new one. */
async function openIdentity(daemon: Daemon, displayName: string): Promise<string> {
  const status = await daemon.client.call('node.status')
  if (status.hasIdentity) {
    return (await daemon.client.call('identity.unlock', { passphrase: DEMO_PASSPHRASE })).userId
  }
  return (await daemon.client.call('identity.create', { passphrase: DEMO_PASSPHRASE, displayName })).userId
}

async function waitMailboxesReady(daemon: Daemon, name: string): Promise<void> {
  await until(`${name}'s ${DEMO_MAILBOXES} mailboxes and published bundle`, READY_TIMEOUT_MS, async () => {
    const s = await daemon.client.call('node.status')
    return s.mailboxes >= DEMO_MAILBOXES && s.bundlePublished ? true : undefined
  })
}

async function listOut(daemon: Daemon, conversationId: string): Promise<Message[]> {
  const page = await daemon.client.call('messages.list', { conversationId, limit: 100 })
  return page.messages
}

// ---- the demo

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'wren-demo-'))
  tempDirs.push(root)
  const home = flags.home === undefined ? join(root, 'home') : resolve(flags.home)
  await mkdir(home, { recursive: true, mode: 0o700 })

  say(
    bold('Wren demo: a local network on this machine (relays on 127.0.0.1, daemons on their usual settings)'),
  )
  step('Starting two relays')
  // with --home the relays live there too, so a second run finds the same relays and mailboxes
  const relayRoot = flags.home === undefined ? root : join(home, 'demo-relays')
  const relays = [await startRelay('relay-1', relayRoot), await startRelay('relay-2', relayRoot)]
  const relayArgs = [
    ...relays.flatMap((r) => ['--relay', r.addr]),
    '--mailboxes',
    String(DEMO_MAILBOXES),
    ...DAEMON_TUNING,
  ]

  step('Starting alice and bob')
  const alice = await startDaemon(home, 'alice', relayArgs)
  const aliceId = await openIdentity(alice, 'Alice')
  const aliceAddrs = (await alice.client.call('node.status')).listenAddrs
  const bobArgs = [...relayArgs, ...aliceAddrs.flatMap((a) => ['--bootstrap', a])]
  let bob = await startDaemon(home, 'bob', bobArgs)
  const bobId = await openIdentity(bob, 'Bob')
  say(`  alice  ${aliceId}`)
  say(`  bob    ${bobId}`)
  say(`  passphrase of both profiles: ${bold(DEMO_PASSPHRASE)} ${dim('(demo only)')}`)

  step('Exchanging contact cards')
  const aliceCard = (await alice.client.call('identity.get')).card
  const bobCard = (await bob.client.call('identity.get')).card
  await alice.client.call('contacts.add', { card: bobCard })
  await bob.client.call('contacts.add', { card: aliceCard })
  say('  alice added bob, bob added alice')
  say(dim(`  waiting for mailboxes on both relays and published prekey bundles…`))
  await Promise.all([waitMailboxesReady(alice, 'alice'), waitMailboxesReady(bob, 'bob')])
  say(`  each keeps ${DEMO_MAILBOXES} mailboxes (one per relay); bundles are in the DHT`)

  printHowTo(home)

  const toBob = directConversationId(bobId)
  const toAlice = directConversationId(aliceId)
  const tracker = new StatusTracker()
  await alice.client.on('message.status', (e: EventPayload<'message.status'>) => tracker.event(e))

  step('alice → bob (both online)')
  const hello = await sendAndTrack(alice, toBob, 'Hi Bob! This is end-to-end encrypted.', tracker)
  await until('bob to receive the first message', STEP_TIMEOUT_MS, async () => {
    const got = (await listOut(bob, toAlice)).find((m) => m.id === hello.id)
    if (got) say(`    bob received: "${got.text}"`)
    return got
  })
  await untilStatus(alice, toBob, [hello.id], ['delivered', 'read'], 'the first message delivered')

  step('bob → alice (the reply)')
  const reply = (
    await bob.client.call('messages.send', { conversationId: toAlice, text: 'Hey Alice, got it!' })
  ).message
  await until("alice to receive bob's reply", STEP_TIMEOUT_MS, async () => {
    const got = (await listOut(alice, toBob)).find((m) => m.id === reply.id)
    if (got) say(`    alice received: "${got.text}"`)
    return got
  })
  await untilStatus(bob, toAlice, [reply.id], ['delivered', 'read'], 'the reply delivered')
  say(`    bob: "${reply.text}" ${mark('delivered', 0)}`)

  step('bob goes offline')
  await stopDaemon(bob)
  say(`  stopped bob's daemon (pid ${bob.child.pid})`)

  step(`alice sends 3 messages while bob is offline: each is stored at his ${DEMO_MAILBOXES} relay mailboxes`)
  const offlineTexts = ['Are you there?', 'Sending this while you are offline.', 'Third and last one.']
  const offline: Message[] = []
  for (const text of offlineTexts) offline.push(await sendAndTrack(alice, toBob, text, tracker))
  await until(
    `every offline message stored with ${DEMO_MAILBOXES} relay receipts`,
    STEP_TIMEOUT_MS,
    async () => {
      const list = await listOut(alice, toBob)
      const ok = offline.every((o) => {
        const m = list.find((x) => x.id === o.id)
        return m?.status === 'stored' && m.receipts >= DEMO_MAILBOXES
      })
      return ok ? true : undefined
    },
  )
  say(`  all 3 stored, each with ${DEMO_MAILBOXES} signed receipts (one from each relay)`)

  step('bob comes back (restart + unlock)')
  bob = await startDaemon(home, 'bob', bobArgs)
  const arrived: string[] = []
  await bob.client.on('message.received', (e: EventPayload<'message.received'>) => {
    if (e.message.conversationId === toAlice) arrived.push(e.message.id)
  })
  await bob.client.call('identity.unlock', { passphrase: DEMO_PASSPHRASE })
  say(dim('  bob unlocked; fetching from his mailboxes…'))
  const shown = new Set<string>()
  await until('bob to receive the 3 offline messages', STEP_TIMEOUT_MS, async () => {
    const list = (await listOut(bob, toAlice)).filter((m) => offline.some((o) => o.id === m.id))
    for (const m of list) {
      if (shown.has(m.id)) continue
      shown.add(m.id)
      say(`    bob received #${shown.size}: "${m.text}"`)
    }
    return list.length === offline.length ? list : undefined
  }).then((list) => {
    const inOrder = list.every((m, i) => m.text === offlineTexts[i])
    if (!inOrder) throw new Error('the offline messages arrived out of order')
    if (new Set(arrived).size !== arrived.length) throw new Error('bob received a message twice')
    say(green('  ✓ all 3 offline messages arrived, in order, exactly once'))
  })
  await untilStatus(
    alice,
    toBob,
    offline.map((m) => m.id),
    ['delivered', 'read'],
    'alice to see the offline messages delivered',
  )
  say(green('  ✓ alice sees all 3 as delivered'))

  say(`\n${bold(green('Scripted exchange done.'))}`)
  if (flags.once) return
  printHowTo(home)
  say(bold('The network stays up: chat away. Press Ctrl-C to stop everything.'))
  await new Promise<never>(() => {
    // until a signal ends the process
  })
}

/**
 * Prints alice's status changes per message: the status the send returned first, then each
 * change (events that come before the send returns are held until then).
 */
class StatusTracker {
  readonly #labels = new Map<string, string>()
  readonly #last = new Map<string, string>()
  readonly #early = new Map<string, EventPayload<'message.status'>[]>()

  event(e: EventPayload<'message.status'>): void {
    if (!this.#labels.has(e.messageId)) {
      const held = this.#early.get(e.messageId) ?? []
      held.push(e)
      this.#early.set(e.messageId, held)
      return
    }
    this.#show(e.messageId, e.status, e.receipts)
  }

  sent(message: Message): void {
    this.#labels.set(message.id, message.text)
    this.#show(message.id, message.status, message.receipts)
    for (const e of this.#early.get(message.id) ?? []) this.#show(e.messageId, e.status, e.receipts)
    this.#early.delete(message.id)
  }

  #show(id: string, status: string, receipts: number): void {
    const key = `${status}/${receipts}`
    if (this.#last.get(id) === key) return
    this.#last.set(id, key)
    say(`    alice: "${this.#labels.get(id)}" ${mark(status, receipts)}`)
  }
}

async function sendAndTrack(
  from: Daemon,
  conversationId: string,
  text: string,
  tracker: StatusTracker,
): Promise<Message> {
  const { message } = await from.client.call('messages.send', { conversationId, text })
  tracker.sent(message)
  return message
}

async function untilStatus(
  daemon: Daemon,
  conversationId: string,
  ids: string[],
  wanted: string[],
  what: string,
): Promise<void> {
  await until(what, STEP_TIMEOUT_MS, async () => {
    const list = await listOut(daemon, conversationId)
    return ids.every((id) => wanted.includes(list.find((m) => m.id === id)?.status ?? '')) ? true : undefined
  })
}

function printHowTo(home: string): void {
  const h = JSON.stringify(home)
  step('How to chat')
  say(`  As alice (CLI):   npx wren --home ${h} --profile alice chat Bob`)
  say(`  As bob (CLI):     npx wren --home ${h} --profile bob chat Alice`)
  say(`  One-off send:     npx wren --home ${h} --profile alice send Bob "hello"`)
  say(`  Desktop, alice:   npm start -- --home ${h} --profile alice`)
  say(`  Desktop, bob:     npm start -- --home ${h} --profile bob`)
  say(dim('  (add --print to the desktop command to get a one-time URL for any browser instead)'))
  say(dim(`  Passphrase if asked: ${DEMO_PASSPHRASE}`))
}

// ---- shutdown

let shuttingDown = false
async function shutdown(code: number): Promise<never> {
  if (shuttingDown) return new Promise<never>(() => {})
  shuttingDown = true
  say(dim('\nStopping the demo network…'))
  const all = [...children]
  const daemons = all.filter((c) => !c.name.startsWith('relay-'))
  const relays = all.filter((c) => c.name.startsWith('relay-'))
  await Promise.allSettled(daemons.map(stopChild))
  await Promise.allSettled(relays.map(stopChild))
  for (const c of all) say(dim(`  stopped ${c.name} (pid ${c.pid})`))
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => {})
  say(dim('  temporary folders removed'))
  // let piped output drain before exiting
  await new Promise<void>((done) => process.stdout.write('', () => done()))
  process.exit(code)
}

process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))
main().then(
  () => shutdown(0),
  (error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`)
    return shutdown(1)
  },
)

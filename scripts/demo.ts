import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { directConversationId, type EventPayload, type Message } from '../node/src/rpc/api.ts'
import {
  bold,
  children,
  type Daemon,
  DEMO_MAILBOXES,
  DEMO_PASSPHRASE,
  dim,
  green,
  listOut,
  mark,
  openIdentity,
  say,
  startDaemon,
  startRelay,
  step,
  stopChild,
  stopDaemon,
  tempDirs,
  until,
  waitMailboxesReady,
} from './demo-network.ts'

/** Bound on one step of the scripted exchange (a delivery, a deposit, a fetch). */
const STEP_TIMEOUT_MS = 30_000
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

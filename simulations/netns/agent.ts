/**
 * One node of the multi-host mode, run by run.sh inside its own network namespace:
 *   node simulations/netns/agent.ts <shared dir> <scenario> <seed> relay <ip>
 *   node simulations/netns/agent.ts <shared dir> <scenario> <seed> user <index> <ip>
 * Nodes meet through files in the shared dir (relay address, contact cards, ready flags, the
 * start time), then every user runs its part of the seeded plan (same plan in every process) and
 * writes what it sent and received; aggregate.ts matches them. All processes share the host's
 * clock, so send and receive times are comparable.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { parseUserId } from '../../core/src/identity.ts'
import { createNodeSuite } from '../../node/src/crypto/node-suite.ts'
import { directConversationId } from '../../node/src/messaging/conversation-id.ts'
import { getBundle } from '../../node/src/p2p/dht-records.ts'
import { makeRunRoot, removeRunRoot, SimRelay, SimUser } from '../src/harness.ts'
import { loadScenario, mailboxCountOf } from '../src/scenario.ts'
import { buildPlan } from '../src/schedule.ts'

/** Bound on waiting for the other nodes at each meeting point. */
const MEET_TIMEOUT_MS = 120_000
/** Bound on one measured lookup. */
const LOOKUP_TIMEOUT_MS = 10_000
const POLL_MS = 100

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

async function put(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text)
  await rename(`${path}.tmp`, path)
}

async function waitFor(path: string): Promise<string> {
  const deadline = Date.now() + MEET_TIMEOUT_MS
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => null)
    if (text !== null) return text
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`)
    await sleep(POLL_MS)
  }
}

async function main(argv: string[]): Promise<void> {
  const [shared, scenarioName, seedText, role, ...rest] = argv
  if (shared === undefined || scenarioName === undefined || seedText === undefined) throw new Error('usage')
  const scenario = await loadScenario(scenarioName)
  const seed = Number(seedText)
  const root = await makeRunRoot()
  try {
    if (role === 'relay') {
      const ip = rest[0] as string
      const relay = await SimRelay.create(
        0,
        root,
        () => [],
        () => {},
        ip,
      )
      await put(join(shared, 'relay.json'), JSON.stringify({ addr: relay.addr }))
      await waitFor(join(shared, 'done'))
      await relay.stop()
      return
    }
    const index = Number(rest[0])
    const ip = rest[1] as string
    const plan = buildPlan(scenario, seed)
    const relayAddr = JSON.parse(await waitFor(join(shared, 'relay.json'))).addr as string
    const received: Array<{ messageId: string; at: number }> = []
    const user = await SimUser.create({
      index,
      suite: createNodeSuite(),
      root,
      host: ip,
      bootstrap: () => [relayAddr],
      retry: scenario.retry,
      mailboxes:
        mailboxCountOf(scenario) === 0
          ? null
          : { relays: () => [relayAddr], count: 1, fetchIntervalMs: scenario.mailboxes.fetchIntervalMs },
      onHost: () => {},
      onEvent: (_user, event, payload) => {
        if (event === 'message.received') {
          received.push({ messageId: (payload as { message: { id: string } }).message.id, at: Date.now() })
        }
      },
    })
    const rt = user.runtime
    if (rt === null) throw new Error('user did not start')
    await put(
      join(shared, `card-${index}.json`),
      JSON.stringify({ card: user.card, userId: rt.messenger.userId }),
    )
    const peers = new Map<number, { card: string; userId: string }>()
    for (let other = 0; other < plan.users; other++) {
      peers.set(other, JSON.parse(await waitFor(join(shared, `card-${other}.json`))))
    }
    const suite = createNodeSuite()
    for (const [a, b] of plan.contacts) {
      if (a !== index && b !== index) continue
      const other = peers.get(a === index ? b : a)
      if (other !== undefined) await rt.messenger.addContact(parseContactCard(suite, other.card), undefined)
    }
    const publishDeadline = Date.now() + MEET_TIMEOUT_MS
    while (rt.libp2p.services.publisher.lastResult?.ok !== true && Date.now() < publishDeadline) {
      if (rt.libp2p.services.publisher.lastResult !== undefined) await rt.libp2p.services.publisher.publish()
      await sleep(500)
    }
    await put(join(shared, `ready-${index}`), '')
    const t0 = JSON.parse(await waitFor(join(shared, 'go.json'))).t0 as number

    const lookups: Array<{ to: number; ok: boolean; ms: number }> = []
    for (const [from, to] of plan.lookups) {
      if (from !== index) continue
      const target = peers.get(to)
      if (target === undefined) continue
      const started = Date.now()
      const result = await getBundle(rt.libp2p, parseUserId(target.userId), { timeoutMs: LOOKUP_TIMEOUT_MS })
      lookups.push({ to, ok: result.ok, ms: Date.now() - started })
    }

    const sent: Array<{ id: number; to: number; messageId: string; sentAt: number; at: number }> = []
    for (const event of plan.events) {
      if (event.type !== 'send' || event.from !== index) continue
      await sleep(t0 + event.t - Date.now())
      const target = peers.get(event.to)
      if (target === undefined) continue
      const sentAt = Date.now()
      const message = await rt.messenger.sendText(
        directConversationId(target.userId),
        `netns message ${event.id}`,
      )
      sent.push({ id: event.id, to: event.to, messageId: message.id, sentAt, at: event.t })
    }
    await sleep(t0 + scenario.durationMs + scenario.drainMs - Date.now())
    await put(join(shared, `result-${index}.json`), JSON.stringify({ index, sent, received, lookups }))
    await waitFor(join(shared, 'done'))
    await user.close()
  } finally {
    await removeRunRoot(root)
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)

/**
 * Group formation benchmark (npm run bench:group-formation): what creating an N-member group
 * costs with the real group service on real in-process runtimes (simulations/src/harness.ts:
 * one real relay as bootstrap and DHT server, N users on TCP loopback, each on its own address).
 *
 * Per size N it measures, from `groups.create` by the owner with N − 1 invitees (each accepting as
 * soon as its invitation arrives):
 * - formed: every member holds the full member list;
 * - all can post: every member has posted once (as soon as it saw the full list) and every other
 *   member has read that post (so every Sender Key reached every member);
 * - pairwise group payloads per member (envelopes queued by the group layer through
 *   Messenger.sendApp, counted per recipient, over the whole formation, divided by N);
 * - removal + rotation: the owner removes one member; until every remaining member has posted
 *   in the new epoch and every other remaining member has read it.
 *
 * Usage: node node/bench/group-formation.bench.ts [--quick] [--sizes 10,20] [--out FILE]
 * (in the netns wrapper: npm run bench:group-formation). Progress goes to stderr.
 */

import { parseContactCard } from '../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../core/src/crypto/suite.ts'
import type { Runtime } from '../../node/src/app/runtime.ts'
import { createNodeSuite } from '../../node/src/crypto/node-suite.ts'
import type { EventPayload } from '../../node/src/rpc/api.ts'
import { makeRunRoot, removeRunRoot, SimRelay, SimUser } from '../../simulations/src/harness.ts'
import { pool } from '../../simulations/src/run/pool.ts'
import { type BenchRow, benchArgs, load1, pollUntil, round, writeRows } from './bench-report.ts'

const { quick, out } = benchArgs('docs/bench/group-formation.json')
const sizesIndex = process.argv.indexOf('--sizes')
const SIZES =
  sizesIndex > 0 ? (process.argv[sizesIndex + 1] ?? '').split(',').map(Number) : quick ? [10] : [10, 20, 50]
/** Bound on one formation (create → every member read every other's post); the goal is 30 s at 100. */
const FORMATION_TIMEOUT_MS = 300_000
/** Bound on removal → every remaining member read every other's post in the new epoch (goal 5 s). */
const ROTATION_TIMEOUT_MS = 120_000
/** Users started in parallel (each start is a libp2p host and a LevelDB open). */
const START_CONCURRENCY = 8
/** Poll period of the formation's checks. */
const POLL_MS = 20
/** Retry timings of the outbox: short, as on a loopback network. */
const RETRY = { baseMs: 200, maxMs: 1_000 }
/** The goals at 100 members (issue 20). */
const FORMATION_GOAL_MS = 30_000
const ROTATION_GOAL_MS = 5_000

const suite: CryptoSuite = createNodeSuite()
const rows: BenchRow[] = []
const t0 = performance.now()
function progress(what: string): void {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${what}\n`)
}

/** Texts received per user, by text. */
type Inbox = Map<string, number>

async function measure(size: number): Promise<void> {
  const root = await makeRunRoot()
  const users: SimUser[] = []
  let relay: SimRelay | null = null
  const inbox: Inbox[] = Array.from({ length: size }, () => new Map())
  const invited = new Set<number>()
  try {
    relay = await SimRelay.create(
      0,
      root,
      () => [],
      () => {},
      { kind: 'loopback' },
    )
    const bootstrap = [relay.addr]
    const created: SimUser[] = new Array(size)
    await pool(
      Array.from({ length: size }, (_, i) => i),
      START_CONCURRENCY,
      async (index) => {
        created[index] = await SimUser.create({
          index,
          suite,
          root,
          bootstrap: () => bootstrap,
          retry: RETRY,
          mailboxes: null,
          onHost: () => {},
          links: { kind: 'loopback' },
          onEvent: (user, event, payload) => {
            if (event === 'group.invited') {
              invited.add(user)
              if (process.env.GF_TRACE) progress(`invited ${user}`)
            }
            if (process.env.GF_TRACE && event === 'group.updated')
              progress(
                `updated ${user}: ${(payload as EventPayload<'group.updated'>).group.memberCount} members`,
              )
            if (event !== 'message.received') return
            const text = (payload as EventPayload<'message.received'>).message.text
            const box = inbox[user] as Inbox
            box.set(text, (box.get(text) ?? 0) + 1)
          },
        })
      },
    )
    users.push(...created)
    progress(`${size} users started`)
    const rt = (i: number) => users[i]?.runtime as Runtime
    // pairwise group payloads, counted per recipient, by app kind
    const sent = new Map<number, number>()
    for (let i = 0; i < size; i++) {
      const messenger = rt(i).messenger
      const original = messenger.sendApp.bind(messenger)
      messenger.sendApp = (peers, appKind, payload) => {
        if (appKind >= 100 && appKind < 110) sent.set(appKind, (sent.get(appKind) ?? 0) + peers.length)
        return original(peers, appKind, payload)
      }
    }
    const owner = rt(0)
    await pool(
      Array.from({ length: size - 1 }, (_, i) => i + 1),
      START_CONCURRENCY,
      async (i) => {
        await owner.messenger.addContact(parseContactCard(suite, users[i]?.card ?? ''), undefined)
        await rt(i).messenger.addContact(parseContactCard(suite, users[0]?.card ?? ''), undefined)
      },
    )
    progress('contacts added')
    const loadBefore = load1()
    const started = performance.now()
    const summary = await owner.groups.create(
      `bench ${size}`,
      users.slice(1).map((u) => u.runtime?.messenger.userId ?? ''),
    )
    const { groupId, conversationId } = summary
    const accepted = new Set<number>()
    const posted = new Set<number>()
    let formedAt = 0
    const hasAll = (i: number) => rt(i).groups.group(groupId)?.log.state.members.length === size
    const readAll = (texts: (i: number) => string, among: number[]) =>
      among.every((r) => among.every((s) => s === r || (inbox[r]?.get(texts(s)) ?? 0) > 0))
    const everyone = Array.from({ length: size }, (_, i) => i)
    const text = (i: number) => `hello from ${i} in a group of ${size}`
    await pollUntil(
      `${size}-member group formed and every post read`,
      async () => {
        for (const i of invited) {
          if (accepted.has(i) || rt(i).groups.group(groupId)?.record.status !== 'invited') continue
          accepted.add(i)
          await rt(i)
            .groups.accept(groupId)
            .catch(() => accepted.delete(i))
        }
        if (formedAt === 0 && everyone.every(hasAll)) formedAt = performance.now()
        for (const i of everyone) {
          if (posted.has(i) || !hasAll(i)) continue
          posted.add(i)
          void rt(i).groups.messages.send(conversationId, text(i))
        }
        return posted.size === size && readAll(text, everyone) ? true : undefined
      },
      FORMATION_TIMEOUT_MS,
      POLL_MS,
    )
    const allCanPost = performance.now() - started
    const formationSends = new Map(sent)
    const perMember = [...formationSends.values()].reduce((a, b) => a + b, 0) / size
    progress(
      `${size}: formed ${round(formedAt - started)} ms, all can post ${round(allCanPost)} ms, pairwise group payloads ${JSON.stringify(Object.fromEntries(formationSends))}, load ${load1()}`,
    )
    const goal = size === 100
    rows.push(
      {
        name: `formed (all hold the member list), ${size} members`,
        unit: 'ms',
        value: round(formedAt - started),
        goal: null,
      },
      {
        name: `created until every member read every member's post, ${size} members`,
        unit: 'ms',
        value: round(allCanPost),
        goal: goal ? FORMATION_GOAL_MS : null,
      },
      {
        name: `pairwise group payloads per member during formation, ${size} members`,
        unit: 'msgs',
        value: round(perMember),
        goal: null,
      },
      { name: `load average (1 min) at start, ${size} members`, unit: 'load', value: loadBefore, goal: null },
    )
    // removal + rotation: the last member goes; the others post in the new epoch
    sent.clear()
    const removed = size - 1
    const rest = everyone.filter((i) => i !== removed)
    const epochBefore = owner.groups.group(groupId)?.log.state.epoch ?? 0
    const rotatedText = (i: number) => `after the removal, ${i} of ${size}`
    const rotationStart = performance.now()
    await owner.groups.remove(groupId, rt(removed).messenger.userId)
    const postedAfter = new Set<number>()
    await pollUntil(
      `${size}-member group rotated after a removal`,
      () => {
        for (const i of rest) {
          if (postedAfter.has(i) || (rt(i).groups.group(groupId)?.log.state.epoch ?? 0) <= epochBefore)
            continue
          postedAfter.add(i)
          void rt(i).groups.messages.send(conversationId, rotatedText(i))
        }
        return postedAfter.size === rest.length && readAll(rotatedText, rest) ? true : undefined
      },
      ROTATION_TIMEOUT_MS,
      POLL_MS,
    )
    const rotation = performance.now() - rotationStart
    const leaked =
      (inbox[removed]?.size ?? 0) -
      [...(inbox[removed]?.keys() ?? [])].filter((t) => !t.startsWith('after')).length
    if (leaked > 0) throw new Error(`the removed member read ${leaked} posts of the new epoch`)
    const rotationSends = [...sent.values()].reduce((a, b) => a + b, 0)
    progress(
      `${size}: removal + rotation ${round(rotation)} ms, pairwise group payloads ${JSON.stringify(Object.fromEntries(sent))}`,
    )
    rows.push(
      {
        name: `removal until every remaining member read every other's new post, ${size} members`,
        unit: 'ms',
        value: round(rotation),
        goal: goal ? ROTATION_GOAL_MS : null,
      },
      {
        name: `pairwise group payloads per member during rotation, ${size} members`,
        unit: 'msgs',
        value: round(rotationSends / rest.length),
        goal: null,
      },
    )
  } finally {
    await pool(users, START_CONCURRENCY, (u) => u.close().catch(() => {}))
    await relay?.stop().catch(() => {})
    await removeRunRoot(root)
  }
}

for (const size of SIZES) await measure(size)
rows.push({ name: 'load average (1 min) at the end', unit: 'load', value: load1(), goal: null })
writeRows(out, rows)
process.exit(0)

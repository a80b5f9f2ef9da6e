/**
 * Daemon benchmark (npm run bench:node): real daemons as child processes on the production
 * network settings a user gets (npm runs it in a private network namespace: see
 * scripts/in-netns.sh), driven over their JSON-RPC WebSocket like any client.
 *
 *   cold start   an existing profile: spawn → daemon.json → RPC connected → identity.unlock done →
 *                node.status lists listen addresses (see cold-start.ts); median of several runs
 *   idle RSS     VmRSS of that daemon after it sat unlocked and idle, alone (no peers)
 *   latency      alice's messages.send call → bob's message.received notification, one message at
 *                a time (established session, both online, connected), p50/p99
 *   ping         beside it: the daemon exposes no ping over RPC, so a separate in-process libp2p
 *                host (createWrenHost, loopback) pings bob's daemon over its own connection, one
 *                ping after each message; timed around ping() (stream open + 32-byte echo)
 *   throughput   alice sends N messages with W calls in flight; messages/s = N / (first send call →
 *                last message.received at bob); THROUGHPUT_RUNS runs, the rows are their medians
 *   idle RSS     of bob (the receiver) again, once idle after all of the above
 *   first message  FIRST_CONTACT_PAIRS fresh pairs (new identities, cards exchanged, nothing
 *                else): the first messages.send call → message.status 'delivered' at the sender;
 *                session set-up (bundle and one-time prekey from the contact) included
 *
 * Usage: node node/bench/node.bench.ts [--quick] [--out FILE] [--cpu-prof DIR] [--only PART]
 *   --quick      a short run (figures indicative only; writes nothing unless --out)
 *   --only       one part: cold (cold start, idle RSS), first (first message), pair (latency,
 *                throughput, receiver RSS), idle (idle CPU with IDLE_PEERS connected peers);
 *                writes nothing unless --out
 *   --cpu-prof   run the daemons with NODE_OPTIONS=--cpu-prof --cpu-prof-dir=DIR (profiles on exit)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { type ChatPeer, startPeer, TEST_PASSPHRASE, waitForEvent } from '../../test/fixtures/chat.ts'
import { spawnDaemon } from '../../test/fixtures/daemon.ts'
import { userRecordRules } from '../src/app/record-rules.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { createWrenHost } from '../src/p2p/host.ts'
import type { WrenClient } from '../src/rpc/client.ts'
import {
  type BenchRow,
  benchArgs,
  CLOCK_TICKS_PER_S,
  load1,
  median,
  percentile,
  processCpuMs,
  round,
  rssMb,
  sleep,
  writeRows,
} from './bench-report.ts'
import { coldStart } from './cold-start.ts'

const { quick, out: defaultOut } = benchArgs('docs/bench/node.json')
const onlyIndex = process.argv.indexOf('--only')
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1] : undefined
if (only !== undefined && !['cold', 'first', 'pair', 'idle'].includes(only))
  throw new Error('--only takes cold, first, pair or idle')
/** A partial run writes only where --out says (the full file needs every row). */
const out = only !== undefined && !process.argv.includes('--out') ? null : defaultOut
const profIndex = process.argv.indexOf('--cpu-prof')
const cpuProfDir = profIndex > 0 ? process.argv[profIndex + 1] : undefined
const daemonEnv: Record<string, string> =
  cpuProfDir !== undefined ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${cpuProfDir}` } : {}

/** Peers (in-process hosts on user settings) connected to the daemon whose idle CPU is read (issue 20). */
const IDLE_PEERS = 20
/** Pause between the peers' dials (see benchIdleCpu). */
const IDLE_DIAL_GAP_MS = 300
/** Time the peers get to connect and the daemon to settle before its CPU is read. */
const IDLE_SETTLE_MS = quick ? 5_000 : 15_000
/** Window over which the idle daemon's CPU time is read. */
const IDLE_CPU_WINDOW_MS = quick ? 10_000 : 60_000
/** Cold starts timed (the median is reported): the first one also pays a cold disk cache. */
const COLD_STARTS = quick ? 2 : 5
/** Time a daemon sits unlocked with nothing to do before its RSS is read. */
const IDLE_MS = quick ? 3_000 : 10_000
/** Messages timed one at a time for the latency percentiles (p99 needs a few hundred). */
const LATENCY_MESSAGES = quick ? 30 : 400
/** Messages sent before timing: session set up, JIT warm. */
const WARMUP_MESSAGES = quick ? 10 : 50
/** Pause between latency messages so each one travels alone (no batching with the previous). */
const LATENCY_GAP_MS = 10
/** Messages in the throughput run. */
const THROUGHPUT_MESSAGES = quick ? 300 : 4_000
/** Throughput runs; the rows are their medians. */
const THROUGHPUT_RUNS = quick ? 1 : 3
/** messages.send calls in flight during the throughput run (a busy client or bot). */
const THROUGHPUT_WINDOW = 64
/** Bound on one message's delivery in the latency run. */
const MESSAGE_TIMEOUT_MS = 15_000
/** Bound on the whole throughput run: what arrived by then is counted over the elapsed time. */
const THROUGHPUT_TIMEOUT_MS = 90_000
/** Fresh pairs timed for "first message to a brand-new contact" (p99 of 20 is their maximum). */
const FIRST_CONTACT_PAIRS = quick ? 5 : 20
/** Bound on one first message's delivery. */
const FIRST_CONTACT_TIMEOUT_MS = 30_000
/** Bound on one ping. */
const PING_TIMEOUT_MS = 5_000

/** The crypto suite the idle bench's peers check DHT records with, as a daemon does. */
const suite = createNodeSuite()

const rows: BenchRow[] = []
const row = (name: string, unit: string, value: number, goal: number | null) => {
  rows.push({ name, unit, value, goal })
  console.log(`  ${name}: ${value} ${unit}${goal === null ? '' : ` (goal ${goal})`}`)
}
const loads: number[] = [load1()]
console.log(`bench:node${quick ? ' --quick' : ''}: load average ${loads[0]} on this machine`)

async function benchColdStart(): Promise<void> {
  console.log(`cold start × ${COLD_STARTS}, then idle RSS after ${IDLE_MS} ms`)
  const home = await mkdtemp(join(tmpdir(), 'wren-bench-cold-'))
  try {
    const first = await spawnDaemon({ home, profile: 'cold', keepHome: true, env: daemonEnv })
    await first.client.call('identity.create', { passphrase: TEST_PASSPHRASE, displayName: 'Cold' })
    await first.stop()
    const runs = []
    let idleRss = Number.NaN
    for (let i = 0; i < COLD_STARTS; i++) {
      const started = await coldStart({ home, profile: 'cold', passphrase: TEST_PASSPHRASE, env: daemonEnv })
      runs.push(started.times)
      const t = started.times
      console.log(
        `  run ${i + 1}: daemon.json ${t.json.toFixed(0)} ms, rpc ${t.rpc.toFixed(0)} ms, unlock ${t.unlock.toFixed(0)} ms, ready ${t.ready.toFixed(0)} ms`,
      )
      if (i === COLD_STARTS - 1) {
        await sleep(IDLE_MS)
        idleRss = rssMb(started.pid)
      }
      await started.stop()
    }
    row('cold start: spawn → daemon.json (RPC up)', 'ms', round(median(runs.map((r) => r.json)), 0), null)
    row('cold start: spawn → identity.unlock done', 'ms', round(median(runs.map((r) => r.unlock)), 0), null)
    row('cold start: spawn → ready (listening)', 'ms', round(median(runs.map((r) => r.ready)), 0), 1500)
    row('idle RSS, fresh unlocked daemon, no peers', 'MB', round(idleRss), 120)
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

/** Resolves received-at times of bob's message.received notifications, by message text. */
class Arrivals {
  readonly #waiting = new Map<string, (at: number) => void>()
  count = 0
  last = 0
  readonly prefix: string
  constructor(prefix: string) {
    this.prefix = prefix
  }
  onMessage = (text: string): void => {
    const at = performance.now()
    if (!text.startsWith(this.prefix)) return
    this.count++
    this.last = at
    const resolve = this.#waiting.get(text)
    if (resolve !== undefined) {
      this.#waiting.delete(text)
      resolve(at)
    }
  }
  /** The arrival time of `text`, bounded by `timeoutMs`. */
  wait(text: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(text)
        reject(new Error(`no message.received for '${text}' within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiting.set(text, (at) => {
        clearTimeout(timer)
        resolve(at)
      })
    })
  }
}

async function startPairWithEnv(): Promise<{ alice: ChatPeer; bob: ChatPeer }> {
  const alice = await startPeer('Alice', { env: daemonEnv })
  const bob = await startPeer('Bob', {
    env: daemonEnv,
    args: alice.addrs.flatMap((a) => ['--bootstrap', a]),
  }).catch(async (error) => {
    await alice.stop()
    throw error
  })
  const aliceCard = (await alice.client.call('identity.get', {})).card
  const bobCard = (await bob.client.call('identity.get', {})).card
  await alice.client.call('contacts.add', { card: bobCard })
  await bob.client.call('contacts.add', { card: aliceCard })
  return { alice, bob }
}

async function sendAndWait(
  from: WrenClient,
  to: ChatPeer,
  arrivals: Arrivals,
  text: string,
): Promise<number> {
  const arrived = arrivals.wait(text, MESSAGE_TIMEOUT_MS)
  const t0 = performance.now()
  await from.call('messages.send', { conversationId: `dm:${to.userId}`, text })
  return (await arrived) - t0
}

/** CPU time (user + system) in ms of each thread of a process so far, by thread name (/proc/<pid>/task). */
function threadCpuMs(pid: number): Map<string, number> {
  const byName = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.split(') ')[1]?.split(' ') ?? []
      const ms = ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1000
      byName.set(name, (byName.get(name) ?? 0) + ms)
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName
}

/** A daemon with IDLE_PEERS connected peers and nothing to do: the share of a core it burns. */
async function benchIdleCpu(): Promise<void> {
  console.log(`idle CPU: one daemon, ${IDLE_PEERS} connected peers, ${IDLE_CPU_WINDOW_MS / 1000} s`)
  const daemon = await startPeer('Idle', { env: daemonEnv })
  const hosts = await Promise.all(
    Array.from({ length: IDLE_PEERS }, async () =>
      // the peers stand for contacts and strangers on the internet, not 20 devices on this
      // daemon's LAN: with mDNS they would all be neighbours answering each other's multicast
      // queries (measured: 8 % of a core with it, 4.1 % without, both at load 6-10)
      // they serve the DHT as users' daemons do: a host without Wren's record rules refuses the
      // daemon's bundle and device list, and its publisher then retries LAN-wide puts on backoff
      createWrenHost({
        privateKey: await generateKeyPair('Ed25519'),
        mdns: false,
        records: userRecordRules(suite, Date.now),
      }),
    ),
  )
  try {
    // one at a time, paced: libp2p takes at most 5 inbound connections per second from one
    // address (a production limit), and every peer here dials from the same one
    for (const h of hosts) {
      await h.dial(
        daemon.addrs.map((a) => multiaddr(a)),
        { signal: AbortSignal.timeout(PING_TIMEOUT_MS) },
      )
      await sleep(IDLE_DIAL_GAP_MS)
    }
    await sleep(IDLE_SETTLE_MS)
    const pid = daemon.daemon.child.pid as number
    const c0 = processCpuMs(pid)
    const threads0 = threadCpuMs(pid)
    const t0 = performance.now()
    await sleep(IDLE_CPU_WINDOW_MS)
    const elapsed = performance.now() - t0
    const share = ((processCpuMs(pid) - c0) / elapsed) * 100
    const threads = [...threadCpuMs(pid)]
      .map(([name, ms]) => [name, ((ms - (threads0.get(name) ?? 0)) / elapsed) * 100] as const)
      .filter(([, pct]) => pct > 0)
      .map(([name, pct]) => `${name} ${round(pct, 2)} %`)
    console.log(`  by thread: ${threads.join(', ')}`)
    const connections = (await daemon.client.call('node.status')).connections
    loads.push(load1())
    console.log(`  connections at the daemon: ${connections}`)
    row(`idle CPU, ${IDLE_PEERS} connected peers, % of a core`, '%', round(share, 2), 0.5)
  } finally {
    await Promise.allSettled(hosts.map((h) => h.stop()))
    await daemon.stop()
  }
}

/** One throughput run: THROUGHPUT_MESSAGES sends, THROUGHPUT_WINDOW in flight; msgs/s received and calls/s returned. */
async function throughputRun(
  alice: Awaited<ReturnType<typeof startPairWithEnv>>['alice'],
  bob: Awaited<ReturnType<typeof startPairWithEnv>>['bob'],
  prefix: string,
): Promise<{ received: number; calls: number }> {
  const bulk = new Arrivals(prefix)
  const off = await bob.client.on('message.received', ({ message }) => bulk.onMessage(message.text))
  const t0 = performance.now()
  let next = 0
  const sender = async () => {
    while (next < THROUGHPUT_MESSAGES && performance.now() - t0 < THROUGHPUT_TIMEOUT_MS) {
      const i = next++
      await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: `${prefix}${i}` })
    }
  }
  await Promise.all(Array.from({ length: THROUGHPUT_WINDOW }, sender))
  const sentIn = performance.now() - t0
  const deadline = t0 + THROUGHPUT_TIMEOUT_MS
  while (bulk.count < next && performance.now() < deadline) await sleep(5)
  const elapsed = (bulk.count >= next ? bulk.last : performance.now()) - t0
  off()
  loads.push(load1())
  console.log(
    `  ${next} send calls returned in ${sentIn.toFixed(0)} ms; ${bulk.count} received in ${elapsed.toFixed(0)} ms (load ${load1()})`,
  )
  return { received: bulk.count / (elapsed / 1000), calls: next / (sentIn / 1000) }
}

async function benchPair(): Promise<void> {
  console.log('two daemons: alice → bob')
  const { alice, bob } = await startPairWithEnv()
  const pinger = await createWrenHost({
    privateKey: await generateKeyPair('Ed25519'),
  })
  try {
    const bobPeerId = peerIdFromString((await bob.client.call('identity.get', {})).peerId)
    await pinger.dial(
      bob.addrs.map((a) => multiaddr(a)),
      { signal: AbortSignal.timeout(PING_TIMEOUT_MS) },
    )
    const arrivals = new Arrivals('bench ')
    await bob.client.on('message.received', ({ message }) => arrivals.onMessage(message.text))
    const backArrivals = new Arrivals('bench ')
    await alice.client.on('message.received', ({ message }) => backArrivals.onMessage(message.text))

    // session setup both ways (first contact: DHT bundle lookup, PQXDH), then warm-up
    await sendAndWait(alice.client, bob, arrivals, 'bench hello')
    await sendAndWait(bob.client, alice, backArrivals, 'bench hello back')
    for (let i = 0; i < WARMUP_MESSAGES; i++)
      await sendAndWait(alice.client, bob, arrivals, `bench warm ${i}`)

    console.log(`latency: ${LATENCY_MESSAGES} messages one at a time, a ping after each`)
    const latencies: number[] = []
    const pings: number[] = []
    const pingReported: number[] = []
    const rpcRoundTrips: number[] = []
    for (let i = 0; i < LATENCY_MESSAGES; i++) {
      latencies.push(await sendAndWait(alice.client, bob, arrivals, `bench lat ${i}`))
      const p0 = performance.now()
      pingReported.push(
        await pinger.services.ping.ping(bobPeerId, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) }),
      )
      pings.push(performance.now() - p0)
      const r0 = performance.now()
      await bob.client.call('node.status', {})
      rpcRoundTrips.push(performance.now() - r0)
      await sleep(LATENCY_GAP_MS)
    }
    loads.push(load1())
    row(
      '1:1 delivery latency p50 (send call → message.received)',
      'ms',
      round(percentile(latencies, 50), 2),
      5,
    )
    row('1:1 delivery latency p99', 'ms', round(percentile(latencies, 99), 2), 20)
    row(
      'libp2p ping p50 (bench host → receiving daemon, stream open + echo)',
      'ms',
      round(percentile(pings, 50), 2),
      null,
    )
    row('libp2p ping p99', 'ms', round(percentile(pings, 99), 2), null)
    row(
      'RPC round trip p50 (node.status on the receiving daemon)',
      'ms',
      round(percentile(rpcRoundTrips, 50), 2),
      null,
    )
    console.log(`  (libp2p's own ping RTT, Date.now() resolution: median ${median(pingReported)} ms)`)

    console.log(
      `throughput: ${THROUGHPUT_RUNS} runs of ${THROUGHPUT_MESSAGES} messages, ${THROUGHPUT_WINDOW} send calls in flight`,
    )
    const rates: number[] = []
    const callRates: number[] = []
    for (let run = 0; run < THROUGHPUT_RUNS; run++) {
      const { received, calls } = await throughputRun(alice, bob, `bench bulk ${run} `)
      rates.push(received)
      callRates.push(calls)
    }
    row(
      `sustained 1:1 messages/s (alice → bob, 64 calls in flight), median of ${THROUGHPUT_RUNS}`,
      'msgs/s',
      round(median(rates), 0),
      2000,
    )
    row(
      `messages.send calls/s accepted by the sender (queued), median of ${THROUGHPUT_RUNS}`,
      'calls/s',
      round(median(callRates), 0),
      5000,
    )
    // the per-peer limits must not have touched a real contact's traffic (p2p/peer-guard.ts)
    for (const [name, peer] of [
      ['bob', bob],
      ['alice', alice],
    ] as const) {
      const limits = (await peer.client.call('node.status', {})).network?.limits
      const hits = (limits?.protocols ?? []).filter((p) => p.throttled + p.malformed + p.disconnected > 0)
      console.log(`  per-peer limits at ${name}: ${hits.length === 0 ? 'never hit' : JSON.stringify(hits)}`)
    }

    await sleep(IDLE_MS)
    row('idle RSS, receiving daemon after the runs above', 'MB', round(rssMb(bob.daemon.pid)), 160)
  } finally {
    await pinger.stop()
    await Promise.allSettled([alice.stop(), bob.stop()])
  }
}

/** The first message to a brand-new contact: cards exchanged, then send → delivered. */
async function benchFirstContact(): Promise<void> {
  console.log(`first message to a brand-new contact × ${FIRST_CONTACT_PAIRS} fresh pairs`)
  const times: number[] = []
  for (let i = 0; i < FIRST_CONTACT_PAIRS; i++) {
    const { alice, bob } = await startPairWithEnv()
    try {
      const conversationId = `dm:${bob.userId}`
      const delivered = waitForEvent(
        alice.client,
        'message.status',
        (p) => p.conversationId === conversationId && (p.status === 'delivered' || p.status === 'read'),
        FIRST_CONTACT_TIMEOUT_MS,
      )
      const t0 = performance.now()
      await alice.client.call('messages.send', { conversationId, text: `first ${i}` })
      await delivered
      times.push(performance.now() - t0)
      console.log(`  pair ${i + 1}: ${times[times.length - 1]?.toFixed(0)} ms`)
    } finally {
      await Promise.allSettled([alice.stop(), bob.stop()])
    }
  }
  loads.push(load1())
  row(
    'first message to a brand-new contact, send → delivered, p50',
    'ms',
    round(percentile(times, 50), 0),
    1000,
  )
  row(
    'first message to a brand-new contact, send → delivered, p99',
    'ms',
    round(percentile(times, 99), 0),
    3000,
  )
}

if (only === undefined || only === 'cold') await benchColdStart()
if (only === undefined || only === 'first') await benchFirstContact()
if (only === undefined || only === 'pair') await benchPair()
if (only === undefined || only === 'idle') await benchIdleCpu()
loads.push(load1())
console.log(`load average during the run: ${loads.join(', ')}`)
writeRows(out, rows)

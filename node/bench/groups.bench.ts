/**
 * Group fan-out benchmark (npm run bench:groups): N real Wren hosts (createWrenHost, loopback
 * test settings, gossipsub StrictNoSign) in ONE process over loopback TCP, each dialling a few
 * random others (a sparse graph, as on the internet). Every member holds real Sender Key
 * receiver states; a message is padded, encrypted and signed by its sender, published on the
 * epoch topic, and counted as delivered when a member has verified and decrypted it.
 *
 * Measures, per group size: fan-out latency p50/p99 (publish → decrypted at a member), delivery
 * ratio, topic bytes per message per member vs the pairwise envelope a 1:1 send would cost, and
 * (50 members) the compute time for the 49 remaining members to rotate and produce their
 * distributions after a removal (the pairwise transport of those distributions is not timed).
 *
 * Usage: node node/bench/groups.bench.ts [--quick] [--sizes 10,50] [--out docs/bench/groups.json]
 *        [--cpu-prof f.cpuprofile]  (V8 CPU profile of the publish → delivery phase of the last size,
 *        setup excluded; open it in Chrome DevTools or summarise it with node/bench/cpu-profile-summary.ts)
 * Progress (host start, dials, mesh) goes to stderr with timestamps.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import { ENVELOPE_OVERHEAD_BYTES } from '../../core/src/constants.ts'
import { pad } from '../../core/src/padding.ts'
import {
  createSenderKey,
  processSenderKeyDistribution,
  type SenderKeyState,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../../core/src/sender-key.ts'
import { seededFloat } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { encodeContent, encodeWire } from '../src/groups/wire.ts'
import { createWrenHost } from '../src/p2p/host.ts'
import {
  DIALS_PER_NODE,
  frameId,
  type GroupsWorkerCommand,
  type GroupsWorkerReply,
  memberAddress,
  TOPIC,
} from './groups-shared.ts'

const quick = process.argv.includes('--quick')
const outIndex = process.argv.indexOf('--out')
const out = outIndex > 0 ? process.argv[outIndex + 1] : quick ? null : 'docs/bench/groups.json'
const profIndex = process.argv.indexOf('--cpu-prof')
const cpuProf = profIndex > 0 ? (process.argv[profIndex + 1] ?? null) : null
/**
 * mDNS stays off unless --mdns: with it, every one of the N hosts in this one process answers
 * every other's queries and ends up connected to all of them, so the run measures N² mDNS
 * traffic on two cores instead of a group's fan-out, and the sparse graph below is lost. Users
 * can turn mDNS off too (`--no-mdns`), so this is one of the settings users get.
 */
const mdns = process.argv.includes('--mdns')
const alone = process.argv.includes('--alone')
const sizesIndex = process.argv.indexOf('--sizes')
const SIZES =
  sizesIndex > 0 ? (process.argv[sizesIndex + 1] ?? '').split(',').map(Number) : quick ? [10] : [10, 50, 100]
/** Messages published per group size (from random members). */
const MESSAGES = quick ? 10 : 40
/** Time for meshes to form after subscribing (gossipsub heartbeats every second). */
const MESH_SETTLE_MS = 4_000
/** A message not decrypted at a member within this time counts as undelivered. */
const DELIVERY_TIMEOUT_MS = 5_000
/** Pause between publishes (messages are not sent in one burst in a chat). */
const PUBLISH_GAP_MS = 50
/**
 * Worker processes the members are spread over (--workers N, default 1: every member in this
 * process). Users' daemons do not share a heap: with 100 members in one process every garbage
 * collection of their common heap stops all of them at once, which a group of real daemons never
 * sees; with N workers a pause stops a Nth of them. --cpu-prof profiles only with one process.
 */
const workersIndex = process.argv.indexOf('--workers')
const WORKERS = workersIndex > 0 ? Number(process.argv[workersIndex + 1]) : 1
if (!Number.isInteger(WORKERS) || WORKERS < 1) throw new Error('--workers takes a positive integer')

/** The worker process of --workers. */
const WORKER = new URL('./groups-worker.ts', import.meta.url)
/** Bound on a worker's answer to one command (starting 100 hosts in one worker takes the longest). */
const WORKER_ANSWER_MS = 300_000

const suite = createNodeSuite()
const float = seededFloat('groups-bench')
type Row = { name: string; unit: string; value: number; goal: string | null }
const rows: Row[] = []

/** Diagnostics gossipsub's class has beyond its exported interface. */
interface GossipView {
  getMeshPeers(topic: string): string[]
  getScore(peerId: string): number
}

const t0 = performance.now()
function progress(what: string): void {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${what}\n`)
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function fanOut(size: number): Promise<void> {
  const hosts = []
  for (let i = 0; i < size; i++) {
    hosts.push(
      await createWrenHost({
        privateKey: await generateKeyPair('Ed25519'),
        mdns,
        // each member on its own loopback address, which its dials leave from too, as each user
        // has their own machine: libp2p admits 5 inbound connections per second from one
        // address (100 members took ~7 min to dial on 127.0.0.1), and gossipsub scores peers
        // that share one. A transports override runs TCP only, without autonat, DCUtR and mDNS
        // (nothing to probe or punch between loopback addresses), as the simulations do.
        listen: [`/ip4/${memberAddress(i)}/tcp/0`],
        transports: [tcp({ dialOpts: { localAddress: memberAddress(i) } as TCPSocketOptions })],
      }),
    )
  }
  progress(`${size} hosts started`)
  for (const [i, host] of hosts.entries()) {
    const dialFloat = seededFloat(`groups-bench-${i}`)
    for (let k = 0; k < DIALS_PER_NODE; k++) {
      const j = (i + 1 + Math.floor(dialFloat() * (size - 1))) % size
      await host.dial(hosts[j]?.getMultiaddrs() ?? [], { signal: AbortSignal.timeout(5_000) }).catch(() => {})
    }
  }
  progress(`${size} hosts dialled`)
  // every member's own key, and every member's receiver copy of every other key
  const own: SenderKeyState[] = hosts.map(() =>
    createSenderKey(suite, { distributionId: suite.randomBytes(16) }),
  )
  const receivers: Map<string, SenderKeyState>[] = hosts.map(() => new Map())
  for (const [s, key] of own.entries()) {
    const dist = senderKeyDistribution(key)
    for (const [r, map] of receivers.entries())
      if (r !== s) map.set(String(s), processSenderKeyDistribution(suite, dist))
  }
  const arrivals = new Map<string, number[]>()
  const sentAt = new Map<string, number>()
  for (const [r, host] of hosts.entries()) {
    host.services.pubsub.subscribe(TOPIC)
    host.services.pubsub.addEventListener('message', (event) => {
      const data = event.detail.data
      const sender = String(data[0])
      const id = `${sender}:${data[1]}:${data[2]}`
      const state = receivers[r]?.get(sender)
      if (state === undefined) return
      try {
        const opened = senderKeyDecrypt(suite, state, data.subarray(3))
        receivers[r]?.set(sender, opened.state)
      } catch {
        return
      }
      const list = arrivals.get(id) ?? []
      list.push(performance.now() - (sentAt.get(id) ?? 0))
      arrivals.set(id, list)
    })
  }
  await new Promise((r) => setTimeout(r, MESH_SETTLE_MS))
  // gossipsub's own view (methods of its class that its exported interface does not declare)
  const views = hosts.map((h) => h.services.pubsub as unknown as GossipView)
  const meshes = views.map((v) => v.getMeshPeers(TOPIC).length)
  const reached = meshReach(
    hosts.map((h) => h.peerId.toString()),
    views.map((v) => v.getMeshPeers(TOPIC)),
  )
  const conns = hosts.map((h) => h.getConnections().length)
  const scores = hosts.flatMap((h, i) =>
    h.services.pubsub.getSubscribers(TOPIC).map((p) => views[i]?.getScore(p.toString()) ?? 0),
  )
  progress(
    `mesh settled: member 0 reaches ${reached} of ${size} through mesh links; mesh peers min ${Math.min(...meshes)} max ${Math.max(...meshes)}, connections min ${Math.min(...conns)} max ${Math.max(...conns)}, gossipsub peer scores p1 ${round(percentile(scores, 1))} p50 ${round(percentile(scores, 50))}`,
  )
  const profiling = cpuProf !== null && size === SIZES[SIZES.length - 1] ? new Session() : null
  if (profiling !== null) {
    profiling.connect()
    await profiling.post('Profiler.enable')
    await profiling.post('Profiler.start')
  }
  let wireBytes = 0
  const recipients: number[] = []
  for (let m = 0; m < MESSAGES; m++) {
    const s = Math.floor(float() * size)
    const content = encodeContent({
      messageId: suite.randomBytes(16),
      text: `benchmark message ${m} `.padEnd(120, '.'),
      sentAt: Date.now(),
      groupId: new Uint8Array(16),
      epoch: 0,
    })
    const encrypted = senderKeyEncrypt(suite, own[s] as SenderKeyState, pad(content))
    own[s] = encrypted.state
    const wire = encodeWire({ nonce: suite.randomBytes(16), message: encrypted.message })
    wireBytes = wire.length
    // the bench frames the sender index in front (the real wire names only the distribution id)
    const framed = new Uint8Array(3 + encrypted.message.length)
    framed.set([s % 256, m % 256, Math.floor(m / 256)], 0)
    framed.set(encrypted.message, 3)
    const id = `${s % 256}:${m % 256}:${Math.floor(m / 256)}`
    sentAt.set(id, performance.now())
    const published = await hosts[s]?.services.pubsub.publish(TOPIC, framed)
    recipients.push(published?.recipients.length ?? 0)
    if (alone) {
      const deadline = performance.now() + DELIVERY_TIMEOUT_MS
      while ((arrivals.get(id)?.length ?? 0) < size - 1 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 5))
    }
    await new Promise((r) => setTimeout(r, PUBLISH_GAP_MS))
  }
  await new Promise((r) => setTimeout(r, DELIVERY_TIMEOUT_MS))
  if (profiling !== null && cpuProf !== null) {
    const { profile } = await profiling.post('Profiler.stop')
    writeFileSync(cpuProf, JSON.stringify(profile))
    profiling.disconnect()
    progress(`wrote ${cpuProf}`)
  }
  report(size, [...arrivals.values()].flat(), recipients, wireBytes)
  await Promise.all(hosts.map((h) => h.stop()))
}

/**
 * The same fan-out with the members spread over `workers` processes (groups-worker.ts): each
 * member's Sender Key is made in its worker, the distributions and addresses pass through here,
 * and every arrival comes back with its absolute time.
 */
async function fanOutInWorkers(size: number, workers: number): Promise<void> {
  const children = Array.from({ length: workers }, () =>
    fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  )
  const waiting = new Map<ChildProcess, Array<(reply: GroupsWorkerReply) => void>>()
  const sentAt = new Map<string, number>()
  const arrivedAt = new Map<string, number[]>()
  for (const child of children) {
    waiting.set(child, [])
    child.on('message', (reply: GroupsWorkerReply) => {
      if (reply.type === 'arrival') {
        const list = arrivedAt.get(reply.id) ?? []
        list.push(reply.at)
        arrivedAt.set(reply.id, list)
        return
      }
      waiting.get(child)?.shift()?.(reply)
    })
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`groups worker exited with ${code}\n`)
    })
  }
  /** Send a command and wait for its answer (one answer per command, in order). */
  const ask = (child: ChildProcess, command: GroupsWorkerCommand): Promise<GroupsWorkerReply> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`groups worker: no answer to ${command.type}`)),
        WORKER_ANSWER_MS,
      )
      waiting.get(child)?.push((reply) => {
        clearTimeout(timer)
        resolve(reply)
      })
      child.send(command)
    })
  const owner = (i: number) => children[i % workers] as ChildProcess
  try {
    const started = await Promise.all(
      children.map((child, w) =>
        ask(child, {
          type: 'hosts',
          indices: Array.from({ length: size }, (_, i) => i).filter((i) => i % workers === w),
        }),
      ),
    )
    const addrs: string[][] = []
    const distributions: Uint8Array[] = []
    const peerIds: string[] = []
    for (const reply of started)
      if (reply.type === 'hosts')
        for (const m of reply.members) {
          addrs[m.index] = m.addrs
          distributions[m.index] = m.distribution
          peerIds[m.index] = m.peerId
        }
    progress(`${size} hosts started in ${workers} workers`)
    // one worker after the other, as the one-process run dials: two members dialling each other
    // at once would open two connections
    for (const child of children) await ask(child, { type: 'dial', size, addrs })
    await Promise.all(children.map((child) => ask(child, { type: 'subscribe', distributions })))
    progress(`${size} hosts dialled and subscribed`)
    await new Promise((r) => setTimeout(r, MESH_SETTLE_MS))
    const meshPeers: string[][] = []
    const conns: number[] = []
    for (const reply of await Promise.all(children.map((child) => ask(child, { type: 'mesh' }))))
      if (reply.type === 'mesh')
        for (const m of reply.members) {
          meshPeers[m.index] = m.meshPeers
          conns[m.index] = m.connections
        }
    const meshes = meshPeers.map((p) => p.length)
    progress(
      `mesh settled: member 0 reaches ${meshReach(peerIds, meshPeers)} of ${size} through mesh links; mesh peers min ${Math.min(...meshes)} max ${Math.max(...meshes)}, connections min ${Math.min(...conns)} max ${Math.max(...conns)}`,
    )
    const recipients: number[] = []
    let wireBytes = 0
    for (let m = 0; m < MESSAGES; m++) {
      const s = Math.floor(float() * size)
      const published = await ask(owner(s), { type: 'publish', sender: s, message: m })
      if (published.type !== 'published') throw new Error('groups worker: publish not answered')
      sentAt.set(published.id, published.sentAt)
      wireBytes = published.wireBytes
      recipients.push(published.recipients)
      if (alone) {
        const deadline = performance.now() + DELIVERY_TIMEOUT_MS
        while ((arrivedAt.get(frameId(s, m))?.length ?? 0) < size - 1 && performance.now() < deadline)
          await new Promise((r) => setTimeout(r, 5))
      }
      await new Promise((r) => setTimeout(r, PUBLISH_GAP_MS))
    }
    await new Promise((r) => setTimeout(r, DELIVERY_TIMEOUT_MS))
    const latencies = [...arrivedAt].flatMap(([id, times]) => {
      const sent = sentAt.get(id)
      return sent === undefined ? [] : times.map((t) => t - sent).filter((l) => l <= DELIVERY_TIMEOUT_MS)
    })
    report(size, latencies, recipients, wireBytes)
  } finally {
    await Promise.allSettled(children.map((child) => ask(child, { type: 'stop' })))
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  }
}

/** Members member 0 reaches through mesh links alone (the rest only through gossip, IHAVE at the
 * next heartbeat and IWANT back): the size of the mesh graph's part that holds member 0. */
function meshReach(peerIds: readonly string[], meshPeers: readonly string[][]): number {
  const index = new Map(peerIds.map((p, i) => [p, i]))
  const meshOf = meshPeers.map((peers) => peers.map((p) => index.get(p) ?? -1))
  const reached = new Set([0])
  for (const queue = [0]; queue.length > 0; ) {
    for (const j of meshOf[queue.pop() as number] ?? [])
      if (j >= 0 && !reached.has(j)) reached.add(j) && queue.push(j)
  }
  return reached.size
}

/** The rows of one group size from its arrival latencies (ms) and publish recipients. */
function report(size: number, latencies: number[], recipients: number[], wireBytes: number): void {
  progress(
    `${size} members: published, gossipsub recipients per publish p50 ${percentile(recipients, 50)} min ${Math.min(...recipients)}`,
  )
  progress(
    `${size} members: arrivals after 200 ms ${latencies.filter((l) => l > 200).length}, after 1 s ${latencies.filter((l) => l > 1000).length} of ${latencies.length}`,
  )
  const expected = MESSAGES * (size - 1)
  const delivered = Math.min(latencies.length, expected)
  const isGoal = size === 100
  rows.push({
    name: `fan-out p50, ${size} members`,
    unit: 'ms',
    value: round(percentile(latencies, 50)),
    goal: null,
  })
  rows.push({
    name: `fan-out p99, ${size} members`,
    unit: 'ms',
    value: round(percentile(latencies, 99)),
    goal: isGoal ? '<= 500' : null,
  })
  rows.push({
    name: `delivery ratio, ${size} members`,
    unit: '%',
    value: round((100 * delivered) / expected),
    goal: isGoal ? '100' : null,
  })
  if (size === SIZES[SIZES.length - 1]) {
    // pairwise: one sealed envelope per member (padded content + envelope overhead, lower bound)
    const pairwise = pad(new Uint8Array(200)).length + ENVELOPE_OVERHEAD_BYTES
    rows.push({ name: 'topic payload per message (sent once)', unit: 'B', value: wireBytes, goal: null })
    rows.push({ name: 'pairwise envelope per member (lower bound)', unit: 'B', value: pairwise, goal: null })
  }
}

function rotationAfterRemoval(size: number): void {
  const started = performance.now()
  const remaining = size - 1
  for (let i = 0; i < remaining; i++) {
    const key = createSenderKey(suite, { distributionId: suite.randomBytes(16) })
    const dist = senderKeyDistribution(key)
    for (let j = 0; j < remaining - 1; j++) processSenderKeyDistribution(suite, dist)
  }
  rows.push({
    name: `rotate keys after a removal, ${size} members (compute)`,
    unit: 'ms',
    value: round(performance.now() - started),
    goal: null,
  })
}

function round(x: number): number {
  return Math.round(x * 10) / 10
}

for (const size of SIZES) await (WORKERS > 1 ? fanOutInWorkers(size, WORKERS) : fanOut(size))
rotationAfterRemoval(50)
for (const row of rows)
  console.log(
    `${row.name.padEnd(52)} ${String(row.value).padStart(8)} ${row.unit}${row.goal ? `  (goal ${row.goal})` : ''}`,
  )
if (out) {
  writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`)
  console.log(`wrote ${out}`)
}

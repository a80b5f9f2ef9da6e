/**
 * Protocol abuse against a real daemon and a real relay, each its own process on loopback
 * (npm run bench:abuse). Attackers are short-lived libp2p hosts with fresh identities (so
 * per-peer tables see many peers); each round they send, on every Wren protocol the target
 * speaks:
 *   random frames    random bytes, random bodies behind a valid length prefix, and length
 *                    prefixes that promise far more than is sent, then close or abort
 *   forged requests  well-formed requests that must be refused: delivery batches of random sealed
 *                    envelopes (/wren/msg); mailbox challenges, registrations, fetches, acks and
 *                    uploads with forged signatures, deposits and claims for unknown inboxes
 *   idle streams     IDLE_STREAMS streams opened (protocol negotiated) and never written to, held
 *                    for longer than the handlers' timeouts, then dropped with their connections
 * The targets run with SERVICE_NODE_FLAGS, as every launcher starts them (the fixtures pass them).
 * RSS is read from /proc: start (after a warm-up and a forced GC), peak (sampled during the
 * abuse), end (attackers gone, SETTLE_MS later, no forced GC: what a user sees) and after GC
 * (then a GC forced through the target's inspector, HeapProfiler.collectGarbage; the target is
 * started with an inspector on a loopback port). The goal is on end − start.
 *
 * Usage: node node/bench/abuse.ts [--rounds N] [--settle-seconds S] [--phases frames,forged,idle]
 *                                 [--target-flags "--node-flag ..."] [--verbose] [--snapshots DIR]
 *   --phases        only these kinds of abuse (to tell which one costs what)
 *   --target-flags  more Node flags for both targets (NODE_OPTIONS; the command line's
 *                   SERVICE_NODE_FLAGS win over the same flag given here)
 *   --verbose       process.memoryUsage() and V8 heap spaces (committed/used MB) at start,
 *                   after each round and at the end
 *   --snapshots     also write heap snapshots of both targets at start and end (for diagnosis: a
 *                   snapshot itself grows the target's RSS by 100+ MB, so RSS figures of such a
 *                   run mean nothing; compare the snapshots instead)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import WebSocket from 'ws'
import { type RelayProcess, startRelayProcess } from '../../relay-node/bench/relay-process.ts'
import { startPeer } from '../../test/fixtures/chat.ts'
import { forgedRequest, framed, randomFrame, randomInt } from './abuse-frames.ts'
import { load1, round, rssMb, sleep } from './bench-report.ts'

/** Abuse rounds; each uses fresh attacker identities. */
const DEFAULT_ROUNDS = 6
/** Attacker hosts (identities) per round. */
const ATTACKERS_PER_ROUND = 10
/** Random frames per protocol per attacker per round. */
const RANDOM_FRAMES = 20
/** Forged requests per protocol per attacker per round. */
const FORGED_REQUESTS = 20
/** Idle streams held open against each target per round (the audit used 300). */
const IDLE_STREAMS = 300
/** How long idle streams are held: past the handlers' 10 s read timeouts. */
const IDLE_HOLD_MS = 12_000
/**
 * Quiet time before the end reading: the last requests' timers (10 s bounds) have fired, and
 * V8's memory reducer, which runs a GC about 100 s after a burst in a process that then stays
 * nearly idle, has had its turn (nothing in the product forces a GC).
 */
const SETTLE_MS = 120_000
/** Interval of RSS lines while settling. */
const SETTLE_REPORT_MS = 15_000
/** Bound on one attacker stream operation. */
const STREAM_TIMEOUT_MS = 5_000
/** RSS sampling interval during the abuse. */
const SAMPLE_MS = 250
/** Goal: RSS after the abuse within this of where it started, MB (issue 12). */
const GOAL_DELTA_MB = 20

// ---- the target's inspector (forced GC, heap snapshots)

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

class Inspector {
  readonly #ws: WebSocket
  #id = 0
  readonly #waiting = new Map<number, (result: unknown) => void>()
  #chunks: string[] = []

  private constructor(ws: WebSocket) {
    this.#ws = ws
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; method?: string; params?: { chunk: string } }
      if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') this.#chunks.push(msg.params?.chunk ?? '')
      if (msg.id !== undefined) this.#waiting.get(msg.id)?.(msg)
    })
  }

  static async connect(port: number): Promise<Inspector> {
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
          webSocketDebuggerUrl: string
        }>
        const url = list[0]?.webSocketDebuggerUrl
        if (url !== undefined) {
          const ws = new WebSocket(url)
          await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
          return new Inspector(ws)
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`no inspector on port ${port}`)
      await sleep(100)
    }
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.#id
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 120_000)
      this.#waiting.set(id, (result) => {
        clearTimeout(timer)
        this.#waiting.delete(id)
        resolve(result)
      })
      this.#ws.send(JSON.stringify({ id, method, params }))
    })
  }

  async gc(): Promise<void> {
    for (let i = 0; i < 3; i++) await this.call('HeapProfiler.collectGarbage')
  }

  async heapUsedMb(): Promise<number> {
    const r = (await this.call('Runtime.getHeapUsage')) as { result: { usedSize: number } }
    return r.result.usedSize / 2 ** 20
  }

  /** process.memoryUsage() and the V8 heap spaces' committed/used sizes, MB (no GC). */
  async memory(): Promise<Record<string, number | string>> {
    const expression = `JSON.stringify((() => {
      const mb = (n) => Math.round(n / 2 ** 20 * 10) / 10
      const out = {}
      for (const [k, v] of Object.entries(process.memoryUsage())) out[k] = mb(v)
      for (const s of process.getBuiltinModule('v8').getHeapSpaceStatistics())
        out[s.space_name.replace('_space', '')] = mb(s.space_size) + '/' + mb(s.space_used_size)
      return out
    })())`
    const r = (await this.call('Runtime.evaluate', { expression, returnByValue: true })) as {
      result: { result: { value: string } }
    }
    return JSON.parse(r.result.result.value) as Record<string, number | string>
  }

  async snapshot(path: string): Promise<void> {
    const { writeFile } = await import('node:fs/promises')
    this.#chunks = []
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
    await writeFile(path, this.#chunks.join(''))
    this.#chunks = []
  }

  close(): void {
    this.#ws.close()
  }
}

// ---- attackers

async function attacker(): Promise<Libp2p> {
  return createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    services: { identify: identify() },
  })
}

async function openStream(node: Libp2p, addrs: Multiaddr[], protocol: string): Promise<Stream | null> {
  try {
    return await node.dialProtocol(addrs, protocol, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
  } catch {
    return null
  }
}

async function sendAndDrop(stream: Stream, bytes: Uint8Array, abort: boolean): Promise<void> {
  const signal = AbortSignal.timeout(STREAM_TIMEOUT_MS)
  try {
    if (!stream.send(bytes)) await stream.onDrain({ signal })
    if (abort) stream.abort(new Error('abuse'))
    else await stream.close({ signal })
  } catch {
    stream.abort(new Error('abuse'))
  }
}

interface RoundCount {
  streams: number
  idle: number
  /** Idle streams the target closed or reset by itself within IDLE_HOLD_MS. */
  idleClosedByTarget: number
}

type Phase = 'frames' | 'forged' | 'idle'
const PHASES: readonly Phase[] = ['frames', 'forged', 'idle']

async function abuseTarget(
  addrs: Multiaddr[],
  protocols: string[],
  round: number,
  phases: ReadonlySet<Phase>,
): Promise<RoundCount> {
  let streams = 0
  const nodes = await Promise.all(Array.from({ length: ATTACKERS_PER_ROUND }, attacker))
  try {
    await Promise.all(
      nodes.map(async (node) => {
        for (const protocol of protocols) {
          for (let i = 0; phases.has('frames') && i < RANDOM_FRAMES; i++) {
            const s = await openStream(node, addrs, protocol)
            if (s === null) continue
            streams++
            await sendAndDrop(s, randomFrame(), randomInt(2) === 0)
          }
          for (let i = 0; phases.has('forged') && i < FORGED_REQUESTS; i++) {
            const request = forgedRequest(protocol, round * 1000 + i)
            if (request === null) break
            const s = await openStream(node, addrs, protocol)
            if (s === null) continue
            streams++
            await sendAndDrop(s, framed(request), false)
          }
        }
      }),
    )
    // idle streams: negotiated, never written to, spread over the attackers and protocols
    const idle: Stream[] = []
    if (!phases.has('idle')) return { streams, idle: 0, idleClosedByTarget: 0 }
    for (let i = 0; i < IDLE_STREAMS; i++) {
      const node = nodes[i % nodes.length] as Libp2p
      const s = await openStream(node, addrs, protocols[i % protocols.length] as string)
      if (s !== null) idle.push(s)
    }
    streams += idle.length
    await sleep(IDLE_HOLD_MS)
    const idleClosedByTarget = idle.filter((s) => s.status !== 'open').length
    for (const s of idle) s.abort(new Error('abuse over'))
    return { streams, idle: idle.length, idleClosedByTarget }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
  }
}

// ---- the run

interface Target {
  name: string
  pid: number
  addrs: Multiaddr[]
  protocols: string[]
  inspector: Inspector
  peak: number
}

async function main(): Promise<void> {
  const roundsIndex = process.argv.indexOf('--rounds')
  const rounds = roundsIndex > 0 ? Number(process.argv[roundsIndex + 1]) : DEFAULT_ROUNDS
  const snapIndex = process.argv.indexOf('--snapshots')
  const snapshots = snapIndex > 0 ? (process.argv[snapIndex + 1] ?? null) : null
  const phasesIndex = process.argv.indexOf('--phases')
  const phases = new Set(
    phasesIndex > 0 ? ((process.argv[phasesIndex + 1] ?? '').split(',') as Phase[]) : PHASES,
  )
  const verbose = process.argv.includes('--verbose')
  for (const p of phases) if (!PHASES.includes(p)) throw new Error(`unknown phase ${p}`)
  const dir = await mkdtemp(join(tmpdir(), 'wren-abuse-'))
  const relayPort = await freePort()
  const daemonPort = await freePort()
  let relay: RelayProcess | undefined
  let stopDaemon: (() => Promise<void>) | undefined
  const targets: Target[] = []
  try {
    const flagsIndex = process.argv.indexOf('--target-flags')
    const flags = flagsIndex > 0 ? ` ${process.argv[flagsIndex + 1] ?? ''}` : ''
    relay = await startRelayProcess(dir, {}, { NODE_OPTIONS: `--inspect=127.0.0.1:${relayPort}${flags}` })
    const peer = await startPeer('Target', {
      env: { NODE_OPTIONS: `--inspect=127.0.0.1:${daemonPort}${flags}` },
    })
    stopDaemon = peer.stop
    const daemonAddrs = peer.addrs.map((a) => multiaddr(a))
    const daemonId = peerIdFromString(daemonAddrs[0]?.getComponents().at(-1)?.value ?? '')
    // what each target speaks, from one identify round trip
    const probe = await attacker()
    try {
      for (const [name, pid, addrs, port] of [
        ['daemon', peer.daemon.pid, daemonAddrs, daemonPort],
        ['relay', relay.pid, relay.multiaddrs, relayPort],
      ] as const) {
        const id = name === 'daemon' ? daemonId : relay.peerId
        await probe.dial(addrs, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
        await sleep(500)
        const protocols = (await probe.peerStore.get(id)).protocols.filter((p) => p.startsWith('/wren/'))
        targets.push({ name, pid, addrs, protocols, inspector: await Inspector.connect(port), peak: 0 })
      }
    } finally {
      await probe.stop()
    }
    for (const t of targets) console.log(`${t.name} (pid ${t.pid}) speaks ${t.protocols.join(', ')}`)
    await sleep(2_000)
    const start = new Map<string, { rss: number; heap: number }>()
    for (const t of targets) {
      await t.inspector.gc()
      start.set(t.name, { rss: rssMb(t.pid), heap: await t.inspector.heapUsedMb() })
      if (verbose) console.log(`  ${t.name} start`, await t.inspector.memory())
      if (snapshots !== null) await t.inspector.snapshot(join(snapshots, `${t.name}-start.heapsnapshot`))
    }
    const sampler = setInterval(() => {
      for (const t of targets) t.peak = Math.max(t.peak, rssMb(t.pid))
    }, SAMPLE_MS)
    const began = performance.now()
    let streams = 0
    for (let r = 0; r < rounds; r++) {
      const counts = await Promise.all(targets.map((t) => abuseTarget(t.addrs, t.protocols, r, phases)))
      streams += counts.reduce((a, b) => a + b.streams, 0)
      const line = targets.map(
        (t, k) =>
          `${t.name}: ${counts[k]?.streams} streams, ${counts[k]?.idleClosedByTarget}/${counts[k]?.idle} idle closed by it, RSS ${round(rssMb(t.pid))} MB`,
      )
      console.log(`round ${r + 1}/${rounds}: ${line.join('; ')}`)
      if (verbose) for (const t of targets) console.log(`  ${t.name}`, await t.inspector.memory())
    }
    clearInterval(sampler)
    const abuseSeconds = (performance.now() - began) / 1000
    const settleIndex = process.argv.indexOf('--settle-seconds')
    const settleMs = settleIndex > 0 ? Number(process.argv[settleIndex + 1]) * 1000 : SETTLE_MS
    for (let waited = 0; waited < settleMs; waited += SETTLE_REPORT_MS) {
      await sleep(Math.min(SETTLE_REPORT_MS, settleMs - waited))
      const line = targets.map((t) => `${t.name} ${round(rssMb(t.pid))} MB`).join(', ')
      console.log(`settling ${round((waited + SETTLE_REPORT_MS) / 1000)} s: RSS ${line}`)
    }
    if (verbose) {
      for (const t of targets) console.log(`  ${t.name} settled`, await t.inspector.memory())
    }
    const rows: Array<Record<string, number | string>> = []
    for (const t of targets) {
      const end = rssMb(t.pid)
      const endMemory = await t.inspector.memory()
      await t.inspector.gc()
      const s = start.get(t.name) as { rss: number; heap: number }
      const afterGc = { rss: rssMb(t.pid), heap: await t.inspector.heapUsedMb() }
      if (snapshots !== null) await t.inspector.snapshot(join(snapshots, `${t.name}-end.heapsnapshot`))
      rows.push({
        target: t.name,
        'start MB': round(s.rss),
        'peak MB': round(Math.max(t.peak, s.rss)),
        'end MB': round(end),
        'end − start MB': round(end - s.rss),
        goal: `≤ ${GOAL_DELTA_MB}`,
        'after GC MB': round(afterGc.rss),
        'end heap total MB': endMemory.heapTotal as number,
        'end external MB': endMemory.external as number,
        'heap used start → after GC MB': `${round(s.heap)} → ${round(afterGc.heap)}`,
      })
    }
    console.log(
      `\n${rounds} rounds, ${streams} abusive streams in ${round(abuseSeconds)} s, end read ${round(settleMs / 1000)} s after, load ${load1()}`,
    )
    console.table(rows)
    const over = rows.filter((r) => (r['end − start MB'] as number) > GOAL_DELTA_MB)
    if (over.length > 0) process.exitCode = 1
  } finally {
    for (const t of targets) t.inspector.close()
    await stopDaemon?.()
    await relay?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()

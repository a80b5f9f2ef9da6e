import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { type Identify, identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { type Ping, ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  DirectionSchedule,
  type LinkConditions,
  MAX_RETRANSMISSIONS,
  retransmitTimeoutMs,
} from '../simulations/src/link-schedule.ts'
import { SimNetwork } from '../simulations/src/link-transport.ts'
import { seededFloat } from './fixtures/seeded-random.ts'

/** Bound on every network wait in this file. */
const WAIT_MS = 10_000
const BULK_PROTOCOL = '/wren-test/bulk/1.0.0'

type Node = Libp2p<{ identify: Identify; ping: Ping }>

async function node(network: SimNetwork, name: string): Promise<Node> {
  return createLibp2p({
    addresses: { listen: [`/memory/${name}`] },
    transports: [network.transport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() },
  })
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = performance.now() + WAIT_MS
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('link schedule (pure)', () => {
  const link: LinkConditions = { latencyMs: 50, jitterMs: 20, loss: 0.3 }

  test('the same seed gives the same arrival times, and arrivals on a direction never go backwards', () => {
    const run = () => {
      const schedule = new DirectionSchedule(seededFloat('schedule'))
      return Array.from({ length: 200 }, (_, i) => schedule.arrival(i * 3, link))
    }
    const a = run()
    assert.deepEqual(a, run())
    for (let i = 1; i < a.length; i++)
      assert.ok((a[i]?.at as number) >= (a[i - 1]?.at as number), `chunk ${i}`)
    assert.ok(
      a.some((x) => x.retransmissions > 0),
      'with loss 0.3, some of 200 chunks are retransmitted',
    )
    assert.notDeepEqual(
      a,
      Array.from({ length: 200 }, (_, i) => new DirectionSchedule(seededFloat('other')).arrival(i * 3, link)),
    )
  })

  test('a lost chunk arrives one retransmission timeout late and holds the later chunks behind it', () => {
    // random draws: chunk 0 → jitter 0.5 (= 0 ms), loss draw 0.1 (< 0.5: lost), then 0.9 (kept);
    // chunk 1 → jitter 0.5, loss draw 0.9 (kept)
    const draws = [0.5, 0.1, 0.9, 0.5, 0.9]
    const schedule = new DirectionSchedule(() => draws.shift() as number)
    const lossy: LinkConditions = { latencyMs: 30, jitterMs: 10, loss: 0.5 }
    const first = schedule.arrival(0, lossy)
    const second = schedule.arrival(5, lossy)
    assert.deepEqual(first, { at: 30 + retransmitTimeoutMs(30), retransmissions: 1 })
    assert.equal(retransmitTimeoutMs(30), 200, 'the RTO floor applies to a short link')
    assert.deepEqual(second, { at: first.at, retransmissions: 0 }, 'held behind the retransmission')
    assert.equal(retransmitTimeoutMs(300), 600, 'a long link waits two latencies')
  })

  test('without loss and jitter a chunk takes exactly the latency and chunks are not serialised by it', () => {
    const schedule = new DirectionSchedule(() => {
      throw new Error('no randomness needed on a clean link')
    })
    const clean = { latencyMs: 40, jitterMs: 0, loss: 0 }
    assert.deepEqual(
      [0, 1, 2].map((t) => schedule.arrival(t, clean).at),
      [40, 41, 42],
    )
  })

  test('at loss 1 a chunk is retransmitted a bounded number of times, the timeout doubling each time', () => {
    const schedule = new DirectionSchedule(() => 0)
    const { at, retransmissions } = schedule.arrival(0, { latencyMs: 10, jitterMs: 0, loss: 1 })
    assert.equal(retransmissions, MAX_RETRANSMISSIONS)
    assert.equal(at, 10 + 200 * (2 ** MAX_RETRANSMISSIONS - 1))
  })
})

describe('simulated link transport (real libp2p nodes, noise + yamux)', () => {
  const nodes: Node[] = []
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })

  test('two nodes connect and ping over /memory addresses; every byte one sends the other receives', async () => {
    const network = new SimNetwork({ seed: 1, link: () => ({ latencyMs: 2, jitterMs: 1, loss: 0 }) })
    const a = await node(network, 'ping-a')
    const b = await node(network, 'ping-b')
    nodes.push(a, b)
    assert.deepEqual(
      b.getMultiaddrs().map((m) => m.toString()),
      [`/memory/ping-b/p2p/${b.peerId}`],
    )
    const rtt = await a.services.ping.ping(multiaddr('/memory/ping-b'), {
      signal: AbortSignal.timeout(WAIT_MS),
    })
    assert.ok(rtt >= 0)
    const ida = a.peerId.toString()
    const idb = b.peerId.toString()
    assert.ok(network.bytesSent(ida) > 0 && network.bytesSent(idb) > 0)
    // identify and ping may still have bytes in flight: wait until each side's receipts catch up
    await waitFor('the counters to agree', () => {
      const t = network.traffic()
      return t.get(ida)?.sent === t.get(idb)?.received && t.get(idb)?.sent === t.get(ida)?.received
    })
    assert.ok(network.bytesReceived(ida) > 0)
    assert.equal(network.bytesSent('no such peer'), 0)
  })

  test('a split aborts the connection on both sides and refuses dials across it; a heal lets the dial through again', async () => {
    const network = new SimNetwork({ seed: 2 })
    const a = await node(network, 'split-a')
    const b = await node(network, 'split-b')
    const c = await node(network, 'split-c')
    nodes.push(a, b, c)
    await a.dial(multiaddr('/memory/split-b'), { signal: AbortSignal.timeout(WAIT_MS) })
    await a.dial(multiaddr('/memory/split-c'), { signal: AbortSignal.timeout(WAIT_MS) })
    await waitFor('b to see a', () => b.getConnections(a.peerId).length > 0)

    network.split([b.peerId.toString()])
    assert.ok(network.blocked(a.peerId.toString(), b.peerId.toString()))
    assert.ok(!network.blocked(a.peerId.toString(), c.peerId.toString()))
    await waitFor('both ends to drop the cut connection', () => {
      return a.getConnections(b.peerId).length === 0 && b.getConnections(a.peerId).length === 0
    })
    assert.equal(a.getConnections(c.peerId).length, 1, 'a link on one side is untouched')
    await assert.rejects(
      a.dial(multiaddr(`/memory/split-b/p2p/${b.peerId}`), { signal: AbortSignal.timeout(WAIT_MS) }),
      (error: Error) => /partition|unreachable|failed/i.test(`${error.name} ${error.message}`),
    )
    assert.equal(a.getConnections(b.peerId).length, 0)

    network.heal()
    const rtt = await a.services.ping.ping(multiaddr(`/memory/split-b/p2p/${b.peerId}`), {
      signal: AbortSignal.timeout(WAIT_MS),
    })
    assert.ok(rtt >= 0)
    assert.equal(a.getConnections(b.peerId).length, 1)
  })

  test('200 KB over a lossy, jittery link arrive complete and in order', async () => {
    const network = new SimNetwork({ seed: 5, link: () => ({ latencyMs: 5, jitterMs: 4, loss: 0.1 }) })
    const a = await node(network, 'bulk-a')
    const b = await node(network, 'bulk-b')
    nodes.push(a, b)
    const payload = new Uint8Array(200 * 1024)
    const rand = seededFloat('payload')
    for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(rand() * 256)

    const received = Promise.withResolvers<Uint8Array>()
    await b.handle(BULK_PROTOCOL, async (stream) => {
      const all = new Uint8ArrayList()
      for await (const chunk of stream) all.append(chunk)
      received.resolve(all.subarray())
      await stream.close()
    })
    const stream = await a.dialProtocol(multiaddr('/memory/bulk-b'), BULK_PROTOCOL, {
      signal: AbortSignal.timeout(WAIT_MS),
    })
    for (let offset = 0; offset < payload.length; offset += 16 * 1024) {
      if (!stream.send(payload.subarray(offset, offset + 16 * 1024)))
        await stream.onDrain({ signal: AbortSignal.timeout(WAIT_MS) })
    }
    await stream.close({ signal: AbortSignal.timeout(WAIT_MS) })
    const got = await Promise.race([
      received.promise,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('bulk transfer timed out')), WAIT_MS).unref(),
      ),
    ])
    assert.equal(got.length, payload.length)
    assert.ok(Buffer.from(got).equals(Buffer.from(payload)), 'same bytes in the same order')
    assert.ok(network.bytesSent(a.peerId.toString()) > payload.length, 'framing and handshake on top')
  })

  test('a second host cannot listen on a name in use, and a stopped host frees its name', async () => {
    const network = new SimNetwork({ seed: 4 })
    const a = await node(network, 'name-a')
    nodes.push(a)
    await assert.rejects(node(network, 'name-a'))
    await a.stop()
    const again = await node(network, 'name-a')
    nodes.push(again)
    assert.equal(again.getMultiaddrs().length, 1)
  })
})

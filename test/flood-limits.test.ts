/**
 * Limits on every open door, end to end: two real daemons (alice and bob, contacts and members
 * of one group) and five attacker hosts (real libp2p nodes, one identity each) that flood bob
 * as fast as they can, each on one protocol bob serves: /wren/msg (well-formed batches of forged
 * envelopes), /wren/prekey, /wren/file (requests for files that do not exist), the mailbox
 * notification protocol, and the group's gossipsub topic (learnt from bob's own subscription
 * announcement; payloads that do not parse). Meanwhile alice sends bob a steady stream of texts.
 *
 * Each attacker must be throttled (or, for forged envelopes and gossip payloads that do not
 * parse, have its frames counted as bad; for file ids never sent to it, its requests counted as
 * unwanted), then disconnected, and refused when it dials again; alice's texts must arrive: at least 99 % of them, each within
 * DELIVERY_BOUND_MS of being sent. bob's node.status counts what happened per protocol.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { MAILBOX_NOTIFY_PROTOCOL } from '../core/src/mailbox/constants.ts'
import { forgedRequest, framed } from '../node/bench/abuse-frames.ts'
import { FILE_PROTOCOL } from '../node/src/files/constants.ts'
import { encodeFileRequest, FILE_REQUEST_CHUNK } from '../node/src/files/wire.ts'
import {
  GOSSIP_LIMIT_LABEL,
  MALFORMED_STRIKE,
  PEER_STRIKE_LIMIT,
  UNWANTED_STRIKE,
  WREN_MSG_PROTOCOL,
  WREN_PREKEY_PROTOCOL,
} from '../node/src/p2p/constants.ts'
import type { EventPayload } from '../node/src/rpc/api.ts'
import { type ChatPeer, eventually, startPeer, waitForEvent } from './fixtures/chat.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { seededRandom } from './fixtures/seeded-random.ts'

const random = seededRandom('flood-limits')

const forgedDelivery = (): Uint8Array => framed(forgedRequest(WREN_MSG_PROTOCOL, 0) as Uint8Array)
const prekeyRequest = (): Uint8Array => framed(new Uint8Array(0))
const fileRequest = (): Uint8Array =>
  framed(encodeFileRequest({ kind: FILE_REQUEST_CHUNK, fileId: random(16), index: 0 }))
const notifyFrame = (): Uint8Array => framed(random(16))

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

/** Texts alice sends at least, one every STREAM_INTERVAL_MS (more while the floods last). */
const STREAM_MESSAGES = 150
const STREAM_INTERVAL_MS = 50
/**
 * Bound on each text's delivery, sent → received event at bob, in ms: a text between two
 * daemons on one machine normally takes tens of ms; this leaves room for a loaded 2-core host.
 */
const DELIVERY_BOUND_MS = 5_000
/** Share of the stream that must arrive within the bound (issue 19: ≥ 99 %). */
const MIN_DELIVERED_SHARE = 0.99
/** Streams each attacker keeps in flight (under libp2p's 32 inbound streams per protocol). */
const FLOOD_CONCURRENCY = 16
/** The mailbox notification protocol accepts 4 streams at once per connection. */
const NOTIFY_CONCURRENCY = 4
/** Bound on one attacker's flood: it must be refused well within this. */
const FLOOD_BOUND_MS = 30_000
/** Bound on one attacker stream operation. */
const STREAM_TIMEOUT_MS = 2_000
/** Bound on bob closing a dial from a refused attacker that got through the handshake. */
const REFUSED_CLOSE_MS = 3_000
/** How often a flood checks whether its attacker has been disconnected and refused. */
const WATCH_MS = 100
/** Pause after a failed dial (a closed connection fails every dial at once). */
const RECONNECT_PAUSE_MS = 50

async function attacker(withGossip = false): Promise<Libp2p> {
  return createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    // an attacker does not hang up on itself: libp2p's ping monitor aborts a connection whose
    // flooded remote is slow to answer, which would look like a disconnect the target never made
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ...(withGossip ? { pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign' }) } : {}),
    },
  })
}

interface FloodResult {
  sent: number
  seconds: number
  /** After the flood, the target refuses a fresh connection from the attacker. */
  refused: boolean
}

/** Connect an attacker (bob's connection manager takes a few inbound connections per second per host). */
async function connect(node: Libp2p, addrs: Multiaddr[]): Promise<void> {
  await eventually('an attacker connects', async () => {
    try {
      await node.dial(addrs, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
      return true
    } catch {
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS))
      return undefined
    }
  })
}

/** Whether bob refuses a fresh connection from `node` (once bob has closed the ones it had). */
async function refusesDial(node: Libp2p, addrs: Multiaddr[]): Promise<boolean> {
  const closed = await eventually("bob closes the attacker's connections", async () =>
    node.getConnections().length === 0 ? true : undefined,
  ).catch(() => false)
  if (!closed) return false
  try {
    await node.dial(addrs, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
  } catch {
    return true
  }
  // bob's gater judges an inbound peer once the encryption handshake names it, which can be
  // after the dialling side finished its part: a refused attacker then sees its new connection
  // open and closed at once (seen once: "refused after: false")
  return eventually(
    'bob closes the refused dial',
    async () => (node.getConnections().length === 0 ? true : undefined),
    REFUSED_CLOSE_MS,
  ).catch(() => false)
}

/** Open streams on `protocol` as fast as the target lets us, each carrying one frame. */
async function floodProtocol(
  node: Libp2p,
  addrs: Multiaddr[],
  protocol: string,
  frame: () => Uint8Array,
  concurrency: number,
  done: () => boolean,
): Promise<FloodResult> {
  const began = performance.now()
  const deadline = Date.now() + FLOOD_BOUND_MS
  let sent = 0
  const worker = async (): Promise<void> => {
    while (!done() && Date.now() < deadline) {
      let stream: Awaited<ReturnType<Libp2p['dialProtocol']>>
      try {
        stream = await node.dialProtocol(addrs, protocol, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
      } catch {
        // a stream refused in negotiation, or no connection any more (then each dial is refused)
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS))
        continue
      }
      sent++
      try {
        if (!stream.send(frame())) await stream.onDrain({ signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
        await stream.close({ signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
      } catch {
        stream.abort(new Error('flood'))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - began) / 1000
  return { sent, seconds, refused: await refusesDial(node, addrs) }
}

type Pubsub = ReturnType<ReturnType<typeof gossipsub>>

/** Connect and learn bob's topics: bob announces its subscriptions to every gossipsub peer. */
async function learnTopics(node: Libp2p, addrs: Multiaddr[], bobPeerId: string): Promise<string[]> {
  const pubsub = (node.services as { pubsub: Pubsub }).pubsub
  await connect(node, addrs)
  return eventually('bob announces its group topic', async () => {
    const known = (pubsub as unknown as { topics: Map<string, Set<string>> }).topics
    const found = [...known].filter(([, peers]) => peers.has(bobPeerId)).map(([t]) => t)
    return found.length > 0 ? found : undefined
  })
}

/** Publish payloads that do not parse on bob's topics, as fast as gossipsub takes them. */
async function floodGossip(
  node: Libp2p,
  addrs: Multiaddr[],
  topics: string[],
  done: () => boolean,
): Promise<FloodResult> {
  const pubsub = (node.services as { pubsub: Pubsub }).pubsub
  const began = performance.now()
  const deadline = Date.now() + FLOOD_BOUND_MS
  let sent = 0
  while (!done() && Date.now() < deadline) {
    if (node.getConnections().length === 0) {
      // disconnected: try to come back (refused while bob denies us)
      await node.dial(addrs, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) }).catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS))
      continue
    }
    for (const topic of topics) {
      await pubsub.publish(topic, random(64 + (sent % 512))).catch(() => {})
      sent++
    }
    if (sent % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  const seconds = (performance.now() - began) / 1000
  return { sent, seconds, refused: await refusesDial(node, addrs) }
}

describe('per-peer limits under a flood on every protocol', () => {
  let relay: TestRelay
  let alice: ChatPeer
  let bob: ChatPeer
  const attackers: Libp2p[] = []

  before(async () => {
    // bob keeps a mailbox on a relay, so it serves the relay's new-mail notifications too
    relay = await startTestRelay({ mode: 'process' })
    alice = await startPeer('Alice')
    bob = await startPeer('Bob', {
      args: [...alice.addrs.flatMap((a) => ['--bootstrap', a]), '--relay', relayAddr(relay)],
    })
    const aliceCard = (await alice.client.call('identity.get', {})).card
    const bobCard = (await bob.client.call('identity.get', {})).card
    await alice.client.call('contacts.add', { card: bobCard })
    await bob.client.call('contacts.add', { card: aliceCard })
    await eventually('bob holds a mailbox', async () =>
      (await bob.client.call('node.status', {})).mailboxes > 0 ? true : undefined,
    )
    // a group of the two, so that bob subscribes to a gossipsub topic
    const invited = waitForEvent(bob.client, 'group.invited', () => true)
    const { groupId } = await alice.client.call('groups.create', { name: 'flooded', members: [bob.userId] })
    await invited
    await bob.client.call('groups.accept', { groupId })
    // the pair talks before the flood starts (session established)
    const first = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'before')
    await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'before' })
    await first
  })

  after(async () => {
    await Promise.allSettled(attackers.map((a) => a.stop()))
    await Promise.allSettled([alice?.stop(), bob?.stop()])
    await relay?.stop()
  })

  test('five flooders are throttled, disconnected and refused while 99 % of a steady stream arrives in time', async (t) => {
    const bobAddrs = bob.addrs
      .filter((a) => a.startsWith('/ip4/127.0.0.1/tcp/') && !a.includes('/ws'))
      .map((a) => multiaddr(a))
    const bobPeerId = (await bob.client.call('node.status', {})).peerId as string
    const conversationId = `dm:${bob.userId}`

    // bob's received texts, stamped on arrival (the test process's clock, as the send times)
    const arrivals = new Map<string, number>()
    const off = await bob.client.on('message.received', ((p: EventPayload<'message.received'>) => {
      if (p.message.text.startsWith('steady ')) arrivals.set(p.message.text, performance.now())
    }) as never)

    for (let i = 0; i < 5; i++) attackers.push(await attacker(i === 4))
    const [msgA, prekeyA, fileA, notifyA, gossipA] = attackers as [Libp2p, Libp2p, Libp2p, Libp2p, Libp2p]
    const topics = await learnTopics(gossipA, bobAddrs, bobPeerId)
    for (const node of [msgA, prekeyA, fileA, notifyA]) await connect(node, bobAddrs)
    // one flood after the other (each attacker gets the machine to itself: the attackers and
    // both daemons share two cores), each until its attacker is refused, all during the stream
    let floodsDone = false
    const refusedNow = async (node: Libp2p): Promise<boolean> =>
      node.getConnections().length === 0 && (await refusesDial(node, bobAddrs))
    const runFloods = async (): Promise<FloodResult[]> => {
      const results: FloodResult[] = []
      const steps: Array<[Libp2p, (done: () => boolean) => Promise<FloodResult>]> = [
        [
          msgA,
          (done) => floodProtocol(msgA, bobAddrs, WREN_MSG_PROTOCOL, forgedDelivery, FLOOD_CONCURRENCY, done),
        ],
        [
          prekeyA,
          (done) =>
            floodProtocol(prekeyA, bobAddrs, WREN_PREKEY_PROTOCOL, prekeyRequest, FLOOD_CONCURRENCY, done),
        ],
        [
          fileA,
          (done) => floodProtocol(fileA, bobAddrs, FILE_PROTOCOL, fileRequest, FLOOD_CONCURRENCY, done),
        ],
        [
          notifyA,
          (done) =>
            floodProtocol(notifyA, bobAddrs, MAILBOX_NOTIFY_PROTOCOL, notifyFrame, NOTIFY_CONCURRENCY, done),
        ],
        [gossipA, (done) => floodGossip(gossipA, bobAddrs, topics, done)],
      ]
      for (const [node, flood] of steps) {
        let refused = false
        const watcher = (async () => {
          while (!refused) {
            await new Promise((resolve) => setTimeout(resolve, WATCH_MS))
            if (node.getConnections().length === 0) refused = await refusedNow(node)
          }
        })()
        results.push(await flood(() => refused))
        refused = true
        await watcher
      }
      floodsDone = true
      return results
    }
    const floods = runFloods()

    // the steady stream, alongside the floods
    const sentAt = new Map<string, number>()
    for (let i = 0; i < STREAM_MESSAGES || !floodsDone; i++) {
      const text = `steady ${i}`
      sentAt.set(text, performance.now())
      await alice.client.call('messages.send', { conversationId, text })
      await new Promise((resolve) => setTimeout(resolve, STREAM_INTERVAL_MS))
    }
    const results = await floods
    // every text has arrived, or its bound has passed
    const lastSent = Math.max(...sentAt.values())
    await eventually(
      'the steady stream to arrive',
      async () =>
        arrivals.size >= sentAt.size || performance.now() > lastSent + DELIVERY_BOUND_MS ? true : undefined,
      DELIVERY_BOUND_MS + 5_000,
    )
    off()

    const names = ['/wren/msg', '/wren/prekey', '/wren/file', 'mailbox-notify', 'gossip']
    for (const [k, r] of results.entries())
      t.diagnostic(
        `${names[k]}: ${r.sent} frames in ${r.seconds.toFixed(2)} s (${Math.round(r.sent / r.seconds)}/s), refused after: ${r.refused}`,
      )
    const latencies = [...sentAt].map(([text, at]) => (arrivals.get(text) ?? Number.POSITIVE_INFINITY) - at)
    const inTime = latencies.filter((ms) => ms <= DELIVERY_BOUND_MS).length
    const sorted = latencies.filter(Number.isFinite).sort((a, b) => a - b)
    t.diagnostic(
      `steady stream: ${inTime}/${sentAt.size} within ${DELIVERY_BOUND_MS} ms; p50 ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms`,
    )
    const status = await bob.client.call('node.status', {})
    const limits = status.network?.limits
    assert.ok(limits !== undefined)
    t.diagnostic(`bob's limits: ${JSON.stringify(limits)}`)
    assert.ok(inTime >= Math.ceil(MIN_DELIVERED_SHARE * sentAt.size), `${inTime} of ${sentAt.size} in time`)

    for (const [k, r] of results.entries()) assert.equal(r.refused, true, `${names[k]} attacker refused`)

    const of = (protocol: string) => limits.protocols.find((p) => p.protocol === protocol)
    // requests that parse are throttled, then their sender is out
    for (const protocol of [WREN_PREKEY_PROTOCOL, MAILBOX_NOTIFY_PROTOCOL]) {
      assert.ok((of(protocol)?.throttled ?? 0) > 0, `${protocol} throttled`)
      assert.equal(of(protocol)?.disconnected, 1, `${protocol} flooder disconnected`)
    }
    // requests for files never sent to the flooder cost a strike each, whatever the rate (a real
    // receiver's rate follows the link, so the file limit is high): it is out within 100 of them
    assert.ok(
      (of(FILE_PROTOCOL)?.unwanted ?? 0) >= PEER_STRIKE_LIMIT.burst / UNWANTED_STRIKE,
      'file requests unwanted',
    )
    assert.equal(of(FILE_PROTOCOL)?.disconnected, 1, 'file flooder disconnected')
    // batches of forged envelopes and topic payloads that do not parse count as bad frames: ten
    // of them and the sender is out, before its rate matters
    for (const protocol of [WREN_MSG_PROTOCOL, GOSSIP_LIMIT_LABEL]) {
      assert.ok(
        (of(protocol)?.malformed ?? 0) >= PEER_STRIKE_LIMIT.burst / MALFORMED_STRIKE,
        `${protocol} bad frames`,
      )
      assert.equal(of(protocol)?.disconnected, 1, `${protocol} flooder disconnected`)
    }
    assert.equal(limits.deniedPeers, 5, 'the five attackers, and nobody else, are refused')
    // each attacker's new dial was refused (asserted above, from its side); the guard's gater
    // counts those it judged: all five attackers dial from 127.0.0.1, and libp2p's own limit of
    // inbound connections per second from one address may refuse some of them before the gater
    assert.ok(limits.refusedConnections >= 1, 'the gater refused their dials')
    // alice is still welcome: a last text arrives
    const last = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'after')
    await alice.client.call('messages.send', { conversationId, text: 'after' })
    await last
  })
})

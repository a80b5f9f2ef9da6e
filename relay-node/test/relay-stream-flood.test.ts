/**
 * Raw stream floods on the relay's protocols (issue 19), at the rate an attacker with its own
 * implementation reaches: each attacker pipelines requests on fresh streams of one connection,
 * STREAMS_IN_FLIGHT at once (far past the relay's 16 per protocol and connection), without
 * waiting for an answer (test/fixtures/stream-flood.ts). The relay runs as its own process, so
 * the attackers' rate is not the relay's CPU. Streams past the per-connection cap used to be reset
 * by libp2p before any handler saw them, uncounted: an attacker that kept hundreds open at once
 * was never disconnected. Now the guard counts them (overflow), and each attacker is disconnected
 * and refused; a real sender's deposits meanwhile still get through (≥ 99 %). The achieved rate
 * is printed per protocol.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Connection } from '@libp2p/interface'
import { BLOB_ID_BYTES, BLOB_PROTOCOL, BLOB_TOKEN_BYTES } from '../../core/src/blob/constants.ts'
import { BLOB_GET, encodeBlobRequest } from '../../core/src/blob/wire.ts'
import { MAILBOX_PROTOCOL } from '../../core/src/mailbox/constants.ts'
import { generateInboxKeyPair } from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { type StreamFloodReport, streamFlood } from '../../test/fixtures/stream-flood.ts'

const suite = seededSuite('relay-stream-flood')
const random = seededRandom('relay-stream-flood-bytes')
/** Streams each attacker keeps open at once: far past the relay's 16 per protocol and connection. */
const STREAMS_IN_FLIGHT = 400
/** Bound on one flood: the relay must disconnect the attacker well within it. */
const FLOOD_BOUND_MS = 20_000
/** Bound on a dial (loopback). */
const DIAL_TIMEOUT_MS = 5_000
/** The real sender's envelopes, one every STEADY_INTERVAL_MS while the floods run. */
const STEADY_ENVELOPES = 100
const STEADY_INTERVAL_MS = 20
/**
 * Attacker hosts per protocol, each on its own connection, all at once: one sends whole
 * requests, the other holds its streams open with half a request each (before the guard counted
 * streams, libp2p reset those past 16 uncounted and the holder was never disconnected).
 */
const ATTACKERS_PER_PROTOCOL = 2

describe('raw stream floods on the relay protocols', () => {
  let relay: TestRelay
  const nodes: TestNode[] = []

  before(async () => {
    relay = await startTestRelay({ mode: 'process' })
    // the attackers do not hang up on themselves (crowd: no libp2p ping monitor, which aborts a
    // connection whose flooded remote is slow to answer)
    for (let i = 0; i < 2 + 2 * ATTACKERS_PER_PROTOCOL; i++)
      nodes.push(await startTestNode({ crowd: i >= 2 }))
  })
  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
  })

  test('hundreds of streams at once per connection: counted, disconnected, refused; a real sender gets ≥ 99 % through', async (t) => {
    const [owner, sender, ...attackers] = nodes as [TestNode, TestNode, ...TestNode[]]
    const client = (node: TestNode) =>
      new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })
    const inboxKey = generateInboxKeyPair(suite)
    const registered = await client(owner).register(inboxKey)
    assert.ok(registered.ok)
    const inboxId = registered.value.inboxId

    const connections: Connection[] = []
    for (const a of attackers)
      connections.push(await a.dial(relay.multiaddrs, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }))

    let floodsDone = false
    const steady = (async () => {
      let stored = 0
      let sent = 0
      for (let i = 0; i < STEADY_ENVELOPES || !floodsDone; i++) {
        sent++
        if ((await client(sender).deposit(inboxId, testEnvelope(random))).ok) stored++
        await new Promise((r) => setTimeout(r, STEADY_INTERVAL_MS))
      }
      return { stored, sent }
    })()

    // malformed-looking mailbox requests and blob gets for blobs that are not there: each is a
    // frame the relay must open a stream for, negotiate and judge
    const began = performance.now()
    const floods = await Promise.all(
      connections.map((connection, k) =>
        k < ATTACKERS_PER_PROTOCOL
          ? streamFlood(connection, {
              protocol: MAILBOX_PROTOCOL,
              request: () => random(24),
              inFlight: STREAMS_IN_FLIGHT,
              stop: () => false,
              boundMs: FLOOD_BOUND_MS,
              hold: k % 2 === 1,
            }).then((r) => ({ ...r, held: k % 2 === 1 }))
          : streamFlood(connection, {
              protocol: BLOB_PROTOCOL,
              request: () =>
                encodeBlobRequest({
                  kind: BLOB_GET,
                  blobId: random(BLOB_ID_BYTES),
                  token: random(BLOB_TOKEN_BYTES),
                }),
              inFlight: STREAMS_IN_FLIGHT,
              stop: () => false,
              boundMs: FLOOD_BOUND_MS,
              hold: k % 2 === 1,
            }).then((r) => ({ ...r, held: k % 2 === 1 })),
      ),
    )
    const wall = (performance.now() - began) / 1000
    floodsDone = true
    const report = (f: StreamFloodReport & { held: boolean }) =>
      `${f.protocol}${f.held ? ' (held streams)' : ''}: ${f.frames} frames in ${(f.seconds * 1000).toFixed(0)} ms (${f.perSecond}/s), disconnected: ${f.disconnected}`
    for (const f of floods) t.diagnostic(report(f))
    const total = floods.reduce((n, f) => n + f.frames, 0)
    t.diagnostic(
      `all ${floods.length} attackers at once: ${total} frames in ${(wall * 1000).toFixed(0)} ms (${Math.round(total / wall)}/s)`,
    )
    const { stored, sent } = await steady
    t.diagnostic(`real sender: ${stored} of ${sent} envelopes stored during the floods`)

    for (const f of floods) assert.equal(f.disconnected, true, `${f.protocol} attacker disconnected`)
    assert.ok(stored >= Math.ceil(sent * 0.99), `${stored} of ${sent} stored`)
    // refused when they dial again
    for (const a of attackers) {
      const again = await client(a).deposit(inboxId, testEnvelope(random))
      assert.ok(!again.ok, 'a refused peer gets nothing')
    }
    const metrics = await (await fetch(relay.metricsUrl as string)).text()
    t.diagnostic(
      metrics
        .split('\n')
        .filter((l) => l.startsWith('wren_relay_guard'))
        .join('; '),
    )
    assert.match(metrics, new RegExp(`^wren_relay_guard_disconnected ${attackers.length}$`, 'm'))
    const overflow = Number(/^wren_relay_guard_overflow (\d+)$/m.exec(metrics)?.[1] ?? 0)
    assert.ok(overflow > 0, 'streams past the per-connection cap counted')
  })
})

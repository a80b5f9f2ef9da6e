/**
 * The peer guard on the request path between two real loopback hosts: every protocol served
 * through handleRequests is limited per peer, a peer over its limit gets `refused` values, and one
 * that keeps at it is disconnected and its new connections refused, while another peer is served.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { connectNodes, startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { PEER_STRIKE_LIMIT } from '../src/p2p/constants.ts'
import { handleRequests, sendRequest } from '../src/p2p/request-response.ts'

const LIMITED = '/wren/test-limited/1.0.0'
/** The test protocol's limit: 5 at once, then (in a test's few seconds) about none. */
const LIMIT = { burst: 5, ratePerSecond: 0.01 }
/** Bound on one request in these tests. */
const TIMEOUT_MS = 3_000
/** Bound on flooding until the guard refuses the flooder (PEER_STRIKE_LIMIT.burst strikes). */
const FLOOD_BOUND_MS = 30_000

describe('per-peer limits on a request/response protocol between real hosts', () => {
  let server: TestNode
  let flooder: TestNode
  let contact: TestNode

  before(async () => {
    server = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    flooder = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    contact = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    await handleRequests(server, LIMITED, async (request) => request, { limit: LIMIT, timeoutMs: TIMEOUT_MS })
    await connectNodes(flooder, server)
    await connectNodes(contact, server)
  })

  after(async () => {
    await stopTestNodes([server, flooder, contact])
  })

  test('the burst is served, then refused values, then disconnected and refused; another peer is served throughout', async () => {
    const ask = (node: TestNode) =>
      sendRequest(node, server.peerId, LIMITED, new Uint8Array([1, 2, 3]), { timeoutMs: TIMEOUT_MS })
    const first = []
    for (let i = 0; i < LIMIT.burst; i++) first.push(await ask(flooder))
    assert.ok(first.every((r) => r.ok))
    const over = await ask(flooder)
    assert.ok(!over.ok && over.reason === 'refused', JSON.stringify(over))
    // a contact is not touched by the flooder's bucket
    assert.ok((await ask(contact)).ok)
    // keep going until the strikes run out: disconnected, and a new connection is refused. Bounded
    // by time, not by PEER_STRIKE_LIMIT.burst asks: strikes refill at PEER_STRIKE_LIMIT's rate
    // while the asks take their time (on a loaded machine 100 asks took long enough to refill
    // several strikes, and the flooder was one strike short when a count ran out)
    const deadline = performance.now() + FLOOD_BOUND_MS
    while (server.services.peerGuard.denied(flooder.peerId) === false && performance.now() < deadline)
      await ask(flooder)
    assert.equal(server.services.peerGuard.denied(flooder.peerId), true)
    const again = await ask(flooder)
    assert.ok(!again.ok && again.reason !== 'timeout', JSON.stringify(again))
    assert.equal(server.getConnections(flooder.peerId).length, 0)
    const stats = server.services.peerGuard.stats()
    const limited = stats.protocols.find((p) => p.protocol === LIMITED)
    assert.ok((limited?.throttled ?? 0) > PEER_STRIKE_LIMIT.burst - 5)
    assert.equal(limited?.disconnected, 1)
    assert.ok(stats.refusedConnections >= 1)
    assert.ok((await ask(contact)).ok)
  })

  test('an oversized frame closes the stream and counts against the sender', async () => {
    const before = server.services.peerGuard.stats().protocols.find((p) => p.protocol === LIMITED)
    const stream = await contact.dialProtocol(server.peerId, LIMITED, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const lp = lpStream(stream)
    // the default request cap is 320 KiB: promise 1 MiB
    await lp.write(new Uint8Array(1024 * 1024), { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => {})
    await assert.rejects(lp.read({ signal: AbortSignal.timeout(TIMEOUT_MS) }))
    const after = server.services.peerGuard.stats().protocols.find((p) => p.protocol === LIMITED)
    assert.equal((after?.malformed ?? 0) - (before?.malformed ?? 0), 1)
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { startTestNode, startTestNodes, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { WREN_LAN_KAD_PROTOCOL, WREN_MSG_PROTOCOL } from '../src/p2p/constants.ts'
import { connectionKind, dialDevice, isConnected } from '../src/p2p/reachability.ts'
import { handleRequests, sendRequest } from '../src/p2p/request-response.ts'

const ECHO = '/wren-test/echo/1.0.0'
const THROWS = '/wren-test/throws/1.0.0'
const SLOW = '/wren-test/slow/1.0.0'
const BIG_REPLY = '/wren-test/big-reply/1.0.0'
/** Request cap of the test handlers, in bytes. */
const CAP = 1024
/** Bound on every exchange in these tests. */
const TIMEOUT_MS = 3000

describe('request/response between two loopback nodes', () => {
  let nodes: TestNode[] = []
  let a: TestNode
  let b: TestNode
  const handlerErrors: unknown[] = []

  before(async () => {
    nodes = await startTestNodes(2, { connect: false })
    a = nodes[0] as TestNode
    b = nodes[1] as TestNode
    const onError = (err: unknown): void => {
      handlerErrors.push(err)
    }
    await handleRequests(
      b,
      ECHO,
      async (request, { peerId }) => {
        assert.ok(peerId.equals(a.peerId), 'the handler sees the requester')
        return request.slice().reverse()
      },
      { maxRequestBytes: CAP, timeoutMs: TIMEOUT_MS, onError },
    )
    await handleRequests(
      b,
      THROWS,
      async () => {
        throw new Error('handler bug')
      },
      { onError },
    )
    await handleRequests(
      b,
      SLOW,
      (_request, { signal }) =>
        new Promise<Uint8Array>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        }),
      { timeoutMs: 1000, onError },
    )
    await handleRequests(b, BIG_REPLY, async () => new Uint8Array(4096), { onError })
  })

  after(async () => {
    await stopTestNodes(nodes)
  })

  test('a request gets its response (first dial by multiaddr, then by peer id)', async () => {
    const first = await sendRequest(a, b.getMultiaddrs(), ECHO, Uint8Array.of(1, 2, 3), {
      timeoutMs: TIMEOUT_MS,
    })
    assert.deepEqual(first, { ok: true, response: Uint8Array.of(3, 2, 1) })
    const second = await sendRequest(a, b.peerId, ECHO, Uint8Array.of(9), { timeoutMs: TIMEOUT_MS })
    assert.deepEqual(second, { ok: true, response: Uint8Array.of(9) })
  })

  test('a request over the responder cap is refused, and the responder keeps serving', async () => {
    const tooBig = await sendRequest(a, b.peerId, ECHO, new Uint8Array(CAP + 1), { timeoutMs: TIMEOUT_MS })
    assert.deepEqual(tooBig.ok ? 'ok' : tooBig.reason, 'refused')
    const atCap = await sendRequest(a, b.peerId, ECHO, new Uint8Array(CAP).fill(7), { timeoutMs: TIMEOUT_MS })
    assert.ok(atCap.ok && atCap.response.length === CAP)
  })

  test('a throwing handler gives the requester a failure value, not an exception', async () => {
    const before = handlerErrors.length
    const result = await sendRequest(a, b.peerId, THROWS, Uint8Array.of(1), { timeoutMs: TIMEOUT_MS })
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'refused')
    assert.ok(handlerErrors.length > before, 'the responder reported its handler error')
    const still = await sendRequest(a, b.peerId, ECHO, Uint8Array.of(5), { timeoutMs: TIMEOUT_MS })
    assert.ok(still.ok, 'the responder node is still up')
  })

  test('a response over the requester cap is a protocol failure', async () => {
    const result = await sendRequest(a, b.peerId, BIG_REPLY, Uint8Array.of(1), {
      timeoutMs: TIMEOUT_MS,
      maxResponseBytes: 1024,
    })
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'protocol')
  })

  test('a handler slower than the requester timeout ends in a timeout value', async () => {
    const result = await sendRequest(a, b.peerId, SLOW, Uint8Array.of(1), { timeoutMs: 300 })
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'timeout')
  })

  test('a protocol the peer does not speak is refused', async () => {
    const result = await sendRequest(a, b.peerId, WREN_MSG_PROTOCOL, Uint8Array.of(1), {
      timeoutMs: TIMEOUT_MS,
    })
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'refused')
  })

  test('a stopped peer is unreachable (or times out) within the bound', async () => {
    const gone = await startTestNode()
    const addrs = gone.getMultiaddrs()
    await gone.stop()
    const result = await sendRequest(a, addrs, ECHO, Uint8Array.of(1), { timeoutMs: TIMEOUT_MS })
    assert.equal(result.ok, false)
    assert.ok(
      !result.ok && (result.reason === 'unreachable' || result.reason === 'timeout'),
      JSON.stringify(result),
    )
    const dial = await dialDevice(a, gone.peerId, addrs, { timeoutMs: TIMEOUT_MS })
    assert.equal(dial.ok, false)
  })

  test('identify and ping work, and reachability reports a direct connection', async () => {
    const rtt = await a.services.ping.ping(b.peerId, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    assert.ok(rtt >= 0)
    const peer = await a.peerStore.get(b.peerId)
    // on one machine a node serves the LAN DHT; its WAN DHT stays a client until autonat confirms a public address
    assert.ok(peer.protocols.includes(WREN_LAN_KAD_PROTOCOL), 'identify told A which protocols B runs')
    assert.ok(peer.protocols.includes(ECHO))
    assert.equal(isConnected(a, b.peerId), true)
    assert.equal(connectionKind(a, b.peerId), 'direct')
  })

  test('dialDevice connects from known addresses; an unknown peer is not connected', async () => {
    const c = await startTestNode()
    try {
      assert.equal(connectionKind(a, c.peerId), 'none')
      const dial = await dialDevice(a, c.peerId, c.getMultiaddrs(), { timeoutMs: TIMEOUT_MS })
      assert.deepEqual(dial.ok ? dial.kind : dial.reason, 'direct')
      assert.equal(isConnected(a, c.peerId), true)
    } finally {
      await c.stop()
    }
    const stranger = peerIdFromString('12D3KooWENRQSQT9dQi7bQ2L8QzuSTda7J1PWzEv9hXsEGvLvMEN')
    assert.equal(isConnected(a, stranger), false)
    const dial = await dialDevice(a, stranger, [multiaddr('/ip4/127.0.0.1/tcp/1')], { timeoutMs: TIMEOUT_MS })
    assert.equal(dial.ok, false)
  })
})

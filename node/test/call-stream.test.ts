/**
 * /wren/call/1.0.0's transport (node/src/calls/call-stream.ts) between real loopback hosts: it
 * never dials (no open connection → 'no-connection', still no connection after), the receiver's
 * status comes back as the outcome, and the handler sits behind the peer guard like every Wren
 * protocol — a frame that does not parse, one that does not open, and one over the size cap count
 * against the sender, and a flood past CALL_STREAM_PEER_LIMIT is throttled.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { lpStream } from '@libp2p/utils'
import {
  MAX_CALL_STREAM_FRAME_BYTES,
  SIGNAL_ICE,
  STREAM_DELIVERED,
  STREAM_GONE,
  STREAM_NOT_READY,
} from '../../core/src/call/constants.ts'
import { type CallFrame, openCallFrame, sealCallFrame } from '../../core/src/call/stream-frame.ts'
import { connectNodes, startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { CallStream } from '../src/calls/call-stream.ts'
import { CALL_PROTOCOL, CALL_STREAM_PEER_LIMIT } from '../src/calls/constants.ts'
import { silentLogger } from '../src/log.ts'

const TIMEOUT_MS = 5_000
const suite = seededSuite('call-stream-node')
const key = suite.randomBytes(32)
const callId = suite.randomBytes(16)

function frame(counter: number, data = 'candidate'): Uint8Array {
  return sealCallFrame(suite, key, counter, { kind: SIGNAL_ICE, callId, sentAt: 1, data })
}

function counters(node: TestNode) {
  return node.services.peerGuard.stats().protocols.find((p) => p.protocol === CALL_PROTOCOL)
}

describe('the /wren/call/1.0.0 transport between real hosts', () => {
  let callee: TestNode
  let caller: TestNode
  let stranger: TestNode
  let receiving: CallStream
  let sending: CallStream
  /** What the receiver answers next, by the frame's counter. */
  const statusOf = new Map<number, number>()
  const opened: string[] = []

  before(async () => {
    callee = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    caller = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    stranger = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
    receiving = new CallStream({ libp2p: callee, log: silentLogger })
    sending = new CallStream({ libp2p: caller, log: silentLogger })
    await receiving.serve(async (_peer, f: CallFrame) => {
      const signal = openCallFrame(suite, key, f) // AeadError for a frame under another key
      if (signal.kind === SIGNAL_ICE) opened.push(signal.data)
      return statusOf.get(f.counter) ?? STREAM_DELIVERED
    })
  })

  after(async () => {
    await receiving?.stop()
    await stopTestNodes([callee, caller, stranger])
  })

  test('without an open connection nothing is dialled: no-connection', async () => {
    const calleeId = callee.peerId.toMultihash().bytes
    assert.equal(await sending.send(calleeId, frame(1)), 'no-connection')
    assert.equal(caller.getConnections(callee.peerId).length, 0)
  })

  test("over an open connection the receiver's status is the outcome", async () => {
    await connectNodes(caller, callee)
    const calleeId = callee.peerId.toMultihash().bytes
    statusOf.set(3, STREAM_GONE)
    statusOf.set(4, STREAM_NOT_READY)
    assert.equal(await sending.send(calleeId, frame(2, 'two')), 'delivered')
    assert.equal(await sending.send(calleeId, frame(3, 'three')), 'gone')
    assert.equal(await sending.send(calleeId, frame(4, 'four')), 'not-ready')
    assert.deepEqual(opened, ['two', 'three', 'four'])
  })

  test('a frame that does not parse, one that does not open, and one over the cap count against the sender', async () => {
    const calleeId = callee.peerId.toMultihash().bytes
    const before = counters(callee)?.malformed ?? 0
    assert.equal(await sending.send(calleeId, new Uint8Array([0xff, 0xff, 0xff])), 'failed')
    const otherKey = suite.randomBytes(32)
    const forged = sealCallFrame(suite, otherKey, 9, { kind: SIGNAL_ICE, callId, sentAt: 1, data: 'x' })
    assert.equal(await sending.send(calleeId, forged), 'failed')
    const stream = await caller.dialProtocol(callee.peerId, CALL_PROTOCOL, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const lp = lpStream(stream)
    await lp
      .write(new Uint8Array(MAX_CALL_STREAM_FRAME_BYTES + 1), { signal: AbortSignal.timeout(TIMEOUT_MS) })
      .catch(() => {})
    await assert.rejects(lp.read({ signal: AbortSignal.timeout(TIMEOUT_MS) }))
    assert.equal((counters(callee)?.malformed ?? 0) - before, 3)
    assert.ok(!opened.includes('x'))
  })

  test('a flood past the per-peer limit is throttled', async () => {
    await connectNodes(stranger, callee)
    const flooder = new CallStream({ libp2p: stranger, log: silentLogger })
    const calleeId = callee.peerId.toMultihash().bytes
    const outcomes: string[] = []
    // the bucket refills at 8/s while the flood runs: send until one is refused (bounded)
    for (let i = 0; i < CALL_STREAM_PEER_LIMIT.burst * 4 && !outcomes.includes('failed'); i++)
      outcomes.push(await flooder.send(calleeId, frame(100 + i)))
    assert.ok(outcomes.length > CALL_STREAM_PEER_LIMIT.burst, `refused after ${outcomes.length}`)
    assert.ok(outcomes.slice(0, CALL_STREAM_PEER_LIMIT.burst).every((o) => o === 'delivered'))
    assert.equal(outcomes.at(-1), 'failed')
    assert.ok((counters(callee)?.throttled ?? 0) >= 1)
  })
})

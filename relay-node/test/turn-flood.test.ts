/**
 * A flood on /wren/turn/1.0.0 (issue 19): a relay process with coturn beside it (Debian's
 * turnserver, on loopback), two raw stream flooders at once (test/fixtures/stream-flood.ts: 400
 * streams open each, one with whole credential requests, one holding half-sent ones). Each is
 * throttled (the credential bucket, then the guard's cap on streams open at once), disconnected
 * and refused; meanwhile a real peer still gets a credential and coturn grants it allocations.
 * The achieved rates are printed.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Connection } from '@libp2p/interface'
import { TURN_PROTOCOL } from '../../core/src/turn/constants.ts'
import { encodeTurnRequest } from '../../core/src/turn/wire.ts'
import { fetchTurnCredential } from '../../node/src/calls/turn-client.ts'
import { freePort } from '../../test/fixtures/free-port.ts'
import { startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { streamFlood } from '../../test/fixtures/stream-flood.ts'
import { turnAllocate } from '../../test/fixtures/turn-allocate.ts'

/** Streams each attacker keeps open at once: far past the relay's 16 per protocol and connection. */
const STREAMS_IN_FLIGHT = 400
/** Bound on one flood: the relay must disconnect the attacker well within it. */
const FLOOD_BOUND_MS = 20_000
/** Bound on a dial (loopback). */
const DIAL_TIMEOUT_MS = 5_000
/** Allocations the real peer asks for with its credential (coturn's user quota is 4). */
const ALLOCATIONS = 3

describe('a flood on the TURN credential protocol', () => {
  let relay: TestRelay
  let port: number
  const nodes: TestNode[] = []

  before(async () => {
    port = await freePort()
    relay = await startTestRelay({
      mode: 'process',
      config: { turn: { enabled: true, listenIp: '127.0.0.1', port, allowLoopbackPeers: true } },
    })
    // the attackers (1, 2) do not hang up on themselves (crowd: no libp2p ping monitor, which
    // aborts a connection whose flooded remote is slow to answer)
    for (let i = 0; i < 3; i++) nodes.push(await startTestNode({ mdns: false, crowd: i > 0 }))
  })
  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
  })

  test('whole and held credential requests: both flooders out; a real peer still gets a credential and allocations', async (t) => {
    const [real, ...attackers] = nodes as [TestNode, ...TestNode[]]
    const connections: Connection[] = []
    for (const a of attackers)
      connections.push(await a.dial(relay.multiaddrs, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) }))

    const floods = Promise.all(
      connections.map((connection, k) =>
        streamFlood(connection, {
          protocol: TURN_PROTOCOL,
          request: encodeTurnRequest,
          inFlight: STREAMS_IN_FLIGHT,
          stop: () => false,
          boundMs: FLOOD_BOUND_MS,
          hold: k === 1,
        }),
      ),
    )
    // the real peer, while the floods run
    const began = performance.now()
    const credential = await fetchTurnCredential(real, relay.multiaddrs)
    const credentialMs = performance.now() - began
    assert.ok(credential.ok, JSON.stringify(credential))
    const { username, password } = credential.credential
    const granted: boolean[] = []
    for (let i = 0; i < ALLOCATIONS; i++)
      granted.push((await turnAllocate('127.0.0.1', port, username, password)).granted)
    const allocationsMs = performance.now() - began - credentialMs

    const results = await floods
    for (const [k, r] of results.entries())
      t.diagnostic(
        `${r.protocol}${k === 1 ? ' (held streams)' : ''}: ${r.frames} frames in ${(r.seconds * 1000).toFixed(0)} ms (${r.perSecond}/s), disconnected: ${r.disconnected}`,
      )
    t.diagnostic(
      `real peer: credential in ${credentialMs.toFixed(0)} ms, ${granted.filter(Boolean).length}/${ALLOCATIONS} allocations granted in ${allocationsMs.toFixed(0)} ms`,
    )
    for (const r of results) assert.equal(r.disconnected, true, 'flooder disconnected')
    assert.deepEqual(granted, Array(ALLOCATIONS).fill(true), 'coturn grants the real peer its allocations')
    for (const a of attackers) {
      const again = await fetchTurnCredential(a, relay.multiaddrs, DIAL_TIMEOUT_MS)
      assert.equal(again.ok, false, 'a refused peer gets no credential')
    }
    const metrics = await (await fetch(relay.metricsUrl as string)).text()
    t.diagnostic(
      metrics
        .split('\n')
        .filter((l) => l.startsWith('wren_relay_guard'))
        .join('; '),
    )
    assert.match(metrics, /^wren_relay_guard_disconnected 2$/m)
    assert.match(metrics, /^wren_relay_guard_denied_peers 2$/m)
    const overflow = Number(/^wren_relay_guard_overflow (\d+)$/m.exec(metrics)?.[1] ?? 0)
    assert.ok(overflow > 0, 'held streams past the per-connection cap counted')
  })
})

/**
 * TURN beside the relay (issue 15): a relay with `turn.enabled` runs Debian's coturn as its own
 * child process on loopback, keeps the static-auth-secret 0600 in its data dir, hands real libp2p
 * peers REST-style credentials over /wren/turn/1.0.0, and stops coturn by its PID with the relay.
 * The credentials open a real allocation on that coturn (a small STUN/TURN client); a wrong
 * password and an expired username are refused; the per-peer rate limit and typed refusals hold;
 * a coturn left behind by a killed relay is stopped at the next start.
 */
import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  MAX_TURN_REQUEST_BYTES,
  TURN_CREDENTIAL_TTL_S,
  TURN_PROTOCOL,
} from '../../core/src/turn/constants.ts'
import { turnPassword, turnUsername } from '../../core/src/turn/credentials.ts'
import {
  decodeTurnResponse,
  TURN_STATUS_MALFORMED,
  TURN_STATUS_RATE_LIMITED,
  TURN_STATUS_UNAVAILABLE,
} from '../../core/src/turn/wire.ts'
import { fetchTurnCredential } from '../../node/src/calls/turn-client.ts'
import { sendRequest } from '../../node/src/p2p/request-response.ts'
import { freePort } from '../../test/fixtures/free-port.ts'
import { startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { turnAllocate } from '../../test/fixtures/turn-allocate.ts'
import { loadRelayConfig } from '../src/config.ts'
import { startCoturn } from '../src/coturn.ts'

/** Credentials per peer before the limit (no refill in this test). */
const BURST = 3

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitGone(pid: number, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return !alive(pid)
}

describe('TURN beside the relay', () => {
  let relay: TestRelay
  let port: number
  const nodes: TestNode[] = []

  before(async () => {
    port = await freePort()
    relay = await startTestRelay({
      config: {
        turn: {
          enabled: true,
          listenIp: '127.0.0.1',
          port,
          allowLoopbackPeers: true,
          credentialRate: { burst: BURST, ratePerSecond: 0 },
        },
      },
    })
    nodes.push(await startTestNode({ mdns: false }), await startTestNode({ mdns: false }))
  })

  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
  })

  test('coturn runs by PID beside the relay, with the secret 0600 in the data dir and use-auth-secret in its 0600 config', async () => {
    const coturn = relay.handle?.coturn
    assert.ok(coturn, 'coturn started')
    assert.ok(alive(coturn.pid))
    assert.match(await readFile(`/proc/${coturn.pid}/cmdline`, 'utf8'), /turnserver/)
    assert.equal((await stat(join(relay.dataDir, 'turn-secret'))).mode & 0o777, 0o600)
    assert.equal((await stat(join(relay.dataDir, 'turn'))).mode & 0o777, 0o700)
    const conf = join(relay.dataDir, 'turn', 'turnserver.conf')
    assert.equal((await stat(conf)).mode & 0o777, 0o600)
    const text = await readFile(conf, 'utf8')
    assert.match(text, /^use-auth-secret$/m)
    assert.match(text, new RegExp(`^static-auth-secret=${coturn.secret}$`, 'm'))
    assert.match(text, /^listening-ip=127\.0\.0\.1$/m)
    assert.deepEqual(coturn.urls, [
      `turn:127.0.0.1:${port}?transport=udp`,
      `turn:127.0.0.1:${port}?transport=tcp`,
    ])
  })

  test('a credential from /wren/turn/1.0.0 opens an allocation on that coturn; a wrong password or an expired username is refused', async () => {
    const node = nodes[0] as TestNode
    const r = await fetchTurnCredential(node, relay.multiaddrs)
    assert.ok(r.ok, JSON.stringify(r))
    const { username, password, expiresAtS, urls } = r.credential
    assert.equal(username, `${expiresAtS}:${node.peerId.toString()}`)
    const nowS = Math.floor(Date.now() / 1000)
    assert.ok(Math.abs(expiresAtS - nowS - TURN_CREDENTIAL_TTL_S) <= 5, 'valid for the TTL')
    assert.deepEqual(urls, relay.handle?.coturn?.urls)
    assert.deepEqual(await turnAllocate('127.0.0.1', port, username, password), { granted: true })
    assert.deepEqual(await turnAllocate('127.0.0.1', port, username, `x${password.slice(1)}`), {
      granted: false,
      code: 401,
    })
    const secret = relay.handle?.coturn?.secret ?? ''
    const expired = turnUsername(nowS - 60, node.peerId.toString())
    assert.deepEqual(await turnAllocate('127.0.0.1', port, expired, turnPassword(secret, expired)), {
      granted: false,
      code: 401,
    })
  })

  test('credentials are rate-limited per peer (told when to ask again), while another peer still gets one', async () => {
    const [a, b] = nodes as [TestNode, TestNode]
    for (let i = 1; i < BURST; i++)
      assert.ok((await fetchTurnCredential(a, relay.multiaddrs)).ok, `ask ${i + 1}`)
    const raw = await sendRequest(a, relay.multiaddrs, TURN_PROTOCOL, Uint8Array.of(0x08, 0x01))
    assert.ok(raw.ok)
    const limited = decodeTurnResponse(raw.response)
    assert.equal(limited.status, TURN_STATUS_RATE_LIMITED)
    assert.ok('retryAfterMs' in limited && limited.retryAfterMs > 0)
    assert.ok((await fetchTurnCredential(b, relay.multiaddrs)).ok, 'the other peer is not limited')
  })

  test('malformed and oversized requests get MALFORMED', async () => {
    const node = nodes[1] as TestNode
    for (const bad of [
      Uint8Array.of(0x08, 0x07),
      Uint8Array.of(0xff, 0xff),
      new Uint8Array(MAX_TURN_REQUEST_BYTES + 1),
    ]) {
      const raw = await sendRequest(node, relay.multiaddrs, TURN_PROTOCOL, bad)
      assert.ok(raw.ok, JSON.stringify(raw))
      assert.equal(decodeTurnResponse(raw.response).status, TURN_STATUS_MALFORMED)
    }
  })

  test('a relay without TURN refuses the protocol, and one whose coturn died answers unavailable', async () => {
    const plain = await startTestRelay()
    try {
      const r = await fetchTurnCredential(nodes[1] as TestNode, plain.multiaddrs)
      assert.deepEqual(r.ok ? 'ok' : r.reason, 'refused')
    } finally {
      await plain.stop()
    }
    const pid = relay.handle?.coturn?.pid ?? 0
    process.kill(pid, 'SIGKILL')
    assert.ok(await waitGone(pid))
    const raw = await sendRequest(
      nodes[1] as TestNode,
      relay.multiaddrs,
      TURN_PROTOCOL,
      Uint8Array.of(0x08, 0x01),
    )
    assert.ok(raw.ok)
    assert.equal(decodeTurnResponse(raw.response).status, TURN_STATUS_UNAVAILABLE)
  })

  test('a coturn left running by a killed relay is stopped at the next start; stop() ends it by PID', async () => {
    const turnPort = await freePort()
    const config = loadRelayConfig({
      overrides: {
        dataDir: relay.dataDir,
        turn: { enabled: true, listenIp: '127.0.0.1', port: turnPort, allowLoopbackPeers: true },
      },
    })
    const first = await startCoturn(config) // never stopped: the relay "was killed"
    const second = await startCoturn(config)
    try {
      assert.ok(await waitGone(first.pid), 'the leftover coturn was stopped')
      assert.notEqual(second.pid, first.pid)
      assert.ok(alive(second.pid))
    } finally {
      await second.stop()
    }
    assert.ok(!alive(second.pid))
  })
})

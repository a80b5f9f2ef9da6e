/**
 * The transports / listen / connection-gater hooks for in-process simulations: one real relay and
 * two real user runtimes on `@libp2p/memory` only (no socket opened), publishing and finding
 * bundles, delivering directly, and delivering to a stopped device through its relay mailbox;
 * a gater that denies a peer turns the dial into the usual 'unreachable' value.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { checkBundleRecord } from '../../core/src/bundle-record.ts'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { loadRelayConfig } from '../../relay-node/src/config.ts'
import { type RelayHandle, startRelay } from '../../relay-node/src/relay-host.ts'
import { startMemoryRelay } from '../../test/fixtures/relay.ts'
import { RuntimeUser, receivedText, statusOf } from '../../test/fixtures/runtime-user.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import type { NetworkOptions } from '../src/app/runtime.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { getBundle } from '../src/p2p/dht-records.ts'
import { createWrenHost } from '../src/p2p/host.ts'
import { dialDevice } from '../src/p2p/reachability.ts'

const suite = createNodeSuite()
const random = seededRandom('host-transports')
/** Bound on every wait for a network outcome here: memory links answer in milliseconds. */
const WAIT_MS = 8_000
/** Memory listen names are process-global: the pid keeps parallel test processes apart. */
const NAME = `wren-hooks-${process.pid}`

/** A throw-away in-process user whose waits are bounded by WAIT_MS. */
const MemoryUser = {
  create: (root: string, name: string, options: NetworkOptions) =>
    RuntimeUser.create(root, name, options, { random, waitMs: WAIT_MS }),
}
type MemoryUser = RuntimeUser

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('a relay and two runtimes on the memory transport only', () => {
  let root: string
  let relay: RelayHandle
  let relayAddr: string
  let alice: MemoryUser
  let bob: MemoryUser

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-hooks-'))
    ;({ relay, addr: relayAddr } = await startMemoryRelay(join(root, 'relay'), `${NAME}-relay`))
    const options = (name: string): NetworkOptions => ({
      transports: [memory()],
      listen: [`/memory/${NAME}-${name}`],
      // in-process: nothing confirms a public address, so the WAN DHT is told to serve
      dhtClientMode: false,
      relays: [relayAddr],
      mailboxCount: 1,
      mailboxFetchIntervalMs: 500,
      retryBaseMs: 200,
      retryMaxMs: 1_000,
    })
    alice = await MemoryUser.create(root, 'alice', options('alice'))
    bob = await MemoryUser.create(root, 'bob', options('bob'))
  })

  after(async () => {
    for (const user of [alice, bob]) {
      await user?.stop()
      await user?.session.close()
    }
    await relay?.stop()
    await rm(root, { recursive: true, force: true })
  })

  test('every listen address is a memory address and the relay runs without autonat', () => {
    for (const addr of [...relay.multiaddrs(), ...alice.rt.libp2p.getMultiaddrs()]) {
      assert.match(addr.toString(), /^\/memory\//)
    }
    assert.equal(relay.libp2p.services.autonat, undefined)
    assert.equal(alice.rt.libp2p.services.autonat, undefined)
    assert.equal(alice.rt.libp2p.services.dcutr, undefined)
  })

  test('bundles are published through the memory DHT and found by the other user', async () => {
    await until('both bundles published', () =>
      [alice, bob].every((u) => u.rt.libp2p.services.publisher.lastResult?.ok === true),
    )
    const found = await getBundle(alice.rt.libp2p, bob.rt.userId, { timeoutMs: WAIT_MS })
    assert.ok(found.ok, 'bob’s bundle is found')
    const bundle = checkBundleRecord(suite, bob.rt.userId, found.value, Date.now())
    assert.equal(bundle.mailboxes.length, 1, 'the bundle names bob’s mailbox on the memory relay')
    const hintAddrs = bundle.mailboxes[0]?.addrs.map((a) => multiaddr(a).toString()) ?? []
    assert.ok(
      hintAddrs.some((a) => a.startsWith(`/memory/${NAME}-relay`)),
      hintAddrs.join(', '),
    )
  })

  test('a message goes directly between the two runtimes over a memory connection', async () => {
    const bobCard = parseContactCard(suite, bob.rt.card())
    assert.ok(
      bobCard.addrs.some((a) => multiaddr(a).toString() === `/memory/${NAME}-bob`),
      'the contact card carries the memory address',
    )
    await alice.rt.messenger.addContact(bobCard, 'bob')
    await bob.rt.messenger.addContact(parseContactCard(suite, alice.rt.card()), 'alice')
    const bobId = bob.rt.messenger.userId
    const sent = await alice.rt.messenger.sendText(`dm:${bobId}`, 'hello over memory')
    await bob.waitFor('the direct message', receivedText('hello over memory'))
    await alice.waitFor('the delivery ack', statusOf(sent.id, 'delivered'))
    const links = alice.rt.libp2p.getConnections(bob.rt.libp2p.peerId)
    assert.ok(
      links.some((c) => c.remoteAddr.toString().startsWith('/memory/') && c.limits == null),
      'an unlimited memory connection joins alice and bob',
    )
  })

  test('a message to a stopped device is stored in its relay mailbox and fetched on restart', async () => {
    const bobId = bob.rt.messenger.userId
    await bob.stop()
    const sent = await alice.rt.messenger.sendText(`dm:${bobId}`, 'while you were away')
    // 'stored' settles only on the relay's signed storage receipt, and takes the item off the
    // outbox: what bob gets after the restart can only come from his mailbox
    await alice.waitFor('the mailbox receipt', statusOf(sent.id, 'stored'))
    await bob.start()
    await bob.waitFor('the mailbox delivery', receivedText('while you were away'))
  })
})

describe('connection gater and transports override on the host', () => {
  async function memoryHost(name: string, gater?: ConnectionGater) {
    return createWrenHost({
      privateKey: await generateKeyPairFromSeed('Ed25519', random(32)),
      transports: [memory()],
      listen: [`/memory/${NAME}-${name}`],

      ...(gater === undefined ? {} : { connectionGater: gater }),
    })
  }

  test('a gater that denies a peer makes the dial come back unreachable', async () => {
    let denied: PeerId | null = null
    const gater: ConnectionGater = { denyDialPeer: async (peer) => denied?.equals(peer) === true }
    const a = await memoryHost('gate-a', gater)
    const b = await memoryHost('gate-b')
    try {
      denied = b.peerId
      const refused = await dialDevice(a, b.peerId, b.getMultiaddrs(), { timeoutMs: WAIT_MS })
      assert.equal(refused.ok, false)
      assert.equal(refused.ok ? null : refused.reason, 'unreachable')
      assert.match(refused.ok ? '' : refused.detail, /DialDeniedError/)
      denied = null
      const allowed = await dialDevice(a, b.peerId, b.getMultiaddrs(), { timeoutMs: WAIT_MS })
      assert.equal(allowed.ok, true, 'the same dial goes through once the gater lets it')
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  test('a gater on the listening side refuses the inbound connection', async () => {
    const a = await memoryHost('inbound-a')
    let dialer: PeerId | null = null
    const b = await memoryHost('inbound-b', {
      denyInboundEncryptedConnection: async (peer) => dialer?.equals(peer) === true,
    })
    try {
      dialer = a.peerId
      const refused = await dialDevice(a, b.peerId, b.getMultiaddrs(), { timeoutMs: WAIT_MS })
      assert.equal(refused.ok ? null : refused.reason, 'unreachable')
      assert.equal(a.getConnections(b.peerId).length, 0)
    } finally {
      await a.stop()
      await b.stop()
    }
  })

  test('a crowd host runs without the connection monitor and still talks to a normal host', async () => {
    const crowded = await createWrenHost({
      privateKey: await generateKeyPairFromSeed('Ed25519', random(32)),
      transports: [memory()],
      listen: [`/memory/${NAME}-crowd`],

      crowd: true,
    })
    const plain = await memoryHost('crowd-plain')
    try {
      // libp2p's components object throws MissingServiceError for a component that was not set
      const hasMonitor = (host: unknown) => {
        try {
          return (host as { components: Record<string, unknown> }).components.connectionMonitor != null
        } catch (error) {
          if ((error as Error).name === 'MissingServiceError') return false
          throw error
        }
      }
      assert.equal(hasMonitor(crowded), false, 'no connection monitor in a crowd')
      assert.equal(hasMonitor(plain), true, 'a normal host keeps its monitor')
      const dialled = await dialDevice(crowded, plain.peerId, plain.getMultiaddrs(), { timeoutMs: WAIT_MS })
      assert.equal(dialled.ok, true)
      const rtt = await crowded.services.ping.ping(plain.peerId, { signal: AbortSignal.timeout(WAIT_MS) })
      assert.ok(rtt >= 0)
    } finally {
      await Promise.all([crowded.stop(), plain.stop()])
    }
  })

  test('a transports override without a listen list is a HostConfigError', async () => {
    await assert.rejects(
      createWrenHost({
        privateKey: await generateKeyPairFromSeed('Ed25519', random(32)),
        transports: [memory()],
      }),
      { name: 'HostConfigError' },
    )
  })

  test('a relay with a transports override and no listen list is a ConfigError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wren-hooks-relay-'))
    try {
      const config = loadRelayConfig({
        overrides: { dataDir: dir, metrics: { enabled: false, port: 0 } },
      })
      await assert.rejects(startRelay(config, { transports: [memory()], logSink: () => {} }), {
        name: 'ConfigError',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

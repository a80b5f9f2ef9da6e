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
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { checkBundleRecord } from '../../core/src/bundle-record.ts'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { identityKeyPairFromSeed } from '../../core/src/identity.ts'
import { loadRelayConfig } from '../../relay-node/src/config.ts'
import { type RelayHandle, startRelay } from '../../relay-node/src/relay-host.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { type NetworkOptions, type Runtime, startRuntime } from '../src/app/runtime.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import type { DaemonContext } from '../src/daemon/context.ts'
import { IDENTITY_RECORD_KEY } from '../src/daemon/identity-handlers.ts'
import { silentLogger } from '../src/daemon/log.ts'
import { ProfileSession } from '../src/daemon/profile-session.ts'
import { getBundle } from '../src/p2p/dht-records.ts'
import { createWrenHost } from '../src/p2p/host.ts'
import { dialDevice } from '../src/p2p/reachability.ts'
import { openProfile } from '../src/profile/profile.ts'
import type { EventName, EventPayload } from '../src/rpc/api.ts'
import type { KdfParams } from '../src/storage/keystore.ts'
import { STORAGE_KEY_BYTES } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()
const random = seededRandom('host-transports')
/** Argon2id at its floor: these profiles are throw-away. */
const TEST_KDF: KdfParams = { memoryKiB: 8, passes: 1, parallelism: 1 }
/** Bound on every wait for a network outcome here: memory links answer in milliseconds. */
const WAIT_MS = 8_000
/** Memory listen names are process-global: the pid keeps parallel test processes apart. */
const NAME = `wren-hooks-${process.pid}`

type Event = { event: EventName; payload: unknown }

/** A throw-away user: profile, event log, and a runtime that can be stopped and started again. */
class MemoryUser {
  readonly events: Event[] = []
  readonly session: ProfileSession
  readonly options: NetworkOptions
  runtime: Runtime | null = null
  #waiters: Array<() => void> = []

  constructor(session: ProfileSession, options: NetworkOptions) {
    this.session = session
    this.options = options
  }

  static async create(root: string, name: string, options: NetworkOptions): Promise<MemoryUser> {
    const paths = await openProfile({ home: root, profile: name })
    const session = await ProfileSession.open(paths, TEST_KDF)
    const libp2pKey = await generateKeyPairFromSeed('Ed25519', random(32))
    await session.create(
      'throw-away test passphrase',
      {
        identitySeed: identityKeyPairFromSeed(suite, random(32)).secretKey,
        deviceKeySeed: random(32),
        libp2pPrivateKey: privateKeyToProtobuf(libp2pKey),
        storageKey: random(STORAGE_KEY_BYTES),
        prekeys: [],
      },
      (store) => store.put(IDENTITY_RECORD_KEY, { displayName: name, createdAt: Date.now() }),
    )
    const user = new MemoryUser(session, options)
    await user.start()
    return user
  }

  get rt(): Runtime {
    assert.ok(this.runtime !== null, 'runtime is running')
    return this.runtime
  }

  async start(): Promise<void> {
    const ctx: DaemonContext = {
      paths: this.session.paths,
      session: this.session,
      suite,
      log: silentLogger,
      version: 'test',
      startedAt: Date.now(),
      notify: <E extends EventName>(event: E, payload: EventPayload<E>) => {
        this.events.push({ event, payload })
        for (const wake of this.#waiters.splice(0)) wake()
      },
      setNetworkStatus: () => {},
      networkStatus: () => null,
      onStop: () => {},
    }
    this.runtime = await startRuntime(ctx, this.session.requireUnlocked(), this.options)
  }

  async stop(): Promise<void> {
    const runtime = this.runtime
    this.runtime = null
    await runtime?.stop()
  }

  /** Resolves with the first logged event that matches, or fails after WAIT_MS. */
  async waitFor(what: string, match: (e: Event) => boolean): Promise<Event> {
    const deadline = Date.now() + WAIT_MS
    for (;;) {
      const found = this.events.find(match)
      if (found !== undefined) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function receivedText(text: string) {
  return (e: Event) =>
    e.event === 'message.received' && (e.payload as EventPayload<'message.received'>).message.text === text
}

function statusOf(messageId: string, status: string) {
  return (e: Event) =>
    e.event === 'message.status' &&
    (e.payload as EventPayload<'message.status'>).messageId === messageId &&
    (e.payload as EventPayload<'message.status'>).status === status
}

describe('a relay and two runtimes on the memory transport only', () => {
  let root: string
  let relay: RelayHandle
  let relayAddr: string
  let alice: MemoryUser
  let bob: MemoryUser

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-hooks-'))
    const config = loadRelayConfig({
      overrides: {
        dataDir: join(root, 'relay'),
        metrics: { enabled: false, port: 0 },
        dht: { provide: false },
        logLevel: 'error',
        testing: { loopback: true },
      },
    })
    relay = await startRelay(config, {
      transports: [memory()],
      listen: [`/memory/${NAME}-relay`],
      logSink: () => {},
    })
    relayAddr = `/memory/${NAME}-relay/p2p/${relay.peerId.toString()}`
    const options = (name: string): NetworkOptions => ({
      transports: [memory()],
      listen: [`/memory/${NAME}-${name}`],
      testLoopback: true,
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
      testing: { loopback: true },
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
      testing: { loopback: true },
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
        overrides: { dataDir: dir, metrics: { enabled: false, port: 0 }, testing: { loopback: true } },
      })
      await assert.rejects(startRelay(config, { transports: [memory()], logSink: () => {} }), {
        name: 'ConfigError',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

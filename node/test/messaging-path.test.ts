/**
 * The delivery path on message.received (`via`) and the "network regained" kick, with one real
 * relay and two real user runtimes on 127.0.0.1 (TCP, LevelDB profiles in a temp dir).
 *
 * Alice's outbox retries only after 60 s and her mailboxes are fetched only every hour, so
 * anything that reaches her or leaves her within the waits below after her network comes back
 * was set off by the regained signal, which is also counted.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { ConnectionGater } from '@libp2p/interface'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { type RuntimeEvent, RuntimeUser } from '../../test/fixtures/runtime-user.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import type { NetworkOptions } from '../src/app/runtime.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import type { EventPayload, MessageVia } from '../src/rpc/api.ts'

const suite = createNodeSuite()
const random = seededRandom('messaging-path')
/** Bound on every wait for a network outcome: loopback answers in milliseconds, 2 loaded cores. */
const WAIT_MS = 10_000
/** Longer than any wait here: a retry or fetch on a timer cannot explain what happens in one. */
const SLOW_TIMER_MS = 60_000
const NO_PERIODIC_FETCH_MS = 3_600_000

/** A gater that cuts every dial and inbound connection of one host while `offline`. */
function switchableGater(): { gater: ConnectionGater; setOffline: (offline: boolean) => void } {
  let offline = false
  return {
    gater: {
      denyDialPeer: async () => offline,
      denyDialMultiaddr: async () => offline,
      denyInboundConnection: async () => offline,
    },
    setOffline: (value) => {
      offline = value
    },
  }
}

/** A throw-away in-process user whose waits are bounded by WAIT_MS. */
const createUser = (root: string, name: string, options: NetworkOptions) =>
  RuntimeUser.create(root, name, options, { random, waitMs: WAIT_MS })

/** The `via` of the message.received event for `text`. */
async function viaOf(user: RuntimeUser, text: string): Promise<MessageVia | undefined> {
  const e = await user.waitFor(`message '${text}'`, (e) => {
    if (e.event !== 'message.received') return false
    return (e.payload as EventPayload<'message.received'>).message.text === text
  })
  return (e.payload as EventPayload<'message.received'>).via
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function statusOf(messageId: string, status: string) {
  return (e: RuntimeEvent) =>
    e.event === 'message.status' &&
    (e.payload as EventPayload<'message.status'>).messageId === messageId &&
    (e.payload as EventPayload<'message.status'>).status === status
}

function tcpAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

describe('message.received says how the message came, and a regained network sends at once', () => {
  let root: string
  let relay: TestRelay
  let bystander: TestNode
  let alice: RuntimeUser
  let bob: RuntimeUser
  /** Bob's direct conversation, known while his runtime is stopped too. */
  let toBobChat: string
  const aliceNet = switchableGater()

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-path-'))
    relay = await startTestRelay({ config: { logLevel: 'error' } })
    bystander = await startTestNode()
    const options = (extra: Partial<NetworkOptions>): NetworkOptions => ({
      relays: [tcpAddr(relay)],
      mailboxCount: 1,
      mailboxFetchIntervalMs: NO_PERIODIC_FETCH_MS,
      ...extra,
    })
    alice = await createUser(
      root,
      'alice',
      options({ retryBaseMs: SLOW_TIMER_MS, retryMaxMs: SLOW_TIMER_MS, connectionGater: aliceNet.gater }),
    )
    bob = await createUser(root, 'bob', options({}))
    toBobChat = `dm:${bob.rt.messenger.userId}`
    await until('both bundles published with their mailbox', () =>
      [alice, bob].every((u) => u.rt.libp2p.services.publisher.lastResult?.ok === true),
    )
    await alice.rt.messenger.addContact(parseContactCard(suite, bob.rt.card()), 'bob')
    await bob.rt.messenger.addContact(parseContactCard(suite, alice.rt.card()), 'alice')
  })

  after(async () => {
    for (const user of [alice, bob]) {
      await user?.stop()
      await user?.session.close()
    }
    await bystander?.stop()
    await relay?.stop()
    await rm(root, { recursive: true, force: true })
  })

  test('a message over a direct connection arrives via direct', async () => {
    await alice.rt.messenger.sendText(toBobChat, 'hello directly')
    assert.equal(await viaOf(bob, 'hello directly'), 'direct')
    const links = bob.rt.libp2p.getConnections(alice.rt.libp2p.peerId)
    assert.ok(
      links.some((c) => c.limits == null && !c.remoteAddr.toString().includes('/p2p-circuit')),
      'an unlimited, unrelayed connection joins them',
    )
  })

  test('a message fetched from the relay mailbox arrives via mailbox', async () => {
    await bob.stop()
    const sent = await alice.rt.messenger.sendText(toBobChat, 'kept for you')
    // 'stored' settles on the relay's signed receipt and takes the item off alice's outbox: what
    // bob gets after his restart can only come from his mailbox
    await alice.waitFor('the mailbox receipt', statusOf(sent.id, 'stored'))
    await bob.start()
    assert.equal(await viaOf(bob, 'kept for you'), 'mailbox')
  })

  test('when the first connection comes back, the queued message goes out and the mailbox is fetched', async () => {
    // alice's network goes away: nothing dials out, nothing gets in, open connections drop
    aliceNet.setOffline(true)
    await Promise.all(alice.rt.libp2p.getConnections().map((c) => c.close().catch(() => {})))
    await until('alice to have no connection', () => alice.rt.libp2p.getConnections().length === 0)

    // bob cannot reach her: his message waits in her relay mailbox
    const fromBob = await bob.rt.messenger.sendText(
      `dm:${alice.rt.messenger.userId}`,
      'while you were cut off',
    )
    await bob.waitFor('bob’s message stored in alice’s mailbox', statusOf(fromBob.id, 'stored'))
    // alice's own message fails (no direct path, no mailbox deposit) and backs off for a minute
    const toBob = await alice.rt.messenger.sendText(toBobChat, 'sent while offline')
    await alice.waitFor('alice’s failed first attempt', statusOf(toBob.id, 'queued'))
    const before = alice.rt.messenger.networkRegainedCount

    // the network is back; the first connection is to a peer that is neither contact nor relay
    aliceNet.setOffline(false)
    await alice.rt.libp2p.dial(bystander.getMultiaddrs(), { signal: AbortSignal.timeout(WAIT_MS) })

    assert.equal(await viaOf(bob, 'sent while offline'), 'direct')
    await alice.waitFor('alice’s message delivered', statusOf(toBob.id, 'delivered'))
    assert.equal(await viaOf(alice, 'while you were cut off'), 'mailbox')
    assert.ok(alice.rt.messenger.networkRegainedCount > before, 'the regained signal fired')
  })
})

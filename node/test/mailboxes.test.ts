import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateIdentityKeyPair } from '../../core/src/identity.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { createLogger } from '../src/log.ts'
import {
  MAILBOX_DELIVER_BATCH,
  MAILBOX_REHOME_FAILURES,
  Mailboxes,
  mergeMailboxOrder,
} from '../src/messaging/mailboxes.ts'
import { MemoryOneTimePrekeyStore, PrekeyManager } from '../src/messaging/prekeys.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()
/**
 * Per-peer deposit burst of these relays (default 200): the persist-then-ack test deposits more
 * than two delivery batches (534 envelopes) at once.
 */
const DEPOSIT_BURST = 1_000

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

describe('mailboxes on real relays', () => {
  let dir: string
  let node: TestNode
  const stores: SealedStore[] = []
  const relays: TestRelay[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-mailboxes-'))
    node = await startTestNode()
    for (let i = 0; i < 3; i++)
      relays.push(
        await startTestRelay({
          config: { mailbox: { depositRate: { burst: DEPOSIT_BURST, ratePerSecond: 20 } } },
        }),
      )
  })
  after(async () => {
    await node.stop()
    for (const store of stores) await store.close()
    await Promise.allSettled(relays.map((r) => r.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  /** Each test gets its own profile database, as a fresh device would. */
  async function mailboxes(
    relayAddrs: string[],
    count: number,
    deliver: (envelopes: Uint8Array[]) => Promise<number[]> = async (envelopes) => envelopes.map(() => 0),
  ): Promise<Mailboxes> {
    const store = await SealedStore.open(join(dir, `db-${stores.length}`), suite.randomBytes(32))
    stores.push(store)
    const prekeys = await PrekeyManager.open({
      suite,
      identity: generateIdentityKeyPair(suite),
      longTerm: [],
      persistLongTerm: async () => {},
      oneTimeStore: new MemoryOneTimePrekeyStore(),
    })
    return new Mailboxes({
      suite,
      store,
      libp2p: node,
      relays: relayAddrs,
      count,
      fetchIntervalMs: 3_600_000,
      // these tests drive every fetch themselves (announced fetches: node/test/mailbox-notify.test.ts)
      announcedFetch: false,
      prekeys,
      log: createLogger('test', { level: 'error' }),
      now: () => Date.now(),
      deliver,
      onChange: () => {},
    })
  }

  test('a device cut off from every relay keeps its mailboxes however many fetches fail', async () => {
    const own = [await startTestRelay(), await startTestRelay()]
    const boxes = await mailboxes(own.map(relayAddr), 2)
    await boxes.start()
    try {
      assert.equal(boxes.hints().length, 2)
      // nothing answers any more: from the device's side that is being offline
      for (const relay of own) await relay.stop()
      for (let i = 0; i < MAILBOX_REHOME_FAILURES + 2; i++) await boxes.fetch()
      assert.equal(boxes.hints().length, 2, 'no mailbox is given up while nothing answers')
    } finally {
      await boxes.stop()
    }
  })

  test('a relay that keeps failing while the others answer is replaced, and only then retired', async () => {
    const dead = await startTestRelay()
    const boxes = await mailboxes(
      [relayAddr(dead), relayAddr(relays[0] as TestRelay), relayAddr(relays[1] as TestRelay)],
      2,
    )
    await boxes.start()
    try {
      const deadId = dead.peerId.toMultihash().bytes
      const has = (id: Uint8Array) =>
        boxes.hints().some((h) => Buffer.from(h.relayPeerId).equals(Buffer.from(id)))
      assert.ok(has(deadId), 'the first relay is one of the two mailboxes')
      await dead.stop()
      for (let i = 0; i < MAILBOX_REHOME_FAILURES; i++) await boxes.fetch()
      assert.equal(boxes.hints().length, 2)
      assert.ok(!has(deadId), 'the failing relay is no longer advertised')
      assert.ok(has((relays[1] as TestRelay).peerId.toMultihash().bytes), 'the spare relay took its place')
    } finally {
      await boxes.stop()
    }
  })

  test('only batches that were persisted are acknowledged: after a failed batch the rest is fetched again, in order, nothing twice', async () => {
    const random = seededRandom('mailboxes-persist-then-ack')
    const envelopes = Array.from({ length: 2 * MAILBOX_DELIVER_BATCH + 22 }, () => testEnvelope(random, 300))
    const persisted: Uint8Array[] = []
    let failNext = false
    let batches = 0
    const boxes = await mailboxes(
      [relayAddr(relays[0] as TestRelay), relayAddr(relays[1] as TestRelay)],
      2,
      async (batch) => {
        batches++
        if (failNext && batches === 2) throw new Error('disk full') // the second batch is not persisted
        persisted.push(...batch)
        return batch.map(() => 0)
      },
    )
    await boxes.start()
    try {
      await boxes.fetch() // the fetch on start is over: nothing fetches while the envelopes go in
      const counts = await boxes.deposit(boxes.hints(), envelopes)
      assert.ok(
        counts.every((c) => c === 2),
        'every envelope is held by both mailboxes',
      )
      failNext = true
      batches = 0
      await assert.rejects(boxes.fetch(), /disk full/)
      assert.equal(persisted.length, MAILBOX_DELIVER_BATCH)
      failNext = false
      await boxes.fetch()
      const hex = (list: Uint8Array[]) => list.map((e) => Buffer.from(e).toString('hex'))
      assert.deepEqual(hex(persisted), hex(envelopes), 'each envelope once, in deposit order')
      const before = persisted.length
      await boxes.fetch()
      assert.equal(persisted.length, before, 'everything persisted was acknowledged on both relays')
    } finally {
      await boxes.stop()
    }
  })

  test('merging mailbox lists keeps each list’s order and drops copies', () => {
    const item = (n: number) => ({
      hash: Uint8Array.of(n),
      envelope: Uint8Array.of(n),
      storedAt: 0,
      expiresAt: 0,
    })
    const merged = mergeMailboxOrder([
      [item(1), item(3)],
      [item(1), item(2), item(3), item(4)],
    ])
    assert.deepEqual(
      merged.map((m) => m.hash[0]),
      [1, 2, 3, 4],
    )
  })
})

/**
 * A reachable contact never waits on the DHT: bob's bundle is in no DHT at all (he published
 * while he had no peers, then his publisher stopped), yet alice's first message to him, from his
 * card alone, is delivered: his device hands her its bundle and a one-time prekey over
 * `/wren/prekey`. Two real runtimes on production settings, in this process.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { parseUserId } from '../../core/src/identity.ts'
import { RuntimeUser } from '../../test/fixtures/runtime-user.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { getBundle } from '../src/p2p/dht-records.ts'
import type { EventPayload } from '../src/rpc/api.ts'

const random = seededRandom('direct-bundle')
const suite = createNodeSuite()
/** Bound on every wait here: one dial, one prekey exchange and one delivery on loopback. */
const WAIT_MS = 15_000

describe('a reachable contact gives its bundle itself', () => {
  let root: string
  let alice: RuntimeUser
  let bob: RuntimeUser

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wren-direct-bundle-'))
    // mDNS off (a user setting, `--no-mdns`): the suite runs many test files' nodes side by side
    // in one network namespace, and bob's start-up publish must find none of them, or some other
    // test's node would hold his bundle; alice reaches bob from his card's addresses anyway
    bob = await RuntimeUser.create(root, 'bob', { mdns: false }, { random, waitMs: WAIT_MS })
    // bob published at start with no peer anywhere: his bundle is in no DHT; keep it that way
    await bob.rt.libp2p.services.publisher.stop()
    alice = await RuntimeUser.create(root, 'alice', { mdns: false }, { random, waitMs: WAIT_MS })
  })

  after(async () => {
    for (const user of [alice, bob]) {
      await user?.stop()
      await user?.session.close()
    }
    await rm(root, { recursive: true, force: true })
  })

  test('the first message from a card alone is delivered, and no DHT holds the bundle', async () => {
    const bobLookup = await getBundle(alice.rt.libp2p, bob.rt.userId, { timeoutMs: WAIT_MS })
    assert.equal(bobLookup.ok, false, 'no DHT holds bob’s bundle before the message')

    const contact = await alice.rt.messenger.addContact(parseContactCard(suite, bob.rt.card()), 'bob')
    const sent = await alice.rt.messenger.sendText(`dm:${contact.userId}`, 'first words')
    await alice.waitFor('the first message delivered', (e) => {
      if (e.event !== 'message.status') return false
      const p = e.payload as EventPayload<'message.status'>
      return p.messageId === sent.id && (p.status === 'delivered' || p.status === 'read')
    })
    const received = await bob.waitFor('bob receives it', (e) => {
      if (e.event !== 'message.received') return false
      return (e.payload as EventPayload<'message.received'>).message.text === 'first words'
    })
    assert.equal((received.payload as EventPayload<'message.received'>).via, 'direct')

    // still in no DHT (bob's publisher is stopped): the session came from bob's device
    const after = await getBundle(alice.rt.libp2p, parseUserId(contact.userId), { timeoutMs: WAIT_MS })
    assert.equal(after.ok, false, 'bob’s bundle is still in no DHT')
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateInboxKeyPair } from '../../core/src/mailbox/index.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { MailboxClient } from '../src/mailbox/mailbox-client.ts'

const suite = seededSuite('mailbox-client-connections')
const random = seededRandom('mailbox-client-connections-envelopes')

/** Requests made in the test: enough that a dial per request would show as many connections. */
const REQUESTS = 10

describe('mailbox client connection reuse', () => {
  let relay: TestRelay
  let node: TestNode

  before(async () => {
    relay = await startTestRelay()
    node = await startTestNode()
  })

  after(async () => {
    await node?.stop()
    await relay?.stop()
  })

  test('addresses given without /p2p/<relay> still reuse one connection for every request', async () => {
    // the form the node stores mailbox addresses in: the relay's transport address without its id
    const bare = relay.multiaddrs.map((a) => a.decapsulateCode(421))
    const client = new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: bare })
    let opened = 0
    node.addEventListener('connection:open', (e) => {
      if (e.detail.remotePeer.equals(relay.peerId)) opened++
    })
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await client.register(inboxKey)
    assert.ok(reg.ok, JSON.stringify(reg))
    for (let i = 0; i < REQUESTS; i++) {
      const deposited = await client.deposit(reg.value.inboxId, testEnvelope(random, 200))
      assert.ok(deposited.ok, JSON.stringify(deposited))
    }
    const fetched = await client.fetch(inboxKey)
    assert.ok(fetched.ok, JSON.stringify(fetched))
    assert.equal(fetched.value.envelopes.length, REQUESTS)
    assert.equal(opened, 1, `connections opened to the relay for ${REQUESTS + 2} requests`)
  })
})

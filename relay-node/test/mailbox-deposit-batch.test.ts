/**
 * Deposit batches (KIND_DEPOSIT_BATCH): many envelopes for one inbox in one exchange, stored in
 * order, a verified receipt for each stored one; a relay that stops early (quota) answers with
 * the receipts of the prefix it stored, and the sender deposits the rest one by one.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { MAX_DEPOSIT_BATCH, MAX_DEPOSIT_BATCH_BYTES } from '../../core/src/mailbox/constants.ts'
import { generateInboxKeyPair } from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { depositBatches } from '../../node/src/messaging/mailbox-deposit.ts'
import { startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('deposit-batch')
const random = seededRandom('deposit-batch-bytes')
/** Inbox count quota of the test relay: small, so a batch runs into it. */
const MAX_ENVELOPES = 12

describe('deposit batches on a real relay', () => {
  let relay: TestRelay
  const nodes: TestNode[] = []
  const client = (node: TestNode) =>
    new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })

  before(async () => {
    relay = await startTestRelay({ config: { mailbox: { maxEnvelopesPerInbox: MAX_ENVELOPES } } })
    for (let i = 0; i < 2; i++) nodes.push(await startTestNode())
  })

  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
  })

  test('a batch is stored in order with a verified receipt per envelope', async () => {
    const owner = client(nodes[0] as TestNode)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await owner.register(inboxKey)
    assert.ok(reg.ok)
    const envelopes = Array.from({ length: 10 }, () => testEnvelope(random, 200))
    const res = await client(nodes[1] as TestNode).depositBatch(reg.value.inboxId, envelopes)
    assert.ok(res.ok, JSON.stringify(res))
    assert.equal(res.value.length, 10)
    const page = await owner.fetch(inboxKey)
    assert.ok(page.ok)
    assert.deepEqual(
      page.value.envelopes.map((e) => Buffer.from(e.envelope).toString('hex')),
      envelopes.map((e) => Buffer.from(e).toString('hex')),
    )
  })

  test('over the inbox quota: receipts for the prefix stored, nothing beyond it', async () => {
    const owner = client(nodes[0] as TestNode)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await owner.register(inboxKey)
    assert.ok(reg.ok)
    const envelopes = Array.from({ length: MAX_ENVELOPES + 5 }, () => testEnvelope(random, 100))
    const res = await client(nodes[1] as TestNode).depositBatch(reg.value.inboxId, envelopes)
    assert.ok(res.ok)
    assert.equal(res.value.length, MAX_ENVELOPES)
    const again = await client(nodes[1] as TestNode).depositBatch(
      reg.value.inboxId,
      envelopes.slice(MAX_ENVELOPES),
    )
    assert.equal(!again.ok && again.reason, 'quota_count')
  })

  test('a batch for an unknown inbox is refused as such', async () => {
    const res = await client(nodes[1] as TestNode).depositBatch(random(16), [testEnvelope(random, 100)])
    assert.equal(!res.ok && res.reason, 'unknown_inbox')
  })
})

test('deposit batches are cut by count and by bytes, never empty', () => {
  const small = Array.from({ length: 2 * MAX_DEPOSIT_BATCH + 3 }, () => new Uint8Array(10))
  assert.deepEqual(depositBatches(small), [
    [0, MAX_DEPOSIT_BATCH],
    [MAX_DEPOSIT_BATCH, 2 * MAX_DEPOSIT_BATCH],
    [2 * MAX_DEPOSIT_BATCH, 2 * MAX_DEPOSIT_BATCH + 3],
  ])
  const big = Array.from({ length: 5 }, () => new Uint8Array(MAX_DEPOSIT_BATCH_BYTES / 2))
  assert.deepEqual(depositBatches(big), [
    [0, 2],
    [2, 4],
    [4, 5],
  ])
  const huge = [new Uint8Array(MAX_DEPOSIT_BATCH_BYTES + 1), new Uint8Array(1)]
  assert.deepEqual(depositBatches(huge), [
    [0, 1],
    [1, 2],
  ])
  assert.deepEqual(depositBatches([]), [])
})

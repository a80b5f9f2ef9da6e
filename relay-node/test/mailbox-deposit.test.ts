import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateInboxKeyPair, MAILBOX_TTL_MS, verifyReceipt } from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('mailbox-deposit')
const random = seededRandom('mailbox-deposit-envelopes')

describe('mailbox deposit, fetch and ack on a real relay', () => {
  let relay: TestRelay
  let owner: TestNode
  let sender: TestNode
  let ownerClient: MailboxClient
  let senderClient: MailboxClient

  before(async () => {
    relay = await startTestRelay({
      config: { mailbox: { maxEnvelopesPerInbox: 4, maxBytesPerInbox: 4000 } },
    })
    owner = await startTestNode()
    sender = await startTestNode()
    ownerClient = new MailboxClient({ libp2p: owner, suite, relay: relay.peerId, addrs: relay.multiaddrs })
    senderClient = new MailboxClient({ libp2p: sender, suite, relay: relay.peerId, addrs: relay.multiaddrs })
  })

  after(async () => {
    await Promise.all([owner?.stop(), sender?.stop()])
    await relay?.stop()
  })

  test('register returns the inbox id and the quotas; registering again is idempotent', async () => {
    const inboxKey = generateInboxKeyPair(suite)
    const first = await ownerClient.register(inboxKey)
    assert.ok(first.ok, JSON.stringify(first))
    assert.equal(first.value.inboxId.length, 16)
    assert.deepEqual(first.value.quotas, {
      maxEnvelopes: 4,
      maxBytes: 4000,
      ttlMs: MAILBOX_TTL_MS,
      maxEnvelopeBytes: first.value.quotas.maxEnvelopeBytes,
      maxPrekeys: first.value.quotas.maxPrekeys,
    })
    const again = await ownerClient.register(inboxKey)
    assert.ok(again.ok)
    assert.deepEqual(again.value.inboxId, first.value.inboxId)
  })

  test('deposit gives a receipt that verifies against the relay key; fetch returns deposit order; ack deletes', async () => {
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await ownerClient.register(inboxKey)
    assert.ok(reg.ok)
    const envelopes = [testEnvelope(random, 300), testEnvelope(random, 200), testEnvelope(random, 400)]
    for (const envelope of envelopes) {
      const deposited = await senderClient.deposit(reg.value.inboxId, envelope)
      assert.ok(deposited.ok, JSON.stringify(deposited))
      const receipt = deposited.value
      verifyReceipt(suite, receipt, {
        relayPublicKey: relay.peerId.publicKey?.raw as Uint8Array,
        inboxId: reg.value.inboxId,
        envelopeHash: suite.sha256(envelope),
      })
      assert.deepEqual(receipt.relayPeerId, relay.peerId.toMultihash().bytes)
      assert.equal(receipt.expiresAt - receipt.storedAt, MAILBOX_TTL_MS)
    }
    const page = await ownerClient.fetch(inboxKey, new Uint8Array(0), 2)
    assert.ok(page.ok, JSON.stringify(page))
    assert.deepEqual(
      page.value.envelopes.map((e) => e.envelope),
      envelopes.slice(0, 2),
    )
    assert.equal(page.value.more, true)
    const rest = await ownerClient.fetch(inboxKey, page.value.nextCursor)
    assert.ok(rest.ok)
    assert.deepEqual(
      rest.value.envelopes.map((e) => e.envelope),
      envelopes.slice(2),
    )
    assert.equal(rest.value.more, false)
    // hashes only: the same page bounds, the hashes and times, no envelope bytes
    const hashes = await ownerClient.fetch(inboxKey, new Uint8Array(0), 2, { hashesOnly: true })
    assert.ok(hashes.ok, JSON.stringify(hashes))
    assert.deepEqual(
      hashes.value.envelopes.map((e) => [e.hash, e.envelope.length, e.storedAt]),
      page.value.envelopes.map((e) => [e.hash, 0, e.storedAt]),
    )
    assert.deepEqual(hashes.value.nextCursor, page.value.nextCursor)
    assert.equal(hashes.value.more, true)

    const acked = await ownerClient.ack(
      inboxKey,
      [...page.value.envelopes, ...rest.value.envelopes].map((e) => e.hash),
    )
    assert.ok(acked.ok)
    assert.equal(acked.value.deleted, 3)
    const empty = await ownerClient.fetch(inboxKey)
    assert.ok(empty.ok)
    assert.equal(empty.value.envelopes.length, 0)
  })

  test('a duplicate deposit returns the same receipt and is stored once', async () => {
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await ownerClient.register(inboxKey)
    assert.ok(reg.ok)
    const envelope = testEnvelope(random)
    const first = await senderClient.deposit(reg.value.inboxId, envelope)
    const second = await senderClient.deposit(reg.value.inboxId, envelope)
    assert.ok(first.ok && second.ok)
    assert.deepEqual(second.value, first.value)
    const page = await ownerClient.fetch(inboxKey)
    assert.ok(page.ok)
    assert.equal(page.value.envelopes.length, 1)
  })

  test('oversized, malformed and unknown-inbox deposits are refused with their reason, earlier envelopes untouched', async () => {
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await ownerClient.register(inboxKey)
    assert.ok(reg.ok)
    const kept = testEnvelope(random)
    assert.ok((await senderClient.deposit(reg.value.inboxId, kept)).ok)

    const oversized = await senderClient.deposit(reg.value.inboxId, testEnvelope(random, 300 * 1024))
    assert.equal(oversized.ok, false)
    assert.equal(!oversized.ok && oversized.reason, 'too_large')

    const malformed = await senderClient.deposit(reg.value.inboxId, random(100))
    assert.equal(!malformed.ok && malformed.reason, 'malformed')

    const unknown = await senderClient.deposit(random(16), testEnvelope(random))
    assert.equal(!unknown.ok && unknown.reason, 'unknown_inbox')

    const page = await ownerClient.fetch(inboxKey)
    assert.ok(page.ok)
    assert.deepEqual(
      page.value.envelopes.map((e) => e.envelope),
      [kept],
    )
  })

  test('over-quota deposits (count, then bytes) are refused with their reason, earlier envelopes untouched', async () => {
    const countKey = generateInboxKeyPair(suite)
    const countInbox = await ownerClient.register(countKey)
    assert.ok(countInbox.ok)
    const stored: Uint8Array[] = []
    for (let i = 0; i < 4; i++) {
      const envelope = testEnvelope(random, 100)
      assert.ok((await senderClient.deposit(countInbox.value.inboxId, envelope)).ok)
      stored.push(envelope)
    }
    const overCount = await senderClient.deposit(countInbox.value.inboxId, testEnvelope(random, 100))
    assert.equal(!overCount.ok && overCount.reason, 'quota_count')
    const countPage = await ownerClient.fetch(countKey)
    assert.ok(countPage.ok)
    assert.deepEqual(
      countPage.value.envelopes.map((e) => e.envelope),
      stored,
    )

    const bytesKey = generateInboxKeyPair(suite)
    const bytesInbox = await ownerClient.register(bytesKey)
    assert.ok(bytesInbox.ok)
    const big = testEnvelope(random, 3000)
    assert.ok((await senderClient.deposit(bytesInbox.value.inboxId, big)).ok)
    const overBytes = await senderClient.deposit(bytesInbox.value.inboxId, testEnvelope(random, 1500))
    assert.equal(!overBytes.ok && overBytes.reason, 'quota_bytes')
    const bytesPage = await ownerClient.fetch(bytesKey)
    assert.ok(bytesPage.ok)
    assert.deepEqual(
      bytesPage.value.envelopes.map((e) => e.envelope),
      [big],
    )
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { toHex } from '../../core/src/bytes.ts'
import { generateInboxKeyPair } from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { DEFAULT_INBOX_CLAIM_BURST } from '../src/constants.ts'

const suite = seededSuite('mailbox-limits')
const random = seededRandom('mailbox-limits-bytes')
/** Deposit bucket of the test relay: 5 deposits, then (with the clock frozen) no refill. */
const DEPOSIT_BURST = 5

describe('mailbox rate limits and one-time prekey custody', () => {
  let relay: TestRelay
  const nodes: TestNode[] = []
  const client = (node: TestNode) =>
    new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })

  before(async () => {
    const frozen = 1_700_000_000_000
    relay = await startTestRelay({
      clock: () => frozen,
      config: {
        mailbox: { depositRate: { burst: DEPOSIT_BURST, ratePerSecond: 1 }, maxPrekeysPerInbox: 10 },
      },
    })
    for (let i = 0; i < 5; i++) nodes.push(await startTestNode())
  })

  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
  })

  test('one peer flooding deposits is rate-limited while another peer still deposits', async () => {
    const owner = client(nodes[0] as TestNode)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await owner.register(inboxKey)
    assert.ok(reg.ok)
    const flooder = client(nodes[1] as TestNode)
    const results = []
    for (let i = 0; i < DEPOSIT_BURST + 5; i++)
      results.push(await flooder.deposit(reg.value.inboxId, testEnvelope(random)))
    assert.equal(results.filter((r) => r.ok).length, DEPOSIT_BURST)
    const limited = results.filter((r) => !r.ok)
    assert.equal(limited.length, 5)
    for (const r of limited) {
      assert.equal(!r.ok && r.reason, 'rate_limited')
      assert.ok(!r.ok && (r.retryAfterMs ?? 0) > 0)
    }
    // the relay's Prometheus endpoint counts what its deposit limiter refused
    const metrics = await (await fetch(relay.metricsUrl as string)).text()
    assert.match(metrics, /^wren_relay_rate_limited_total\{limiter="deposit"\} 5$/m)
    const polite = client(nodes[2] as TestNode)
    for (let i = 0; i < 3; i++) assert.ok((await polite.deposit(reg.value.inboxId, testEnvelope(random))).ok)
    const page = await owner.fetch(inboxKey)
    assert.ok(page.ok)
    assert.equal(page.value.envelopes.length, DEPOSIT_BURST + 3)
  })

  test('20 concurrent claims of 5 prekeys from 4 connections hand each out exactly once, then exhausted', async () => {
    const owner = client(nodes[0] as TestNode)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await owner.register(inboxKey)
    assert.ok(reg.ok)
    const pool = Array.from({ length: 5 }, () => random(1300))
    const uploaded = await owner.uploadPrekeys(inboxKey, pool)
    assert.ok(uploaded.ok)
    assert.deepEqual(uploaded.value, { accepted: 5, remaining: 5 })

    const claimers = nodes.slice(1, 5).map(client)
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (claimers[i % claimers.length] as MailboxClient).claimPrekey(reg.value.inboxId),
      ),
    )
    const handedOut = claims.filter((c) => c.ok).map((c) => toHex((c as { value: Uint8Array }).value))
    assert.equal(handedOut.length, 5)
    assert.deepEqual(new Set(handedOut), new Set(pool.map(toHex)))
    for (const c of claims.filter((c) => !c.ok)) assert.equal(!c.ok && c.reason, 'exhausted')

    const late = await (claimers[0] as MailboxClient).claimPrekey(reg.value.inboxId)
    assert.equal(!late.ok && late.reason, 'exhausted')
    const page = await owner.fetch(inboxKey)
    assert.ok(page.ok)
    assert.equal(page.value.prekeysRemaining, 0)
  })

  test('prekey uploads beyond the pool cap or with an oversized item are refused', async () => {
    const owner = client(nodes[0] as TestNode)
    const inboxKey = generateInboxKeyPair(suite)
    assert.ok((await owner.register(inboxKey)).ok)
    const tooMany = await owner.uploadPrekeys(
      inboxKey,
      Array.from({ length: 11 }, () => random(64)),
    )
    assert.equal(!tooMany.ok && tooMany.reason, 'quota_count')
    const tooBig = await owner.uploadPrekeys(inboxKey, [random(5000)])
    assert.equal(!tooBig.ok && tooBig.reason, 'too_large')
    const fine = await owner.uploadPrekeys(inboxKey, [random(64)])
    assert.ok(fine.ok)
    assert.deepEqual(fine.value, { accepted: 1, remaining: 1 })
  })

  test('claiming from an unknown inbox is refused with unknown_inbox', async () => {
    const res = await client(nodes[3] as TestNode).claimPrekey(random(16))
    assert.equal(!res.ok && res.reason, 'unknown_inbox')
  })
})

describe('one inbox hands out a bounded number of one-time prekeys, whoever claims', () => {
  let relay: TestRelay
  const nodes: TestNode[] = []
  const client = (node: TestNode) =>
    new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })

  before(async () => {
    const frozen = 1_700_000_000_000
    // the production defaults (DEFAULT_INBOX_CLAIM_*), a frozen clock: no refill during the test
    relay = await startTestRelay({ clock: () => frozen, config: { mailbox: { maxPrekeysPerInbox: 100 } } })
    // five connections to the relay (libp2p's production limit: 5 inbound per second per host)
    for (let i = 0; i < 5; i++) nodes.push(await startTestNode())
  })

  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
  })

  test('claims from four peers, each within its own limit, get at most DEFAULT_INBOX_CLAIM_BURST keys', async () => {
    const owner = client(nodes[0] as TestNode)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await owner.register(inboxKey)
    assert.ok(reg.ok)
    assert.ok(
      (
        await owner.uploadPrekeys(
          inboxKey,
          Array.from({ length: 60 }, () => random(64)),
        )
      ).ok,
    )
    const claimers = nodes.slice(1, 5).map(client)
    const claims = []
    // 10 claims per peer: well under the per-peer burst (DEFAULT_CLAIM_BURST = 50)
    for (let i = 0; i < 40; i++)
      claims.push(await (claimers[i % 4] as MailboxClient).claimPrekey(reg.value.inboxId))
    const handedOut = claims.filter((c) => c.ok)
    assert.equal(handedOut.length, DEFAULT_INBOX_CLAIM_BURST)
    for (const c of claims.filter((c) => !c.ok)) assert.equal(!c.ok && c.reason, 'rate_limited')
    const page = await owner.fetch(inboxKey)
    assert.ok(page.ok)
    assert.equal(page.value.prekeysRemaining, 60 - DEFAULT_INBOX_CLAIM_BURST, 'the rest stays in the pool')
  })
})

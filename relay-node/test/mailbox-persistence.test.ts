import assert from 'node:assert/strict'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateInboxKeyPair, MAILBOX_TTL_MS, verifyReceipt } from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { IDENTITY_KEY_FILE } from '../../relay-node/src/constants.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('mailbox-persistence')
const random = seededRandom('mailbox-persistence-bytes')
const DAY_MS = 24 * 60 * 60 * 1000

describe('mailbox persistence, TTL and metrics', () => {
  let node: TestNode
  let dataDir: string
  const relays: TestRelay[] = []
  const client = (relay: TestRelay) =>
    new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })

  before(async () => {
    // a plain TCP client: no /p2p-circuit listen address, so it takes no reservation on the relay
    // (the metrics below count reservations)
    node = await startTestNode({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    dataDir = await mkdtemp(join(tmpdir(), 'wren-relay-restart-'))
  })

  after(async () => {
    await node?.stop()
    for (const relay of relays) await relay.stop().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  })

  test('a relay stopped and restarted on the same data dir (in-process) keeps identity and envelopes', async () => {
    const first = await startTestRelay({ dataDir })
    relays.push(first)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await client(first).register(inboxKey)
    assert.ok(reg.ok)
    const envelopes = [testEnvelope(random), testEnvelope(random), testEnvelope(random)]
    const receipts = []
    for (const envelope of envelopes) {
      const r = await client(first).deposit(reg.value.inboxId, envelope)
      assert.ok(r.ok)
      receipts.push(r.value)
    }
    await first.stop()

    const second = await startTestRelay({ dataDir })
    relays.push(second)
    assert.ok(second.peerId.equals(first.peerId))
    for (const receipt of receipts)
      verifyReceipt(suite, receipt, { relayPublicKey: second.peerId.publicKey?.raw as Uint8Array })
    const page = await client(second).fetch(inboxKey)
    assert.ok(page.ok, JSON.stringify(page))
    assert.deepEqual(
      page.value.envelopes.map((e) => e.envelope),
      envelopes,
    )
    await second.stop()
    const mode = (await stat(join(dataDir, IDENTITY_KEY_FILE))).mode & 0o777
    assert.equal(mode, 0o600)
  })

  test('a wren-relay child process stopped with SIGTERM and restarted keeps stored envelopes', async () => {
    const first = await startTestRelay({ dataDir, mode: 'process' })
    relays.push(first)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await client(first).register(inboxKey)
    assert.ok(reg.ok)
    const envelope = testEnvelope(random)
    assert.ok((await client(first).deposit(reg.value.inboxId, envelope)).ok)
    await first.stop()
    assert.ok(first.logs.some((line) => line.includes('"relay.stopped"')))

    const second = await startTestRelay({ dataDir, mode: 'process' })
    relays.push(second)
    const page = await client(second).fetch(inboxKey)
    assert.ok(page.ok, JSON.stringify(page))
    assert.deepEqual(
      page.value.envelopes.map((e) => e.envelope),
      [envelope],
    )
    await second.stop()
  })

  test('the TTL sweep deletes exactly the envelopes older than MAILBOX_TTL_MS (injected clock)', async () => {
    let now = 1_700_000_000_000
    const relay = await startTestRelay({ clock: () => now, config: { mailbox: { sweepIntervalMs: 0 } } })
    relays.push(relay)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await client(relay).register(inboxKey)
    assert.ok(reg.ok)
    const old = testEnvelope(random)
    const young = testEnvelope(random)
    assert.ok((await client(relay).deposit(reg.value.inboxId, old)).ok)
    now += 7 * DAY_MS
    assert.ok((await client(relay).deposit(reg.value.inboxId, young)).ok)

    now += MAILBOX_TTL_MS - 7 * DAY_MS - 1
    assert.equal(await relay.handle?.mailbox.sweep(), 0)
    now += 2
    assert.equal(await relay.handle?.mailbox.sweep(), 1)
    const page = await client(relay).fetch(inboxKey)
    assert.ok(page.ok)
    assert.deepEqual(
      page.value.envelopes.map((e) => e.envelope),
      [young],
    )
    now += 7 * DAY_MS
    assert.equal(await relay.handle?.mailbox.sweep(), 1)
    const empty = await client(relay).fetch(inboxKey)
    assert.ok(empty.ok)
    assert.equal(empty.value.envelopes.length, 0)
    // a new deposit after the sweep still fits: counters were decremented with the deletions
    assert.ok((await client(relay).deposit(reg.value.inboxId, testEnvelope(random))).ok)
    await relay.stop()
  })

  test('the metrics endpoint on 127.0.0.1 shows stored envelopes, deposits, fetches, rejections and connections', async () => {
    const relay = await startTestRelay()
    relays.push(relay)
    const inboxKey = generateInboxKeyPair(suite)
    const reg = await client(relay).register(inboxKey)
    assert.ok(reg.ok)
    assert.ok((await client(relay).deposit(reg.value.inboxId, testEnvelope(random, 500))).ok)
    assert.ok((await client(relay).deposit(reg.value.inboxId, testEnvelope(random, 700))).ok)
    assert.ok((await client(relay).fetch(inboxKey)).ok)
    const refused = await client(relay).deposit(random(16), testEnvelope(random))
    assert.equal(!refused.ok && refused.reason, 'unknown_inbox')

    assert.match(relay.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const res = await fetch(relay.metricsUrl as string, { signal: AbortSignal.timeout(5000) })
    assert.equal(res.status, 200)
    const text = await res.text()
    assert.match(text, /^wren_relay_mailbox_stored_envelopes 2$/m)
    assert.match(text, /^wren_relay_mailbox_stored_bytes \d+$/m)
    assert.match(text, /^wren_relay_mailbox_deposits_total 2$/m)
    assert.match(text, /^wren_relay_mailbox_fetches_total 1$/m)
    assert.match(text, /^wren_relay_mailbox_rejections_total\{reason="unknown_inbox"\} 1$/m)
    assert.match(text, /^wren_relay_connections [1-9]\d*$/m)
    assert.match(text, /^wren_relay_reservations 0$/m)
    await relay.stop()
  })
})

/**
 * Calls between real daemons (child processes) over loopback, with a relay for mailboxes: the
 * daemon side of a call — ringing, accept, the media owners' opaque SDP/ICE passed through
 * byte-identical, connected when the media owner says so, hangup, decline, busy, the ring
 * timeout, and a callee who was offline finding a missed call when it returns. No media: the
 * test plays both media owners over RPC (calls.signal, calls.media).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Call, EventName, EventPayload } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { runWren } from './fixtures/wren-cli.ts'

/** The daemons' ring timeout in these tests, in ms: long enough to accept on a loaded machine. */
const RING_MS = 6_000
/** Bound on a ring timeout playing out: the timeout plus delivery of the hang-up. */
const TIMEOUT_WAIT_MS = RING_MS + 15_000

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

/** Events of one kind as they come, until off(). */
async function collect<E extends EventName>(client: WrenClient, event: E) {
  const seen: EventPayload<E>[] = []
  const off = await client.on(event, ((payload: EventPayload<E>) => seen.push(payload)) as never)
  return { seen, off }
}

const ended = (client: WrenClient, callId: string) =>
  waitForEvent(
    client,
    'call.state',
    (p) => p.call.callId === callId && p.call.state === 'ended',
    TIMEOUT_WAIT_MS,
  )
const inState = (client: WrenClient, callId: string, state: Call['state']) =>
  waitForEvent(client, 'call.state', (p) => p.call.callId === callId && p.call.state === state)

async function historyLines(client: WrenClient, peer: string) {
  const page = await client.call('messages.list', { conversationId: `dm:${peer}`, limit: 500 })
  return page.messages.filter((m) => m.call !== undefined)
}

describe('voice calls: the daemon side, between real daemons', () => {
  let relay: TestRelay
  let alice: ChatPeer
  let bob: ChatPeer
  let carol: ChatPeer
  let args: string[]

  before(async () => {
    relay = await startTestRelay()
    args = ['--relay', relayAddr(relay), '--mailbox-fetch-ms', '1000', '--retry-max-ms', '2000']
    args.push('--call-ring-ms', String(RING_MS))
    alice = await startPeer('Alice', { args })
    const boot = alice.addrs.flatMap((a) => ['--bootstrap', a])
    args = [...args, ...boot]
    bob = await startPeer('Bob', { args })
    carol = await startPeer('Carol', { args })
    const cards = new Map<ChatPeer, string>()
    for (const p of [alice, bob, carol]) cards.set(p, (await p.client.call('identity.get', {})).card)
    for (const p of [alice, bob, carol])
      for (const q of [alice, bob, carol])
        if (p !== q) await p.client.call('contacts.add', { card: cards.get(q)! })
    for (const p of [alice, bob]) {
      await eventually('mailbox registered and bundle published', async () => {
        const status = await p.client.call('node.status', {})
        return status.mailboxes === 1 && status.bundlePublished ? true : undefined
      })
    }
    // the pairwise sessions the calls use exist before the first call, so a ring timeout of
    // RING_MS times the call, not a first contact's session set-up on a loaded machine (the
    // first call once rang out before alice's early signal was refused, in a CI run)
    for (const [from, to] of [
      [alice, bob],
      [bob, alice],
      [carol, bob],
    ] as const) {
      const text = `hello from ${from.userId}`
      const got = waitForEvent(to.client, 'message.received', (p) => p.message.text === text)
      await from.client.call('messages.send', { conversationId: `dm:${to.userId}`, text })
      await got
    }
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop(), carol?.stop()])
    await relay?.stop()
  })

  test('alice calls bob: it rings, bob accepts, SDP/ICE pass byte-identical, both connect, hangup ends both', async () => {
    const incoming = waitForEvent(bob.client, 'call.incoming', (p) => p.call.peerUserId === alice.userId)
    const { callId } = await alice.client.call('calls.start', { contactId: bob.userId })
    assert.match(callId, /^[0-9a-f]{32}$/)
    const rang = await incoming
    assert.equal(rang.call.callId, callId)
    assert.equal(rang.call.state, 'incoming')
    assert.equal(rang.call.direction, 'incoming')
    await waitForEvent(alice.client, 'call.state', (p) => p.call.callId === callId && p.call.remoteRinging)

    // media signals are refused before the call is accepted
    await assert.rejects(
      alice.client.call('calls.signal', { callId, signal: { kind: 'offer', data: 'too early' } }),
      /not accepted/,
    )

    const aliceConnecting = inState(alice.client, callId, 'connecting')
    const accepted = await bob.client.call('calls.accept', { callId })
    assert.equal(accepted.call.state, 'connecting')
    await aliceConnecting

    // the two media keys mirror each other: alice's send key is bob's receive key and back
    const aliceKeys = await alice.client.call('calls.mediaKeys', { callId })
    const bobKeys = await bob.client.call('calls.mediaKeys', { callId })
    assert.equal(aliceKeys.sendKey, bobKeys.receiveKey)
    assert.equal(aliceKeys.receiveKey, bobKeys.sendKey)
    assert.notEqual(aliceKeys.sendKey, aliceKeys.receiveKey)

    // opaque strings, byte-identical on the other side, in order
    const offer =
      'v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\na=fingerprint:sha-256 AB:CD\r\n☎ ünïcode 🎧\r\n'
    const answer = `v=0\r\n${'a=x\r\n'.repeat(500)}`
    const ice = ['{"candidate":"candidate:1 1 udp 2122260223 10.77.0.1 50000 typ host"}', '{"candidate":""}']
    const atBob = await collect(bob.client, 'call.signal')
    const atAlice = await collect(alice.client, 'call.signal')
    try {
      await alice.client.call('calls.signal', { callId, signal: { kind: 'offer', data: offer } })
      for (const data of ice)
        await alice.client.call('calls.signal', { callId, signal: { kind: 'ice', data } })
      await bob.client.call('calls.signal', { callId, signal: { kind: 'answer', data: answer } })
      await bob.client.call('calls.signal', { callId, signal: { kind: 'ice', data: ice[0]! } })
      await eventually('signals through', async () =>
        atBob.seen.length >= 3 && atAlice.seen.length >= 2 ? true : undefined,
      )
      assert.deepEqual(
        atBob.seen.map((e) => [e.callId, e.signal.kind, e.signal.data]),
        [[callId, 'offer', offer], ...ice.map((d) => [callId, 'ice', d])],
      )
      assert.deepEqual(
        atAlice.seen.map((e) => [e.signal.kind, e.signal.data]),
        [
          ['answer', answer],
          ['ice', ice[0]],
        ],
      )
    } finally {
      atBob.off()
      atAlice.off()
    }

    // each side is connected when its own media owner says so
    const bobConnected = await bob.client.call('calls.media', { callId, state: 'connected' })
    assert.equal(bobConnected.call.state, 'connected')
    const aliceConnected = await alice.client.call('calls.media', { callId, state: 'connected' })
    assert.equal(aliceConnected.call.state, 'connected')

    const bobEnded = ended(bob.client, callId)
    const hung = await alice.client.call('calls.hangup', { callId })
    assert.equal(hung.call.state, 'ended')
    assert.equal(hung.call.endReason, 'hangup')
    const atBobEnd = await bobEnded
    assert.equal(atBobEnd.call.endReason, 'hangup')
    assert.equal(atBobEnd.call.missed, false)

    // the history line on both sides, and the call log
    const aliceLine = await eventually('history at alice', async () =>
      (await historyLines(alice.client, bob.userId)).find((m) => m.id === callId),
    )
    assert.equal(aliceLine.call?.kind, 'outgoing')
    assert.equal(aliceLine.direction, 'out')
    assert.match(aliceLine.text, /^Outgoing call, \d+:\d\d$/)
    const bobLine = await eventually('history at bob', async () =>
      (await historyLines(bob.client, alice.userId)).find((m) => m.id === callId),
    )
    assert.equal(bobLine.call?.kind, 'incoming')
    assert.equal(bobLine.call?.endReason, 'hangup')
    const aliceList = await alice.client.call('calls.list', {})
    assert.equal(aliceList.calls[0]?.callId, callId)
    assert.equal(aliceList.calls[0]?.state, 'ended')
    await assert.rejects(alice.client.call('calls.mediaKeys', { callId }), /no live call/)

    // `wren calls` lists it
    const cli = await runWren(['calls'], { home: alice.daemon.home, profile: alice.daemon.profile })
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stdout, /→ Bob {2}\d+ s/)

    // `wren calls --relay-only on` changes the setting the media owner reads with the ICE servers
    const opts = { home: alice.daemon.home, profile: alice.daemon.profile }
    assert.deepEqual(await alice.client.call('calls.iceServers', {}), { iceServers: [], relayOnly: false })
    const on = await runWren(['calls', '--relay-only', 'on'], opts)
    assert.equal(on.code, 0, on.stderr)
    assert.match(on.stdout, /Relay calls only: on/)
    assert.deepEqual(await alice.client.call('calls.iceServers', {}), { iceServers: [], relayOnly: true })
    assert.equal((await runWren(['calls', '--relay-only', 'maybe'], opts)).code === 0, false)
    assert.match((await runWren(['calls', '--relay-only', 'off'], opts)).stdout, /Relay calls only: off/)
  })

  test('bob declines: alice ends with declined, bob with declined; history says so', async () => {
    const incoming = waitForEvent(bob.client, 'call.incoming', (p) => p.call.peerUserId === alice.userId)
    const { callId } = await alice.client.call('calls.start', { contactId: bob.userId })
    await incoming
    const aliceEnded = ended(alice.client, callId)
    const declined = await bob.client.call('calls.decline', { callId })
    assert.equal(declined.call.endReason, 'declined')
    assert.equal((await aliceEnded).call.endReason, 'declined')
    const line = await eventually('history at alice', async () =>
      (await historyLines(alice.client, bob.userId)).find((m) => m.id === callId),
    )
    assert.equal(line.text, 'Outgoing call, declined')
  })

  test('busy: carol calls bob while bob is in a call with alice; carol ends busy, bob has a missed call from carol', async () => {
    const incoming = waitForEvent(bob.client, 'call.incoming', (p) => p.call.peerUserId === alice.userId)
    const { callId } = await alice.client.call('calls.start', { contactId: bob.userId })
    await incoming
    await bob.client.call('calls.accept', { callId })
    // alice cannot start a second call while this one is live
    await assert.rejects(alice.client.call('calls.start', { contactId: carol.userId }), /already in progress/)

    const carolCall = await carol.client.call('calls.start', { contactId: bob.userId })
    const carolEnd = await ended(carol.client, carolCall.callId)
    assert.equal(carolEnd.call.endReason, 'busy')
    const missed = await eventually('missed call from carol at bob', async () =>
      (await historyLines(bob.client, carol.userId)).find((m) => m.id === carolCall.callId),
    )
    assert.equal(missed.call?.kind, 'missed')
    assert.equal(missed.call?.endReason, 'busy')
    // bob's call with alice is untouched
    const live = (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
    assert.equal(live?.state, 'connecting')

    const bobEnded = ended(bob.client, callId)
    await alice.client.call('calls.hangup', { callId })
    await bobEnded
  })

  test('nobody answers: after the ring timeout alice ends with timeout and bob has a missed call', async () => {
    const incoming = waitForEvent(bob.client, 'call.incoming', (p) => p.call.peerUserId === alice.userId)
    const started = Date.now()
    const { callId } = await alice.client.call('calls.start', { contactId: bob.userId })
    await incoming
    const bobEnded = ended(bob.client, callId)
    const aliceEnd = await ended(alice.client, callId)
    assert.equal(aliceEnd.call.endReason, 'timeout')
    assert.ok(Date.now() - started >= RING_MS - 100, 'ended by the ring timeout, not before')
    const atBob = await bobEnded
    assert.equal(atBob.call.endReason, 'timeout')
    assert.equal(atBob.call.missed, true)
    const line = await eventually('missed call at bob', async () =>
      (await historyLines(bob.client, alice.userId)).find((m) => m.id === callId),
    )
    assert.equal(line.text, 'Missed call')
    assert.equal(line.status, 'delivered', 'a missed call is unread until read')
    const aliceLine = await eventually('history at alice', async () =>
      (await historyLines(alice.client, bob.userId)).find((m) => m.id === callId),
    )
    assert.equal(aliceLine.text, 'Outgoing call, no answer')
  })

  test('bob offline: the offer waits in his mailbox past the ring timeout; back online he gets a missed call, never a ring', async () => {
    await bob.daemon.stop()
    const { callId } = await alice.client.call('calls.start', { contactId: bob.userId })
    const aliceEnd = await ended(alice.client, callId)
    assert.equal(aliceEnd.call.endReason, 'timeout')
    // the offer and alice's hang-up wait for bob (deposited in his mailbox, or still queued)
    let again: SpawnedDaemon | undefined
    try {
      again = await spawnDaemon({ home: bob.home, profile: bob.daemon.profile, keepHome: true, args })
      const rings = await collect(again.client, 'call.incoming')
      const received = await collect(again.client, 'message.received')
      const missedEvent = ended(again.client, callId)
      await again.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
      const missed = await missedEvent
      assert.equal(missed.call.missed, true)
      assert.equal(missed.call.endReason, 'timeout')
      assert.deepEqual(rings.seen, [], 'the stale offer did not ring')
      rings.off()
      const client = again.client
      const line = await eventually('missed call in history', async () =>
        (await historyLines(client, alice.userId)).find((m) => m.id === callId),
      )
      assert.equal(line.call?.kind, 'missed')
      const listed = (await client.call('calls.list', {})).calls.find((c) => c.callId === callId)
      assert.equal(listed?.missed, true)
      // the line is announced with the path the offer took: bob's mailbox
      const announced = received.seen.find((e) => e.message.id === callId)
      assert.equal(announced?.via, 'mailbox')
      received.off()
    } finally {
      await again?.stop()
    }
  })
})

/**
 * The signals of an accepted call on /wren/call/1.0.0, between real daemons (child processes)
 * over loopback with a relay for mailboxes: while the two daemons are connected, everything
 * after the accept (SDP, ICE, hang-up) goes on the stream — none of it is queued in the outbox
 * or deposited in a mailbox, and each daemon's 'call signalling' log line counts how its
 * signals went. When the bound device is gone mid-call, the late signals fall back to the
 * pairwise session and land in its mailboxes (the relay counts the deposits).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Call } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { signalling } from './fixtures/call-signalling.ts'
import { type ChatPeer, eventually, startPeer, waitForEvent } from './fixtures/chat.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'

/** The daemons' ring timeout in these tests, in ms: long enough to accept on a loaded machine. */
const RING_MS = 20_000
/** Bound on the fallback's deposits reaching the relay: a failed dial plus a retry or two. */
const DEPOSIT_WAIT_MS = 30_000

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

/** Envelopes the relay accepted into mailboxes so far (its Prometheus counter). */
async function deposits(relay: TestRelay): Promise<number> {
  if (relay.metricsUrl === undefined) throw new Error('relay has no metrics')
  const text = await (await fetch(relay.metricsUrl, { signal: AbortSignal.timeout(5_000) })).text()
  const match = /^wren_relay_mailbox_deposits_total(?:\{[^}]*\})?\s+(\d+)/m.exec(text)
  return match === null ? 0 : Number(match[1])
}

const inState = (client: WrenClient, callId: string, state: Call['state']) =>
  waitForEvent(client, 'call.state', (p) => p.call.callId === callId && p.call.state === state)

/** alice calls bob, bob accepts: both are connecting. */
async function acceptedCall(alice: ChatPeer, bob: ChatPeer): Promise<string> {
  const incoming = waitForEvent(bob.client, 'call.incoming', (p) => p.call.peerUserId === alice.userId)
  const { callId } = await alice.client.call('calls.start', { contactId: bob.userId })
  await incoming
  const aliceConnecting = inState(alice.client, callId, 'connecting')
  await bob.client.call('calls.accept', { callId })
  await aliceConnecting
  return callId
}

describe('an accepted call signals on /wren/call/1.0.0 between real daemons', () => {
  let relay: TestRelay
  let alice: ChatPeer
  let bob: ChatPeer

  before(async () => {
    relay = await startTestRelay()
    let args = ['--relay', relayAddr(relay), '--mailbox-fetch-ms', '1000', '--retry-max-ms', '2000']
    args.push('--call-ring-ms', String(RING_MS))
    alice = await startPeer('Alice', { args })
    args = [...args, ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
    bob = await startPeer('Bob', { args })
    await alice.client.call('contacts.add', { card: bob.card })
    await bob.client.call('contacts.add', { card: alice.card })
    for (const p of [alice, bob])
      await eventually('mailbox registered and bundle published', async () => {
        const status = await p.client.call('node.status', {})
        return status.mailboxes === 1 && status.bundlePublished ? true : undefined
      })
    // the pairwise sessions exist (and the two daemons are connected) before the first call
    for (const [from, to] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const text = `hello from ${from.userId}`
      const got = waitForEvent(to.client, 'message.received', (p) => p.message.text === text)
      await from.client.call('messages.send', { conversationId: `dm:${to.userId}`, text })
      await got
    }
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
    await relay?.stop()
  })

  test('connected: SDP, ICE and hang-up go on the stream; only invite, ringing and accept use the session, nothing is deposited', async () => {
    const before = await deposits(relay)
    const callId = await acceptedCall(alice, bob)

    const offer = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n${'a=x\r\n'.repeat(400)}☎\r\n`
    const ice = ['{"candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host"}', '{"candidate":"b"}', '{}']
    const atBob: string[] = []
    const atAlice: string[] = []
    const offBob = await bob.client.on('call.signal', (p) => atBob.push(`${p.signal.kind}:${p.signal.data}`))
    const offAlice = await alice.client.on('call.signal', (p) =>
      atAlice.push(`${p.signal.kind}:${p.signal.data}`),
    )
    try {
      await alice.client.call('calls.signal', { callId, signal: { kind: 'offer', data: offer } })
      for (const data of ice)
        await alice.client.call('calls.signal', { callId, signal: { kind: 'ice', data } })
      await bob.client.call('calls.signal', { callId, signal: { kind: 'answer', data: 'v=0\r\nanswer' } })
      await bob.client.call('calls.signal', { callId, signal: { kind: 'ice', data: ice[0]! } })
      await eventually('signals through', async () =>
        atBob.length >= 4 && atAlice.length >= 2 ? true : undefined,
      )
    } finally {
      offBob()
      offAlice()
    }
    // in order and byte-identical, as over the session
    assert.deepEqual(atBob, [`offer:${offer}`, ...ice.map((d) => `ice:${d}`)])
    assert.deepEqual(atAlice, ['answer:v=0\r\nanswer', `ice:${ice[0]}`])

    await alice.client.call('calls.media', { callId, state: 'connected' })
    const bobEnded = inState(bob.client, callId, 'ended')
    await alice.client.call('calls.hangup', { callId })
    assert.equal((await bobEnded).call.endReason, 'hangup')

    // alice: the invite over the session; the offer, three candidates and the hang-up on the stream
    assert.deepEqual(await signalling(alice, callId), {
      overSession: 1,
      overStream: 5,
      receivedOverStream: 2,
    })
    // bob: ringing and accept over the session; the answer and a candidate on the stream
    assert.deepEqual(await signalling(bob, callId), { overSession: 2, overStream: 2, receivedOverStream: 5 })
    // nothing of the call went to a mailbox (the session's signals were delivered directly)
    assert.equal(await deposits(relay), before)
  })

  test('the bound device gone mid-call: late ICE and the hang-up fall back to the session and reach its mailbox', async () => {
    const callId = await acceptedCall(alice, bob)
    const offerAt = waitForEvent(bob.client, 'call.signal', (p) => p.callId === callId)
    await alice.client.call('calls.signal', { callId, signal: { kind: 'offer', data: 'v=0\r\nfirst' } })
    await offerAt
    const before = await deposits(relay)

    // bob's daemon dies without a word (no hang-up): its connection goes with it
    process.kill(bob.daemon.pid, 'SIGKILL')
    await eventually('bob is gone', async () => (bob.daemon.alive() ? undefined : true))
    await alice.client.call('calls.signal', { callId, signal: { kind: 'ice', data: '{"candidate":"late"}' } })
    await alice.client.call('calls.hangup', { callId })

    // the offer went on the stream; the late candidate and the hang-up over the session
    assert.deepEqual(await signalling(alice, callId), {
      overSession: 3,
      overStream: 1,
      receivedOverStream: 0,
    })
    // and the session deposited them in bob's mailbox, where the restarted device would find them
    await eventually(
      'late signals deposited',
      async () => ((await deposits(relay)) > before ? true : undefined),
      DEPOSIT_WAIT_MS,
    )
  })
})

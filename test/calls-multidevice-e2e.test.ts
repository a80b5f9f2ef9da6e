/**
 * A call to a user with two devices (issues 15 and 18), between real daemons: Bob calls Alice,
 * and both of her devices ring (the invite fans out like a message). Her first device answers;
 * the call is bound to it. Her second device, still ringing, answers late and its media fails:
 * its accept and its hang-up (failed-ice) reach Bob's daemon, which drops them as another
 * device's — the call with the first device stays connected — and Bob's hang-up then ends it on
 * the first device. (Before the binding, the second device's hang-up ended Bob's call.) In a
 * second call, once the first device answered, Bob's daemon tells Alice's devices over the
 * session (its media signals go on /wren/call to the first device only); the second device
 * stops ringing: answered elsewhere, not a missed call, nothing sent to Bob.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** Time for a link, a pushed device list or a first session on a loaded 2-core machine. */
const DEVICE_TIMEOUT_MS = 60_000
/** Ring timeout of every daemon here, in ms: long enough for the late answer, short for a test. */
const RING_MS = 20_000

describe('a call to a user with two devices', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let second: SpawnedDaemon | undefined

  before(async () => {
    const args = ['--call-ring-ms', String(RING_MS)]
    ;({ alice, bob } = await startPair(args))
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hello from bob')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hello from bob' })
    await atAlice
    second = await spawnDaemon({ args })
    const client = second.client
    const { code } = await client.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    const shown = waitForEvent(client, 'device.linkConfirm', (p) => p.role === 'new')
    const { confirmation } = await alice.client.call('devices.link', { code })
    const onNew = await shown
    await client.call('devices.confirm', { confirmation: onNew.confirmation })
    await alice.client.call('devices.confirm', { confirmation })
    await eventually(
      'the linked node started',
      async () => client.call('devices.list', {}).catch(() => undefined),
      DEVICE_TIMEOUT_MS,
    )
    await eventually(
      "alice's list v2 pinned at bob",
      async () =>
        (await bob.client.call('devices.list', { userId: alice.userId })).version === 2 ? true : undefined,
      DEVICE_TIMEOUT_MS,
    )
  })

  after(async () => {
    await second?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('both devices ring; the first answers; the second’s late answer and hang-up do not end the call', async () => {
    assert.ok(second !== undefined)
    const other = second.client
    const ringsFirst = waitForEvent(alice.client, 'call.incoming', () => true, DEVICE_TIMEOUT_MS)
    const ringsSecond = waitForEvent(other, 'call.incoming', () => true, DEVICE_TIMEOUT_MS)
    const { callId } = await bob.client.call('calls.start', { contactId: alice.userId })
    assert.equal((await ringsFirst).call.callId, callId)
    assert.equal((await ringsSecond).call.callId, callId, 'the second device rings too')

    const connecting = waitForEvent(
      bob.client,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'connecting',
    )
    await alice.client.call('calls.accept', { callId })
    await connecting
    await bob.client.call('calls.media', { callId, state: 'connected' })
    await alice.client.call('calls.media', { callId, state: 'connected' })

    // the second device answers late; no offer comes to it, and its media fails
    const secondEnded = waitForEvent(
      other,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'ended',
    )
    await other.call('calls.accept', { callId })
    await other.call('calls.media', { callId, state: 'failed-ice' })
    assert.equal((await secondEnded).call.endReason, 'failed-ice')
    // a message from the second device after its hang-up: once it is at Bob, the hang-up (sent
    // before it, in order over the same session) was handled there too
    const text = 'after the second device hung up'
    const marker = waitForEvent(
      bob.client,
      'message.received',
      (p) => p.message.text === text,
      DEVICE_TIMEOUT_MS,
    )
    await other.call('messages.send', { conversationId: `dm:${bob.userId}`, text })
    await marker
    const atBob = (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
    assert.equal(atBob?.state, 'connected', 'bob’s call with the first device goes on')

    const firstEnded = waitForEvent(
      alice.client,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'ended',
    )
    await bob.client.call('calls.hangup', { callId })
    assert.equal((await firstEnded).call.endReason, 'hangup')
  })

  test('the first device answers and the caller tells the second: it stops ringing, answered elsewhere, not missed', async () => {
    assert.ok(second !== undefined)
    const other = second.client
    const ringsFirst = waitForEvent(alice.client, 'call.incoming', () => true, DEVICE_TIMEOUT_MS)
    const ringsSecond = waitForEvent(other, 'call.incoming', () => true, DEVICE_TIMEOUT_MS)
    const { callId } = await bob.client.call('calls.start', { contactId: alice.userId })
    await Promise.all([ringsFirst, ringsSecond])
    const connecting = waitForEvent(
      bob.client,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'connecting',
    )
    await alice.client.call('calls.accept', { callId })
    await connecting
    const secondEnded = waitForEvent(
      other,
      'call.state',
      (p) => p.call.callId === callId && p.call.state === 'ended',
      DEVICE_TIMEOUT_MS,
    )
    const offerAtFirst = waitForEvent(alice.client, 'call.signal', (p) => p.callId === callId)
    // what Bob's media owner would send once the call is accepted (opaque to the daemons)
    await bob.client.call('calls.signal', { callId, signal: { kind: 'offer', data: 'v=0 an offer' } })
    assert.equal((await offerAtFirst).signal.data, 'v=0 an offer')
    const ended = (await secondEnded).call
    assert.equal(ended.endReason, 'answered-elsewhere')
    assert.equal(ended.missed, false)
    const atBob = (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
    assert.equal(atBob?.state, 'connecting', 'the second device said nothing to bob')
    await bob.client.call('calls.hangup', { callId })
  })
})

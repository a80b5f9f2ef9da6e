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
 *
 * The early-accept race: both of Alice's devices accept before either can have heard of the
 * other's accept (Bob's daemon is held stopped with SIGSTOP meanwhile, so neither accept reaches
 * it and no answered-elsewhere can come back). Bob's daemon binds the call to the accept it reads
 * first and names that device's media key in its answered-elsewhere; the other device, already
 * connecting, ends answered elsewhere (before, it waited for an offer that never came and failed
 * with failed-ice at the connect timeout). And a device the invite reaches only after the first
 * answered (it was held stopped), with a bot that accepts the moment it rings, ends the same way.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { EventPayload } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** Time for a link, a pushed device list or a first session on a loaded 2-core machine. */
const DEVICE_TIMEOUT_MS = 60_000
/** Ring timeout of every daemon here, in ms: long enough for the late answer, short for a test. */
const RING_MS = 20_000

type CallEvent =
  | { readonly event: 'call.incoming' | 'call.state'; readonly call: EventPayload<'call.state'>['call'] }
  | { readonly event: 'call.signal'; readonly callId: string }

/** Every call event `client` announces from now on; subscribed when this resolves. */
async function collectCallEvents(client: WrenClient): Promise<{ events: CallEvent[]; stop: () => void }> {
  const events: CallEvent[] = []
  const offs = await Promise.all([
    client.on('call.incoming', (p) => events.push({ event: 'call.incoming', call: p.call })),
    client.on('call.state', (p) => events.push({ event: 'call.state', call: p.call })),
    client.on('call.signal', (p) => events.push({ event: 'call.signal', callId: p.callId })),
  ])
  return {
    events,
    stop: () => {
      for (const off of offs) off()
    },
  }
}

/** The state events of `callId` among `events`. */
function statesOf(events: readonly CallEvent[], callId: string) {
  return events.flatMap((e) => (e.event !== 'call.signal' && e.call.callId === callId ? [e.call] : []))
}

/** Hold `daemon` stopped (SIGSTOP) while `run` runs, and let it go on after (SIGCONT), whatever happens. */
async function whileStopped<T>(daemon: SpawnedDaemon, run: () => Promise<T>): Promise<T> {
  process.kill(daemon.pid, 'SIGSTOP')
  try {
    return await run()
  } finally {
    process.kill(daemon.pid, 'SIGCONT')
  }
}

/** Wait until no daemon of `clients` has a live call (a previous test's hang-up reached them all). */
async function noLiveCalls(clients: readonly WrenClient[]): Promise<void> {
  await eventually(
    'no live call left',
    async () => {
      for (const client of clients) {
        const { calls } = await client.call('calls.list', {})
        if (calls.some((c) => c.state !== 'ended')) return undefined
      }
      return true
    },
    DEVICE_TIMEOUT_MS,
  )
}

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

  test('both devices ring; the first answers; the second’s late answer and hang-up do not end the call', async (t) => {
    assert.ok(second !== undefined)
    const other = second.client
    const atOther = await collectCallEvents(other)
    t.after(() => atOther.stop())
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

    // the second device answers late; no offer comes to it, and its media fails. Bob's daemon
    // tells it meanwhile that the call was answered elsewhere (naming the first device): when that
    // comes first the late accept is refused, and when it comes between the accept and the media
    // report the call ends answered elsewhere — whichever way, nothing of it may end Bob's call
    const gone = (what: string) => (error: Error) => {
      assert.match(error.message, /no live call/)
      return what
    }
    const path = await other
      .call('calls.accept', { callId })
      .then(
        async () =>
          other
            .call('calls.media', { callId, state: 'failed-ice' })
            .then(
              () => 'accepted; its media failed',
              gone('accepted; answered elsewhere before its media failed'),
            ),
        gone('answered elsewhere before it accepted'),
      )
    t.diagnostic(`the second device: ${path}`)
    const secondEnded = await eventually(
      'the second device ended',
      async () => statesOf(atOther.events, callId).find((c) => c.state === 'ended'),
      DEVICE_TIMEOUT_MS,
    )
    assert.equal(
      secondEnded.endReason,
      path === 'accepted; its media failed' ? 'failed-ice' : 'answered-elsewhere',
    )
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

  test('both devices accept before either hears of the other: one is bound, the other ends answered elsewhere and never connects', async (t) => {
    assert.ok(second !== undefined)
    const devices = [alice.client, second.client]
    await noLiveCalls([bob.client, ...devices])
    const seen = await Promise.all([bob.client, ...devices].map(collectCallEvents))
    const [atBob, ...atDevices] = seen as [(typeof seen)[0], ...typeof seen]
    try {
      const { callId } = await bob.client.call('calls.start', { contactId: alice.userId })
      await eventually(
        'both devices ring',
        async () =>
          atDevices.every((d) =>
            d.events.some((e) => e.event === 'call.incoming' && e.call.callId === callId),
          )
            ? true
            : undefined,
        DEVICE_TIMEOUT_MS,
      )
      // neither accept can reach Bob's daemon while it is stopped, so no device can have been
      // told the call was answered elsewhere when it accepts: both accepts succeed
      await whileStopped(bob.daemon, () =>
        Promise.all(devices.map((c) => c.call('calls.accept', { callId }))),
      )
      await eventually(
        'bob connecting',
        async () => (statesOf(atBob.events, callId).some((c) => c.state === 'connecting') ? true : undefined),
        DEVICE_TIMEOUT_MS,
      )
      await bob.client.call('calls.signal', { callId, signal: { kind: 'offer', data: 'v=0 an offer' } })
      const ended = (i: number) =>
        statesOf(atDevices[i]?.events ?? [], callId).find((c) => c.state === 'ended')
      const offered = (i: number) =>
        (atDevices[i]?.events ?? []).some((e) => e.event === 'call.signal' && e.callId === callId)
      // the device whose accept Bob read first gets the offer; the other ends
      const { bound, other } = await eventually(
        'one device bound, the other ended',
        async () => {
          const bound = [0, 1].find(offered)
          if (bound === undefined || ended(1 - bound) === undefined) return undefined
          return { bound, other: 1 - bound }
        },
        DEVICE_TIMEOUT_MS,
      )
      t.diagnostic(`bound to the ${bound === 0 ? 'first' : 'second'} device`)
      const lost = ended(other)
      assert.equal(lost?.endReason, 'answered-elsewhere')
      assert.equal(lost?.missed, false)
      const otherStates = statesOf(atDevices[other]?.events ?? [], callId).map((c) => c.state)
      assert.ok(
        !otherStates.includes('connected'),
        `the other device never connects: ${otherStates.join(', ')}`,
      )
      assert.equal(offered(other), false, 'no offer reached the other device')
      const otherClient = devices[other] as WrenClient
      await assert.rejects(
        otherClient.call('calls.media', { callId, state: 'connected' }),
        'its call is over',
      )
      const boundClient = devices[bound] as WrenClient
      assert.equal(ended(bound), undefined)
      await boundClient.call('calls.media', { callId, state: 'connected' })
      await bob.client.call('calls.media', { callId, state: 'connected' })
      const atBobNow = (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
      assert.equal(atBobNow?.state, 'connected', 'the other device’s accept did not disturb bob’s call')
      await bob.client.call('calls.hangup', { callId })
      await eventually(
        'the bound device hung up',
        async () => (ended(bound)?.endReason === 'hangup' ? true : undefined),
        DEVICE_TIMEOUT_MS,
      )
    } finally {
      for (const s of seen) s.stop()
    }
  })

  test('the invite reaches the second device only after the first answered: it ends answered elsewhere, even accepting the moment it rings', async (t) => {
    assert.ok(second !== undefined)
    const late = second
    await noLiveCalls([bob.client, alice.client, late.client])
    const atLate = await collectCallEvents(late.client)
    // a bot on the second device accepts the moment its call rings (as `wren answer` does)
    const accepted: Promise<string>[] = []
    const offBot = await late.client.on('call.incoming', (p) => {
      accepted.push(
        late.client.call('calls.accept', { callId: p.call.callId }).then(
          () => 'accepted',
          (error: Error) => `refused: ${error.message}`,
        ),
      )
    })
    try {
      // the second device is stopped while the call is placed and answered on the first
      const callId = await whileStopped(late, async () => {
        const ringsFirst = waitForEvent(alice.client, 'call.incoming', () => true, DEVICE_TIMEOUT_MS)
        const { callId } = await bob.client.call('calls.start', { contactId: alice.userId })
        assert.equal((await ringsFirst).call.callId, callId)
        const offerAtFirst = waitForEvent(
          alice.client,
          'call.signal',
          (p) => p.callId === callId,
          DEVICE_TIMEOUT_MS,
        )
        const connecting = waitForEvent(
          bob.client,
          'call.state',
          (p) => p.call.callId === callId && p.call.state === 'connecting',
          DEVICE_TIMEOUT_MS,
        )
        await alice.client.call('calls.accept', { callId })
        await connecting
        await bob.client.call('calls.signal', { callId, signal: { kind: 'offer', data: 'v=0 an offer' } })
        await offerAtFirst
        return callId
      })
      const ended = await eventually(
        'the second device ended the call',
        async () => statesOf(atLate.events, callId).find((c) => c.state === 'ended'),
        DEVICE_TIMEOUT_MS,
      )
      t.diagnostic(`the second device's bot: ${(await Promise.all(accepted)).join('; ') || 'never rang'}`)
      assert.equal(ended.endReason, 'answered-elsewhere')
      assert.equal(ended.missed, false)
      const states = statesOf(atLate.events, callId).map((c) => c.state)
      assert.ok(!states.includes('connected'), `the second device never connects: ${states.join(', ')}`)
      assert.ok(
        !atLate.events.some((e) => e.event === 'call.signal' && e.callId === callId),
        'no offer reached it',
      )
      const atBob = (await bob.client.call('calls.list', {})).calls.find((c) => c.callId === callId)
      assert.equal(atBob?.state, 'connecting', 'bob’s call with the first device goes on')
      const firstEnded = waitForEvent(
        alice.client,
        'call.state',
        (p) => p.call.callId === callId && p.call.state === 'ended',
        DEVICE_TIMEOUT_MS,
      )
      await bob.client.call('calls.hangup', { callId })
      await firstEnded
    } finally {
      offBot()
      atLate.stop()
    }
  })
})

/**
 * Ephemeral rooms through the daemon (issue 19 item 1, RPC rooms.*): two real daemons (child
 * processes) meet in the room of one code through a real relay (a child process serving the DHTs
 * and the circuit), chat both ways over room.message, and one leaving ends the room on both
 * sides. The lines are in no file of either profile nor the relay's store, nor in the daemons'
 * logs. A locked daemon answers LOCKED, and locking ends a room that is open.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { EventName, EventPayload } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { fileContaining } from './fixtures/files-under.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'

/** Bound on meeting: two slow hashes (~1 s each under load), a reservation, DHT rounds of 2 s. */
const MEET_TIMEOUT_MS = 60_000
/** Bound on one line crossing, or on a room ending after a leave. */
const LINE_TIMEOUT_MS = 20_000

let relay: TestRelay
let alice: ChatPeer
let bob: ChatPeer

before(async () => {
  relay = await startTestRelay({ mode: 'process' })
  const tcp = relay.multiaddrs.find((m) => m.toString().includes('/tcp/') && !m.toString().includes('/ws'))
  assert.ok(tcp, 'relay has a TCP address')
  const addr = tcp.toString().includes('/p2p/') ? tcp.toString() : `${tcp.toString()}/p2p/${relay.peerId}`
  alice = await startPeer('Alice', { args: ['--relay', addr, '--no-mdns'] })
  bob = await startPeer('Bob', { args: ['--relay', addr, '--no-mdns'] })
})

after(async () => {
  await Promise.allSettled([alice?.stop(), bob?.stop()])
  await relay?.stop()
})

const errorName = (name: string) => (e: RpcError) => e.errorName === name

/** Every event of one kind from now on (subscribed before the action that causes it). */
async function record<E extends EventName>(client: WrenClient, event: E) {
  const seen: EventPayload<E>[] = []
  const off = await client.on(event, ((payload: EventPayload<E>) => seen.push(payload)) as never)
  return { seen, off }
}

test('two daemons join the room of one code through a relay, chat both ways, and one leaving ends it on both', async () => {
  const [aState, bState] = await Promise.all([
    record(alice.client, 'room.state'),
    record(bob.client, 'room.state'),
  ])
  const [aMsg, bMsg] = await Promise.all([
    record(alice.client, 'room.message'),
    record(bob.client, 'room.message'),
  ])
  try {
    const created = await alice.client.call('rooms.create', {})
    assert.equal(created.role, 'created')
    assert.match(created.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    const joined = await bob.client.call('rooms.join', { code: created.code.toLowerCase() })
    assert.equal(joined.role, 'joined')
    assert.equal(joined.code, created.code)
    await assert.rejects(
      bob.client.call('rooms.send', { roomId: joined.roomId, text: 'too early' }),
      errorName('UNAVAILABLE'),
    )

    const connected = (seen: EventPayload<'room.state'>[], roomId: string) => () =>
      Promise.resolve(seen.some((e) => e.roomId === roomId && e.state === 'connected') ? true : undefined)
    await eventually('alice connected', connected(aState.seen, created.roomId), MEET_TIMEOUT_MS)
    await eventually('bob connected', connected(bState.seen, joined.roomId), MEET_TIMEOUT_MS)
    // the states came in the machine's order, each once
    assert.deepEqual(
      aState.seen.filter((e) => e.roomId === created.roomId).map((e) => e.state),
      ['searching', 'found', 'key-setup', 'connected'],
    )
    assert.deepEqual(
      (await alice.client.call('rooms.list', {})).rooms.map((r) => r.state),
      ['connected'],
    )

    await alice.client.call('rooms.send', { roomId: created.roomId, text: 'osprey above the dam 2718' })
    const got = await eventually(
      'bob gets the line',
      async () => bMsg.seen.find((m) => m.text === 'osprey above the dam 2718'),
      LINE_TIMEOUT_MS,
    )
    assert.equal(got.from, 'them')
    assert.equal(got.roomId, joined.roomId)
    assert.ok(aMsg.seen.some((m) => m.from === 'me' && m.text === 'osprey above the dam 2718'))
    await bob.client.call('rooms.send', { roomId: joined.roomId, text: 'wagtail on the sluice 3141' })
    await eventually(
      'alice gets the answer',
      async () => aMsg.seen.find((m) => m.from === 'them' && m.text === 'wagtail on the sluice 3141'),
      LINE_TIMEOUT_MS,
    )

    assert.deepEqual(await alice.client.call('rooms.leave', { roomId: created.roomId }), { left: true })
    const ended = (seen: EventPayload<'room.state'>[], roomId: string) => async () =>
      seen.find((e) => e.roomId === roomId && e.state === 'destroyed')
    const aEnd = await eventually('alice ended', ended(aState.seen, created.roomId), LINE_TIMEOUT_MS)
    const bEnd = await eventually('bob ended', ended(bState.seen, joined.roomId), LINE_TIMEOUT_MS)
    assert.equal(aEnd.reason, 'quit')
    assert.equal(bEnd.reason, 'peer-quit')
    assert.match(bEnd.detail ?? '', /left the room/)
    assert.deepEqual((await alice.client.call('rooms.list', {})).rooms, [])
    assert.deepEqual((await bob.client.call('rooms.list', {})).rooms, [])
    await assert.rejects(
      bob.client.call('rooms.send', { roomId: joined.roomId, text: 'gone' }),
      errorName('NOT_FOUND'),
    )
  } finally {
    for (const r of [aState, bState, aMsg, bMsg]) r.off()
  }
  for (const needle of ['osprey above the dam', 'wagtail on the sluice']) {
    assert.equal(
      await fileContaining([alice.home, bob.home, relay.dataDir], needle),
      null,
      `no "${needle}" in any file`,
    )
    for (const peer of [alice, bob])
      assert.ok(!peer.daemon.logs.some((line) => line.includes(needle)), `no "${needle}" in the logs`)
  }
})

test('a malformed code is INVALID_INPUT and opens no room', async () => {
  await assert.rejects(
    alice.client.call('rooms.join', { code: 'ABCD-EFGH-UUUU' }),
    errorName('INVALID_INPUT'),
  )
  assert.deepEqual((await alice.client.call('rooms.list', {})).rooms, [])
})

test('locking the profile ends an open room, and a locked daemon answers LOCKED', async () => {
  const states = await record(bob.client, 'room.state')
  try {
    const room = await bob.client.call('rooms.create', {})
    assert.deepEqual(await bob.client.call('identity.lock', {}), { locked: true })
    const end = await eventually(
      'the room ended',
      async () => states.seen.find((e) => e.roomId === room.roomId && e.state === 'destroyed'),
      LINE_TIMEOUT_MS,
    )
    assert.match(end.detail ?? '', /profile locked/)
    await assert.rejects(bob.client.call('rooms.create', {}), errorName('LOCKED'))
    await assert.rejects(bob.client.call('rooms.list', {}), errorName('LOCKED'))
    await bob.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    await eventually(
      'the node runs again',
      async () => (await bob.client.call('rooms.list', {}).catch(() => undefined))?.rooms,
    ).then((rooms) => assert.deepEqual(rooms, []))
  } finally {
    states.off()
  }
})

/**
 * WrenClient with `reconnect`, against real daemons: bob's daemon restarts, and a message reaches
 * it while the client is still away; when the client is back (its first attempt is held back so
 * the gap is certain) it hands that message to its message handler — once — and later messages
 * arrive live, each once. Likewise a status our message reached while the client was away (read
 * by the contact) is handed to its status handlers once when it is back.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../node/src/rpc/api.ts'
import { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** The client's first reconnect attempt: long enough for bob to restart and receive a message. */
const RECONNECT_AFTER_MS = 8_000
/** Bound on a delivery, and on the client being back. */
const WAIT_MS = 30_000

describe('WrenClient reconnects after a daemon restart', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let restarted: SpawnedDaemon | undefined
  let client: WrenClient | undefined

  before(async () => {
    ;({ alice, bob } = await startPair())
  })
  after(async () => {
    await client?.close()
    await restarted?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('a message that arrived while the client was away is handed over once when it is back; later ones live', async () => {
    client = await WrenClient.connectProfile({
      home: bob.daemon.home,
      profile: bob.daemon.profile,
      reconnect: true,
      reconnectMinMs: RECONNECT_AFTER_MS,
    })
    const got: Message[] = []
    await client.on('message', (m) => got.push(m))
    let reconnects = 0
    client.onReconnect(() => {
      reconnects++
    })
    const before = { conversationId: `dm:${bob.userId}` }
    await alice.client.call('messages.send', { ...before, text: 'before the restart' })
    await eventually(
      'the first message live',
      async () => got.find((m) => m.text === 'before the restart'),
      WAIT_MS,
    )

    await bob.daemon.stop()
    restarted = await spawnDaemon({
      home: bob.daemon.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: alice.addrs.flatMap((a) => ['--bootstrap', a]),
    })
    await restarted.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    await alice.client.call('messages.send', { ...before, text: 'while the client was away' })
    const own = restarted.client
    await eventually(
      'bob’s daemon holds the message',
      async () =>
        (await own.call('messages.list', { conversationId: `dm:${alice.userId}` })).messages.find(
          (m) => m.text === 'while the client was away',
        ),
      WAIT_MS,
    )
    assert.equal(reconnects, 0, 'the message arrived before the client was back (the gap this test is about)')

    await eventually('the client back', async () => (reconnects > 0 ? true : undefined), WAIT_MS)
    await eventually(
      'the missed message handed over',
      async () => got.find((m) => m.text === 'while the client was away'),
      WAIT_MS,
    )
    await alice.client.call('messages.send', { ...before, text: 'after the client is back' })
    await eventually(
      'a live message after',
      async () => got.find((m) => m.text === 'after the client is back'),
      WAIT_MS,
    )
    assert.deepEqual(
      got.map((m) => m.text),
      ['before the restart', 'while the client was away', 'after the client is back'],
      'each once, in order',
    )
  })

  test('a status our message reached while the client was away is handed over once when it is back', async () => {
    assert.ok(restarted !== undefined, 'bob’s daemon from the test before')
    const statuses = await WrenClient.connectProfile({
      home: bob.daemon.home,
      profile: bob.daemon.profile,
      reconnect: true,
      reconnectMinMs: RECONNECT_AFTER_MS,
    })
    try {
      const seen: Array<{ messageId: string; status: string }> = []
      await statuses.onStatus((p) => seen.push({ messageId: p.messageId, status: p.status }))
      let reconnects = 0
      statuses.onReconnect(() => {
        reconnects++
      })
      const toAlice = { conversationId: `dm:${alice.userId}` }
      const { message } = await restarted.client.call('messages.send', { ...toAlice, text: 'read me later' })
      const count = (id: string, status: string) =>
        seen.filter((s) => s.messageId === id && s.status === status).length
      await eventually(
        'delivered, live',
        async () => (count(message.id, 'delivered') > 0 ? true : undefined),
        WAIT_MS,
      )

      await restarted.stop()
      restarted = await spawnDaemon({
        home: bob.daemon.home,
        profile: bob.daemon.profile,
        keepHome: true,
        args: alice.addrs.flatMap((a) => ['--bootstrap', a]),
      })
      const own = restarted.client
      await own.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
      await alice.client.call('messages.markRead', { conversationId: `dm:${bob.userId}` })
      await eventually(
        'read at bob’s daemon',
        async () =>
          (await own.call('messages.list', toAlice)).messages.find(
            (m) => m.id === message.id && m.status === 'read',
          ),
        WAIT_MS,
      )
      assert.equal(
        reconnects,
        0,
        'the status changed before the client was back (the gap this test is about)',
      )
      assert.equal(count(message.id, 'read'), 0)

      await eventually('the client back', async () => (reconnects > 0 ? true : undefined), WAIT_MS)
      await eventually(
        'the missed status handed over',
        async () => (count(message.id, 'read') > 0 ? true : undefined),
        WAIT_MS,
      )
      const { message: next } = await own.call('messages.send', {
        ...toAlice,
        text: 'after the client is back',
      })
      await eventually(
        'a live status after',
        async () => (count(next.id, 'delivered') > 0 ? true : undefined),
        WAIT_MS,
      )
      assert.equal(count(message.id, 'read'), 1, 'the missed status once')
      assert.equal(count(message.id, 'delivered'), 1, 'nothing known before is handed over again')
    } finally {
      await statuses.close()
    }
  })
})

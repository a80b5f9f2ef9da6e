/**
 * Disappearing messages between two real daemons (issue 19, direct chats): a 5-second timer set
 * by one side reaches the other as a line in the chat; each side's messages then vanish 5 s after
 * they were sent (ours) or read (theirs): gone from both histories and from every record of both
 * sealed stores (opened and scanned after the daemons stop). The timer survives a restart.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { TIMER_MIN_SECONDS } from '../core/src/conversation/disappearing.ts'
import type { Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { sealedStoreDump } from './fixtures/store-dump.ts'

/** Texts that must vanish from both stores once their timer ran out. */
const SECRET = 'the safe opens with 4471-ZK'
const SECRET_REPLY = 'noted, burning this 9QX'
/** The timer plus sweeps (1 s) and deliveries on a loaded 2-core machine. */
const EXPIRY_TIMEOUT_MS = TIMER_MIN_SECONDS * 1000 + 15_000

async function history(client: WrenClient, peerUserId: string): Promise<Message[]> {
  return (await client.call('messages.list', { conversationId: `dm:${peerUserId}`, limit: 500 })).messages
}

describe('disappearing messages between two daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let aliceAgain: SpawnedDaemon | undefined

  before(async () => {
    alice = await startPeer('Alice')
    bob = await startPeer('Bob', { args: alice.addrs.flatMap((a) => ['--bootstrap', a]) })
    await alice.client.call('contacts.add', { card: bob.card })
    await bob.client.call('contacts.add', { card: alice.card })
  })
  after(async () => {
    await aliceAgain?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('a 5 s timer set by one side shows on both as a line, and both sides apply it', async () => {
    await assert.rejects(
      alice.client.call('conversations.setTimer', { conversationId: `dm:${bob.userId}`, seconds: 3 }),
      (e: { code?: number }) => e.code === -32602,
    )
    const atBob = waitForEvent(
      bob.client,
      'conversation.timerChanged',
      (p) => p.seconds === TIMER_MIN_SECONDS,
    )
    const set = await alice.client.call('conversations.setTimer', {
      conversationId: `dm:${bob.userId}`,
      seconds: TIMER_MIN_SECONDS,
    })
    assert.equal(set.message?.text, 'Disappearing messages set to 5 seconds')
    const changed = await atBob
    assert.equal(changed.by, alice.userId)
    assert.equal(changed.conversationId, `dm:${alice.userId}`)
    assert.ok((await history(bob.client, alice.userId)).some((m) => m.text === set.message?.text))
  })

  test('messages vanish 5 s after sent (ours) or read (theirs): an unread one stays until read, then goes', async () => {
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === SECRET)
    const { message: sent } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: SECRET,
    })
    await atBob
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === SECRET_REPLY)
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: SECRET_REPLY })
    await atAlice
    await alice.client.call('messages.markRead', { conversationId: `dm:${bob.userId}` })
    const secrets = async (client: WrenClient, peer: string) =>
      (await history(client, peer)).map((m) => m.text).filter((t) => t === SECRET || t === SECRET_REPLY)
    await eventually(
      "alice's sent and read secrets gone, and bob's sent one",
      async () => {
        const left = [
          ...(await secrets(alice.client, bob.userId)),
          ...(await secrets(bob.client, alice.userId)),
        ]
        return left.length === 1 ? left : undefined
      },
      EXPIRY_TIMEOUT_MS,
    )
    assert.ok(Date.now() - sent.sentAt >= TIMER_MIN_SECONDS * 1000, 'not before the timer ran out')
    assert.deepEqual(
      await secrets(bob.client, alice.userId),
      [SECRET],
      'unread at bob: its timer has not started',
    )

    const readAt = Date.now()
    await bob.client.call('messages.markRead', { conversationId: `dm:${alice.userId}` })
    await eventually(
      'the secret gone at bob once read',
      async () => ((await secrets(bob.client, alice.userId)).length === 0 ? true : undefined),
      EXPIRY_TIMEOUT_MS,
    )
    assert.ok(Date.now() - readAt >= TIMER_MIN_SECONDS * 1000 - 1000, 'counted from the read')
    // the timer lines stay
    assert.ok((await history(alice.client, bob.userId)).some((m) => m.text.startsWith('Disappearing')))
  })

  test('the timer survives a restart, and the texts are in no record of either sealed store', async () => {
    await alice.daemon.stop()
    aliceAgain = await spawnDaemon({ home: alice.home, profile: alice.daemon.profile, keepHome: true })
    await aliceAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const again = await aliceAgain.client.call('conversations.setTimer', {
      conversationId: `dm:${bob.userId}`,
      seconds: TIMER_MIN_SECONDS,
    })
    assert.equal(again.message, null, 'the saved timer already is 5 s')
    await aliceAgain.stop()
    await bob.daemon.stop()
    for (const peer of [alice, bob]) {
      const dump = await sealedStoreDump(peer.home, peer.daemon.profile, TEST_PASSPHRASE)
      assert.ok(dump.length > 0)
      assert.ok(!dump.includes(SECRET), `${SECRET} left in a record`)
      assert.ok(!dump.includes(SECRET_REPLY), `${SECRET_REPLY} left in a record`)
    }
  })
})

/**
 * Every undelivered outgoing message says why it waits: in the RPC (Message.waiting and the
 * conversation.waiting event) and in `wren history`. Real daemons as processes, the real CLI.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventually, startPair, waitForEvent } from './fixtures/chat.ts'
import { runWren } from './fixtures/wren-cli.ts'

describe('why a message waits', () => {
  test('a message to a contact that went offline waits with reason peer-offline and a next attempt, shown in words by wren history; a delivered message has none', async () => {
    const { alice, bob } = await startPair()
    try {
      const conversationId = `dm:${bob.userId}`
      // a session first: then the only thing missing is bob himself
      const { message: hi } = await alice.client.call('messages.send', { conversationId, text: 'hi' })
      assert.equal(hi.waiting?.reason, 'sending', 'a new message is being sent')
      await eventually('hi delivered', async () => {
        const page = await alice.client.call('messages.list', { conversationId })
        const m = page.messages.find((x) => x.id === hi.id)
        return m?.status === 'delivered' ? m : undefined
      }).then((m) => assert.equal(m.waiting, undefined, 'a delivered message waits for nothing'))

      await bob.daemon.stop()
      const event = waitForEvent(
        alice.client,
        'conversation.waiting',
        (p) => p.waiting?.reason === 'peer-offline',
      )
      const { message } = await alice.client.call('messages.send', { conversationId, text: 'are you there?' })
      const announced = await event
      assert.equal(announced.conversationId, conversationId)
      const waiting = await eventually('a waiting reason with a next attempt', async () => {
        const page = await alice.client.call('messages.list', { conversationId })
        const m = page.messages.find((x) => x.id === message.id)
        return m?.waiting?.reason === 'peer-offline' && m.waiting.nextAttemptAt !== undefined ? m : undefined
      })
      assert.equal(waiting.status, 'queued')
      assert.ok((waiting.waiting?.nextAttemptAt ?? 0) > waiting.sentAt, 'the next attempt is after sending')
      const conversations = await alice.client.call('conversations.list', {})
      assert.equal(
        conversations.conversations.find((c) => c.id === conversationId)?.lastMessage?.waiting?.reason,
        'peer-offline',
      )

      const history = await runWren(['history', 'Bob'], {
        home: alice.daemon.home,
        profile: alice.daemon.profile,
      })
      assert.equal(history.code, 0, history.stderr)
      assert.match(history.stdout, /me: are you there\? \(queued — Bob is offline, next try in \d+ s\)/)
      assert.match(history.stdout, /me: hi \(delivered\)/)
    } finally {
      await Promise.allSettled([alice.stop(), bob.stop()])
    }
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type ChatPeer, eventually, startPair, waitForEvent } from './fixtures/chat.ts'

describe('two daemons chat end to end over loopback', () => {
  let alice: ChatPeer
  let bob: ChatPeer

  before(async () => {
    ;({ alice, bob } = await startPair())
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('alice → bob arrives, and alice sees it delivered', async () => {
    const received = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'hello bob')
    const delivered = waitForEvent(alice.client, 'message.status', (p) => p.status === 'delivered')
    const { message } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: 'hello bob',
    })
    assert.equal(message.status, 'queued')
    const got = await received
    assert.equal(got.message.sender, alice.userId)
    assert.equal(got.message.direction, 'in')
    assert.equal((await delivered).messageId, message.id)
  })

  test('bob replies and alice receives it; both histories are in order', async () => {
    const received = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hi alice')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hi alice' })
    await received
    const history = await alice.client.call('messages.list', { conversationId: `dm:${bob.userId}` })
    assert.deepEqual(
      history.messages.map((m) => [m.direction, m.text]),
      [
        ['out', 'hello bob'],
        ['in', 'hi alice'],
      ],
    )
  })

  test('a burst of 30 messages arrives exactly once and in order', async () => {
    const texts = Array.from({ length: 30 }, (_, i) => `burst ${i}`)
    for (const text of texts)
      await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text })
    const messages = await eventually('30 burst messages at bob', async () => {
      const page = await bob.client.call('messages.list', {
        conversationId: `dm:${alice.userId}`,
        limit: 100,
      })
      const burst = page.messages.filter((m) => m.text.startsWith('burst '))
      return burst.length >= 30 ? burst : undefined
    })
    assert.deepEqual(
      messages.map((m) => m.text),
      texts,
    )
  })

  test('200 sends in flight at once take consecutive positions and arrive exactly once, in that order, all delivered', async () => {
    const count = 200
    const texts = Array.from({ length: count }, (_, i) => `flight ${i}`)
    const delivered = new Set<string>()
    const off = await alice.client.on('message.status', (p) => {
      if (p.status === 'delivered') delivered.add(p.messageId)
    })
    try {
      const sent = await Promise.all(
        texts.map((text) => alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text })),
      )
      const seqs = sent.map((r) => r.message.seq).sort((a, b) => a - b)
      const first = seqs[0] as number
      assert.deepEqual(
        seqs,
        Array.from({ length: count }, (_, i) => first + i),
        'one position each, no gaps',
      )
      const inSeqOrder = [...sent].sort((a, b) => a.message.seq - b.message.seq).map((r) => r.message.text)
      const messages = await eventually(`${count} messages in flight at bob`, async () => {
        const page = await bob.client.call('messages.list', {
          conversationId: `dm:${alice.userId}`,
          limit: 500,
        })
        const flight = page.messages.filter((m) => m.text.startsWith('flight '))
        return flight.length >= count ? flight : undefined
      })
      assert.deepEqual(
        messages.map((m) => m.text),
        inSeqOrder,
      )
      await eventually('every one delivered at alice', async () =>
        sent.every((r) => delivered.has(r.message.id)) ? true : undefined,
      )
    } finally {
      off()
    }
  })

  test('read receipts move alice’s message to read', async () => {
    const read = waitForEvent(alice.client, 'message.status', (p) => p.status === 'read')
    const { updated } = await bob.client.call('messages.markRead', { conversationId: `dm:${alice.userId}` })
    assert.ok(updated > 0)
    await read
    const list = await bob.client.call('conversations.list', {})
    assert.equal(list.conversations[0]?.unread, 0)
  })

  test('both sides compute the same safety number', async () => {
    const a = await alice.client.call('contacts.safetyNumber', { userId: bob.userId })
    const b = await bob.client.call('contacts.safetyNumber', { userId: alice.userId })
    assert.match(a.safetyNumber, /^\d{60}$/)
    assert.equal(a.safetyNumber, b.safetyNumber)
  })
})

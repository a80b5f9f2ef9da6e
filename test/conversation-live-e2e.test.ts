/**
 * Typing, presence, search and conversation delete between two real daemons (issue 17): typing
 * arrives, lapses by itself and stops; turned off it is neither sent nor shown; presence comes
 * online over the daemons' connection and goes offline with a last-seen time when the other
 * daemon stops; search finds a message by word prefix and infix, and no longer by its old text
 * once edited, nor at all once deleted for everyone; a deleted conversation leaves no message,
 * no search entry and no list row until a new message arrives.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { EventName, EventPayload } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPair, waitForEvent } from './fixtures/chat.ts'
import { runWren } from './fixtures/wren-cli.ts'

/** A typing indicator lapses after TYPING_EXPIRE_MS (6 s); leave room on a loaded machine. */
const TYPING_EXPIRY_WAIT_MS = 20_000

/** Events of one kind a client received, collected from now on. */
async function collect<E extends EventName>(client: WrenClient, event: E): Promise<Array<EventPayload<E>>> {
  const seen: Array<EventPayload<E>> = []
  await client.on(event, ((payload: EventPayload<E>) => seen.push(payload)) as never)
  return seen
}

async function searchIds(client: WrenClient, query: string, conversationId?: string): Promise<string[]> {
  const { results } = await client.call('messages.search', {
    query,
    limit: 50,
    ...(conversationId !== undefined ? { conversationId } : {}),
  })
  return results.map((r) => r.messageId)
}

describe('typing, presence, search and conversation delete between two daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let toBob: string
  let toAlice: string

  before(async () => {
    ;({ alice, bob } = await startPair())
    toBob = `dm:${bob.userId}`
    toAlice = `dm:${alice.userId}`
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('each side sees the other online over their connection', async () => {
    const online = (client: WrenClient, userId: string) =>
      eventually(`${userId} online`, async () => {
        const { presence } = await client.call('contacts.presence', {})
        return presence.find((p) => p.userId === userId)?.online === true ? true : undefined
      })
    await Promise.all([online(alice.client, bob.userId), online(bob.client, alice.userId)])
  })

  test('typing arrives, lapses by itself, and a stop ends it at once; sends are throttled', async () => {
    const started = waitForEvent(bob.client, 'typing', (p) => p.typing && p.userId === alice.userId)
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: toBob, typing: true }), {
      sent: true,
    })
    const event = await started
    assert.equal(event.conversationId, toAlice)
    assert.ok(event.expiresAt !== null && event.expiresAt > Date.now())
    // a second "typing" within the send interval does not leave
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: toBob, typing: true }), {
      sent: false,
    })
    const lapsed = await waitForEvent(
      bob.client,
      'typing',
      (p) => !p.typing && p.userId === alice.userId,
      TYPING_EXPIRY_WAIT_MS,
    )
    assert.equal(lapsed.expiresAt, null)

    const again = waitForEvent(bob.client, 'typing', (p) => p.typing)
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: toBob, typing: true }), {
      sent: true,
    })
    await again
    const stopped = waitForEvent(bob.client, 'typing', (p) => !p.typing)
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: toBob, typing: false }), {
      sent: true,
    })
    await stopped
  })

  test('typing turned off: the sender sends none, the receiver shows none', async () => {
    assert.deepEqual(await alice.client.call('typing.configure', { enabled: false }), { enabled: false })
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: toBob, typing: true }), {
      sent: false,
    })
    assert.deepEqual(await alice.client.call('typing.configure', {}), { enabled: false })
    await alice.client.call('typing.configure', { enabled: true })

    await bob.client.call('typing.configure', { enabled: false })
    const shown = await collect(bob.client, 'typing')
    // alice's frame leaves (her side is on) and reaches bob, who announces nothing; the message
    // sent after it is the marker that the frame had its chance
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: toBob, typing: true }), {
      sent: true,
    })
    const marker = waitForEvent(
      bob.client,
      'message.received',
      (p) => p.message.text === 'marker after typing',
    )
    await alice.client.call('messages.send', { conversationId: toBob, text: 'marker after typing' })
    await marker
    assert.deepEqual(shown, [])
    await bob.client.call('typing.configure', { enabled: true })
    await alice.client.call('typing.set', { conversationId: toBob, typing: false })
  })

  test('search finds by word prefix and infix; after an edit not by the old text; after a delete not at all', async () => {
    const arrived = waitForEvent(bob.client, 'message.received', (p) => p.message.text.includes('Zanzibar'))
    const { message } = await alice.client.call('messages.send', {
      conversationId: toBob,
      text: 'Meet me at the Zanzibar café tomorrow',
    })
    await arrived
    for (const client of [alice.client, bob.client]) {
      assert.deepEqual(await searchIds(client, 'zanz'), [message.id])
      assert.deepEqual(await searchIds(client, 'ANZIB cafe'), [message.id])
    }
    const hit = (await bob.client.call('messages.search', { query: 'zanz', limit: 5 })).results[0]
    assert.equal(hit?.conversationId, toAlice)
    assert.equal(hit?.wordPrefix, true)
    assert.equal(hit?.snippet, 'Meet me at the Zanzibar café tomorrow')
    assert.deepEqual(hit?.highlights, [{ start: 15, length: 4 }])

    const edited = waitForEvent(
      bob.client,
      'message.updated',
      (p) => p.messageId === message.id && p.change === 'edit',
    )
    await alice.client.call('messages.edit', {
      messageId: message.id,
      text: 'Meet me at the Kilimanjaro bar',
    })
    await edited
    for (const client of [alice.client, bob.client]) {
      assert.deepEqual(await searchIds(client, 'zanzibar'), [])
      assert.deepEqual(await searchIds(client, 'kiliman'), [message.id])
    }
    const deleted = waitForEvent(
      bob.client,
      'message.updated',
      (p) => p.messageId === message.id && p.change === 'delete',
    )
    await alice.client.call('messages.delete', { messageId: message.id, forEveryone: true })
    await deleted
    for (const client of [alice.client, bob.client]) assert.deepEqual(await searchIds(client, 'kiliman'), [])
  })

  test('wren search prints matches in context, and WrenClient.history pages back to the first message', async () => {
    const arrived = waitForEvent(bob.client, 'message.received', (p) =>
      p.message.text.includes('Ouagadougou'),
    )
    await alice.client.call('messages.send', {
      conversationId: toBob,
      text: 'Flights to Ouagadougou are cheap',
    })
    await arrived
    const run = await runWren(['search', 'ouaga'], { home: bob.home, profile: bob.daemon.profile })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /Alice · Alice: Flights to Ouagadougou are cheap/)
    const json = await runWren(['search', 'ouaga', '--in', 'Alice', '--json'], {
      home: bob.home,
      profile: bob.daemon.profile,
    })
    assert.equal((JSON.parse(json.stdout) as { results: unknown[] }).results.length, 1)

    const pages: number[][] = []
    for await (const page of bob.client.history(toAlice, { pageSize: 2 })) pages.push(page.map((m) => m.seq))
    const seqs = pages.flat()
    assert.ok(pages.length >= 2)
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      (await bob.client.call('messages.list', { conversationId: toAlice, limit: 500 })).messages.map(
        (m) => m.seq,
      ),
    )
  })

  test('a deleted conversation leaves no message, search entry or list row until a new message', async () => {
    const arrived = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'quokka selfie')
    await alice.client.call('messages.send', { conversationId: toBob, text: 'quokka selfie' })
    const { message: before } = await arrived
    assert.deepEqual(await searchIds(bob.client, 'quokka', toAlice), [before.id])
    const muted = await bob.client.call('conversations.update', {
      conversationId: toAlice,
      mute: true,
      unread: true,
    })
    assert.equal(muted.muted, true)
    assert.equal(muted.markedUnread, true)

    const { deleted } = await bob.client.call('conversations.delete', { conversationId: toAlice })
    assert.ok(deleted >= 2)
    assert.deepEqual((await bob.client.call('messages.list', { conversationId: toAlice })).messages, [])
    assert.deepEqual(await searchIds(bob.client, 'quokka'), [])
    const rows = (await bob.client.call('conversations.list', {})).conversations
    assert.equal(
      rows.find((c) => c.id === toAlice),
      undefined,
    )

    const next = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'still there?')
    await alice.client.call('messages.send', { conversationId: toBob, text: 'still there?' })
    const { message: fresh } = await next
    assert.ok(fresh.seq > before.seq, 'seqs are not reused after a delete')
    const list = (await bob.client.call('messages.list', { conversationId: toAlice })).messages
    assert.deepEqual(
      list.map((m) => m.text),
      ['still there?'],
    )
    const row = (await bob.client.call('conversations.list', {})).conversations.find((c) => c.id === toAlice)
    assert.equal(row?.muted, false, 'flags go with the deleted conversation')
    assert.equal(row?.unread, 1)
  })

  test('presence goes offline with a last-seen time when the other daemon stops', async () => {
    const offline = waitForEvent(
      alice.client,
      'contact.presence',
      (p) => p.userId === bob.userId && !p.online,
    )
    const stoppedAt = Date.now()
    await bob.stop()
    const event = await offline
    assert.ok(event.lastSeen !== null && event.lastSeen >= stoppedAt)
    const { presence } = await alice.client.call('contacts.presence', {})
    assert.equal(presence.find((p) => p.userId === bob.userId)?.online, false)
  })
})

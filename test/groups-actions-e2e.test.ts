/**
 * Conversation actions in a group of four real daemons (issue 17): replies with quotes,
 * reactions, edits, delete for everyone (the text gone from every member's history and sealed
 * store), pins, forwards between a group and a direct chat, mentions (a mention in a muted group
 * counts in mentionUnread), and a member offline during an edit, a reaction and a delete who
 * converges when it returns. Only the owner knows everyone's card; the others know each other
 * through the member cards that travel with the group ops. Every wait is bounded.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Conversation, Message } from '../node/src/rpc/api.ts'
import { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { spawnDaemon } from './fixtures/daemon.ts'
import { sealedStoreDump } from './fixtures/store-dump.ts'

/** Outbox retries stay short so a returning member is served quickly. */
const RETRY_ARGS = ['--retry-max-ms', '1000']
/** A returning member: restart, reconnect, pairwise copies from three senders, on a loaded 2-core machine. */
const OFFLINE_TIMEOUT_MS = 60_000
/** Texts that must vanish from every member's store once deleted for everyone. */
const SECRET = 'the group vault code is 9914-KW'
const OFFLINE_SECRET = 'erase me from the group while dan is away 31Z'

function refusedAs(name: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof RpcError && e.errorName === name
}

describe('conversation actions in a group of four daemons', () => {
  const peers: ChatPeer[] = []
  const [A, B, C, D] = [0, 1, 2, 3]
  const names = ['Ann', 'Ben', 'Cat', 'Dan']
  const p = (i: number) => peers[i] as ChatPeer
  let conversationId = ''
  let lunch: Message

  async function history(i: number): Promise<Message[]> {
    return (await p(i).client.call('messages.list', { conversationId, limit: 500 })).messages
  }

  /** Wait until `check` holds for message `id` at every one of `at`; returns their copies. */
  async function everywhere(
    what: string,
    id: string,
    check: (m: Message) => boolean,
    at: number[] = [A, B, C, D],
    timeoutMs?: number,
  ): Promise<Message[]> {
    return Promise.all(
      at.map((i) =>
        eventually(
          `${what} at ${names[i]}`,
          async () => {
            const m = (await history(i)).find((x) => x.id === id)
            return m !== undefined && check(m) ? m : undefined
          },
          timeoutMs,
        ),
      ),
    )
  }

  async function conversation(i: number): Promise<Conversation | undefined> {
    return (await p(i).client.call('conversations.list', {})).conversations.find(
      (c) => c.id === conversationId,
    )
  }

  before(async () => {
    peers.push(await startPeer(names[A] as string, { args: RETRY_ARGS }))
    const bootstrap = [...RETRY_ARGS, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])]
    peers.push(...(await Promise.all(names.slice(1).map((n) => startPeer(n, { args: bootstrap })))))
    const ownerCard = (await p(A).client.call('identity.get', {})).card
    for (const i of [B, C, D]) {
      await p(A).client.call('contacts.add', { card: (await p(i).client.call('identity.get', {})).card })
      await p(i).client.call('contacts.add', { card: ownerCard })
    }
    const created = await p(A).client.call('groups.create', {
      name: 'Trail crew',
      members: [B, C, D].map((i) => p(i).userId),
    })
    conversationId = created.conversationId
    for (const i of [B, C, D]) {
      const groupId = created.groupId
      await eventually(`${names[i]} invited`, async () =>
        (await p(i).client.call('groups.list', {})).groups.some((g) => g.groupId === groupId)
          ? true
          : undefined,
      )
      await p(i).client.call('groups.accept', { groupId })
    }
    await eventually('four members everywhere', async () => {
      const all = await Promise.all(
        [A, B, C, D].map(async (i) => (await p(i).client.call('groups.list', {})).groups[0]),
      )
      const hash = all[0]?.stateHash
      return all.every((g) => g?.memberCount === 4 && g.stateHash === hash) ? true : undefined
    })
  })

  after(async () => {
    await Promise.allSettled(peers.map((peer) => peer.stop()))
  })

  test('a reply in the group carries the quoted first line to every member', async () => {
    ;({ message: lunch } = await p(A).client.call('messages.send', {
      conversationId,
      text: 'Lunch at the ridge?\nor at the lake',
    }))
    await everywhere('the question', lunch.id, () => true)
    const { message: reply } = await p(B).client.call('messages.send', {
      conversationId,
      text: 'ridge!',
      replyTo: lunch.id,
    })
    const quote = { messageId: lunch.id, sender: p(A).userId, text: 'Lunch at the ridge?' }
    assert.deepEqual(reply.replyTo, quote)
    for (const m of await everywhere('the reply', reply.id, () => true)) assert.deepEqual(m.replyTo, quote)
    await assert.rejects(
      p(B).client.call('messages.send', { conversationId, text: 'to nothing', replyTo: 'ab'.repeat(16) }),
      refusedAs('NOT_FOUND'),
    )
  })

  test('reactions from two members reach everyone, one per person; a change and a removal too', async () => {
    await p(C).client.call('messages.react', { messageId: lunch.id, emoji: '👍' })
    await p(D).client.call('messages.react', { messageId: lunch.id, emoji: '❤️' })
    const both = (m: Message) => (m.reactions ?? []).length === 2
    for (const m of await everywhere('two reactions', lunch.id, both)) {
      const byUser = Object.fromEntries((m.reactions ?? []).map((r) => [r.sender, r.emoji]))
      assert.deepEqual(byUser, { [p(C).userId]: '👍', [p(D).userId]: '❤️' })
    }
    await p(C).client.call('messages.react', { messageId: lunch.id, emoji: '🎉' })
    await everywhere('the changed reaction', lunch.id, (m) =>
      (m.reactions ?? []).some((r) => r.sender === p(C).userId && r.emoji === '🎉'),
    )
    await p(C).client.call('messages.react', { messageId: lunch.id, emoji: null })
    await everywhere('the removed reaction', lunch.id, (m) =>
      (m.reactions ?? []).every((r) => r.sender !== p(C).userId),
    )
    await assert.rejects(
      p(C).client.call('messages.react', { messageId: lunch.id, emoji: 'ok' }),
      refusedAs('INVALID_INPUT'),
    )
  })

  test('the author edits and every member gets the new text and the old one; no one else may edit or delete it', async () => {
    const { message: mine } = await p(A).client.call('messages.edit', {
      messageId: lunch.id,
      text: 'Lunch at the lake',
    })
    for (const m of await everywhere('the edit', lunch.id, (x) => x.text === 'Lunch at the lake')) {
      assert.equal(m.editedAt, mine.editedAt)
      assert.deepEqual(
        m.edits?.map((e) => e.text),
        ['Lunch at the ridge?\nor at the lake'],
      )
    }
    await assert.rejects(
      p(B).client.call('messages.edit', { messageId: lunch.id, text: 'ben rewrites ann' }),
      refusedAs('INVALID_INPUT'),
    )
    // the owner may not delete a member's message for everyone either (author only)
    const bens = (await history(A)).find((m) => m.text === 'ridge!')
    await assert.rejects(
      p(A).client.call('messages.delete', { messageId: bens?.id ?? '', forEveryone: true }),
      refusedAs('INVALID_INPUT'),
    )
  })

  test('a pin by one member is seen by all, and so is the unpin', async () => {
    await p(D).client.call('messages.pin', { messageId: lunch.id, pinned: true })
    await everywhere('the pin', lunch.id, (m) => m.pinned?.by === p(D).userId)
    await p(D).client.call('messages.pin', { messageId: lunch.id, pinned: false })
    await everywhere('the unpin', lunch.id, (m) => m.pinned === undefined)
  })

  test('forwards go from the group to a direct chat and from a direct chat to the group', async () => {
    const { messages } = await p(B).client.call('messages.forward', {
      messageId: lunch.id,
      conversationIds: [`dm:${p(A).userId}`],
    })
    assert.equal(messages[0]?.forwarded, true)
    await eventually('the forward in ann’s chat with ben', async () => {
      const list = await p(A).client.call('messages.list', { conversationId: `dm:${p(B).userId}` })
      return list.messages.some((m) => m.forwarded === true && m.text === 'Lunch at the lake')
        ? true
        : undefined
    })
    const { message: direct } = await p(A).client.call('messages.send', {
      conversationId: `dm:${p(C).userId}`,
      text: 'bring the stove',
    })
    const { messages: into } = await p(A).client.call('messages.forward', {
      messageId: direct.id,
      conversationIds: [conversationId],
    })
    const forwarded = into[0]?.id ?? ''
    for (const m of await everywhere('the forward into the group', forwarded, () => true))
      assert.deepEqual([m.text, m.forwarded], ['bring the stove', true])
  })

  test('a mention in a muted group counts as unread for the one mentioned', async () => {
    await p(C).client.call('conversations.update', { conversationId, mute: true })
    await p(C).client.call('messages.markRead', { conversationId })
    assert.equal((await conversation(C))?.mentionUnread, 0)
    // Ben never added Cat's card himself: @Cat resolves through the name the group gave him
    const { message } = await p(B).client.call('messages.send', {
      conversationId,
      text: '@Cat can you bring the map?',
    })
    assert.deepEqual(message.mentions, [p(C).userId])
    const [atCat] = await everywhere('the mention', message.id, () => true, [C, D])
    assert.deepEqual(atCat?.mentions, [p(C).userId])
    const seen = await conversation(C)
    assert.equal(seen?.muted, true)
    assert.equal(seen?.mentionUnread, 1)
    assert.ok((seen?.unread ?? 0) >= 1)
    assert.equal((await conversation(D))?.mentionUnread, 0, 'dan was not mentioned')
    const explicit = await p(A).client.call('messages.send', {
      conversationId,
      text: 'and Dan the tent',
      mentions: [p(D).userId],
    })
    assert.deepEqual(explicit.message.mentions, [p(D).userId])
    await p(C).client.call('messages.markRead', { conversationId })
    assert.equal((await conversation(C))?.mentionUnread, 0)
  })

  test('delete for everyone erases the text at every member, and replies lose their quote', async () => {
    const { message: secret } = await p(A).client.call('messages.send', { conversationId, text: SECRET })
    await everywhere('the secret', secret.id, () => true)
    const { message: answer } = await p(C).client.call('messages.send', {
      conversationId,
      text: 'noted',
      replyTo: secret.id,
    })
    await everywhere('the answer', answer.id, () => true)
    const { message: tombstone } = await p(A).client.call('messages.delete', {
      messageId: secret.id,
      forEveryone: true,
    })
    assert.equal(tombstone.text, '')
    await everywhere('the tombstone', secret.id, (m) => m.deletedAt !== undefined && m.text === '')
    await everywhere('the scrubbed quote', answer.id, (m) => m.replyTo?.text === '')
    for (const i of [A, B, C, D])
      assert.ok(!JSON.stringify(await history(i)).includes('9914-KW'), `${names[i]}: no trace in the history`)
  })

  test('a member offline during an edit, a reaction and a delete converges when it returns', async () => {
    const { message: changing } = await p(A).client.call('messages.send', {
      conversationId,
      text: 'will change',
    })
    const { message: gone } = await p(B).client.call('messages.send', {
      conversationId,
      text: OFFLINE_SECRET,
    })
    await everywhere('two messages', changing.id, () => true, [D])
    await everywhere('two messages', gone.id, () => true, [D])
    const dan = p(D)
    await dan.daemon.stop()

    await p(A).client.call('messages.edit', { messageId: changing.id, text: 'changed while dan was away' })
    await p(C).client.call('messages.react', { messageId: changing.id, emoji: '🏔️' })
    await p(B).client.call('messages.delete', { messageId: gone.id, forEveryone: true })

    const again = await spawnDaemon({
      home: dan.daemon.home,
      profile: dan.daemon.profile,
      args: [...RETRY_ARGS, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])],
    })
    const stop = async () => {
      await again.stop()
      await dan.stop()
    }
    peers[D] = { ...dan, daemon: again, client: again.client, stop }
    await again.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const [edited] = await everywhere(
      'the edit and the reaction made while away',
      changing.id,
      (m) => m.text === 'changed while dan was away' && (m.reactions ?? []).length === 1,
      [D],
      OFFLINE_TIMEOUT_MS,
    )
    assert.deepEqual(
      edited?.edits?.map((e) => e.text),
      ['will change'],
    )
    assert.deepEqual(
      edited?.reactions?.map((r) => [r.sender, r.emoji]),
      [[p(C).userId, '🏔️']],
    )
    await everywhere(
      'the delete made while away',
      gone.id,
      (m) => m.deletedAt !== undefined,
      [D],
      OFFLINE_TIMEOUT_MS,
    )
  })

  test('no record of any member’s sealed store holds a text deleted for everyone', async () => {
    for (const i of [A, B, C, D]) await p(i).daemon.stop()
    for (const i of [A, B, C, D]) {
      const dump = await sealedStoreDump(p(i).home, p(i).daemon.profile, TEST_PASSPHRASE)
      assert.ok(dump.includes('changed while dan was away'), `${names[i]}: the dump reads real records`)
      assert.ok(!dump.includes('9914-KW'), `${names[i]}: the deleted text is gone`)
      assert.ok(!dump.includes('31Z'), `${names[i]}: the text deleted while dan was away is gone`)
    }
  })
})

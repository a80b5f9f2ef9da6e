/**
 * Conversation actions between two real daemons (issue 17, direct chats): replies with quotes,
 * reactions set / changed / removed, edits with history, delete for everyone (the text gone from
 * the receiver's history and from every record of both sealed stores), delete for me, pins and
 * forwards; and a recipient offline during an edit, a reaction and a delete who converges from
 * its relay mailbox when it returns. One relay keeps the mailbox.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { keysHolding, sealedStoreRecords } from './fixtures/store-dump.ts'
import { runWren } from './fixtures/wren-cli.ts'

/** Mailbox round trips (deposit, restart, fetch) on a loaded 2-core machine. */
const OFFLINE_TIMEOUT_MS = 60_000
/** Texts that must vanish from both stores once deleted for everyone. */
const SECRET = 'the vault code is 7781-XQ'
const OFFLINE_SECRET = 'erase me while you are away 55Q'

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

async function history(client: WrenClient, peerUserId: string): Promise<Message[]> {
  return (await client.call('messages.list', { conversationId: `dm:${peerUserId}`, limit: 500 })).messages
}

async function find(client: WrenClient, peerUserId: string, id: string): Promise<Message | undefined> {
  return (await history(client, peerUserId)).find((m) => m.id === id)
}

describe('conversation actions between two daemons', () => {
  let relay: TestRelay
  let alice: ChatPeer
  let bob: ChatPeer
  let bobArgs: string[]
  let bobAgain: SpawnedDaemon | undefined
  /** bob's client (replaced when bob restarts). */
  let bobClient: WrenClient
  let lunch: Message

  before(async () => {
    relay = await startTestRelay()
    const args = ['--relay', relayAddr(relay), '--mailbox-fetch-ms', '1000', '--retry-max-ms', '2000']
    alice = await startPeer('Alice', { args })
    bobArgs = [...args, ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
    bob = await startPeer('Bob', { args: bobArgs })
    bobClient = bob.client
    await alice.client.call('contacts.add', { card: (await bob.client.call('identity.get', {})).card })
    await bob.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    for (const peer of [alice, bob]) {
      await eventually(
        'mailbox registered and bundle published',
        async () => {
          const status = await peer.client.call('node.status', {})
          return status.mailboxes === 1 && status.bundlePublished ? true : undefined
        },
        OFFLINE_TIMEOUT_MS,
      )
    }
  })
  after(async () => {
    await bobAgain?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop(), relay?.stop()])
  })

  test('a reply carries the quoted first line of the answered message, and the other side shows it', async () => {
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text.startsWith('Lunch'))
    ;({ message: lunch } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: 'Lunch at noon?\nor later, if you prefer',
    }))
    await atBob
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'noon works')
    const { message: reply } = await bob.client.call('messages.send', {
      conversationId: `dm:${alice.userId}`,
      text: 'noon works',
      replyTo: lunch.id,
    })
    const expected = { messageId: lunch.id, sender: alice.userId, text: 'Lunch at noon?' }
    assert.deepEqual(reply.replyTo, expected)
    assert.deepEqual((await atAlice).message.replyTo, expected)
    await assert.rejects(
      bob.client.call('messages.send', {
        conversationId: `dm:${alice.userId}`,
        text: 'a reply to nothing',
        replyTo: 'ab'.repeat(16),
      }),
      (e: unknown) => e instanceof RpcError && e.errorName === 'NOT_FOUND',
    )
  })

  test('a reaction is set, changed and removed, one per person, and refused on an unknown message or a non-emoji', async () => {
    for (const emoji of ['👍', '❤️', null]) {
      const seen = waitForEvent(
        alice.client,
        'message.updated',
        (p) =>
          p.change === 'reaction' &&
          p.messageId === lunch.id &&
          (emoji === null ? p.message.reactions === undefined : p.message.reactions?.[0]?.emoji === emoji),
      )
      await bob.client.call('messages.react', { messageId: lunch.id, emoji })
      const { message } = await seen
      assert.deepEqual(
        message.reactions?.map((r) => [r.sender, r.emoji]),
        emoji === null ? undefined : [[bob.userId, emoji]],
      )
    }
    await assert.rejects(
      bob.client.call('messages.react', { messageId: 'cd'.repeat(16), emoji: '👍' }),
      (e: unknown) => e instanceof RpcError && e.errorName === 'NOT_FOUND',
    )
    await assert.rejects(
      bob.client.call('messages.react', { messageId: lunch.id, emoji: 'ok' }),
      (e: unknown) => e instanceof RpcError && e.errorName === 'INVALID_INPUT',
    )
  })

  test('the author edits, the other side gets the new text, the edited mark and the old text; nobody else may edit', async () => {
    const seen = waitForEvent(
      bob.client,
      'message.updated',
      (p) => p.change === 'edit' && p.messageId === lunch.id,
    )
    const { message: mine } = await alice.client.call('messages.edit', {
      messageId: lunch.id,
      text: 'Lunch at one?',
    })
    assert.equal(mine.text, 'Lunch at one?')
    const { message } = await seen
    assert.equal(message.text, 'Lunch at one?')
    assert.equal(message.editedAt, mine.editedAt)
    assert.deepEqual(
      message.edits?.map((e) => e.text),
      ['Lunch at noon?\nor later, if you prefer'],
    )
    assert.equal((await find(bob.client, alice.userId, lunch.id))?.text, 'Lunch at one?')
    await assert.rejects(
      bob.client.call('messages.edit', { messageId: lunch.id, text: 'bob rewrites alice' }),
      (e: unknown) => e instanceof RpcError && e.errorName === 'INVALID_INPUT' && /author/.test(e.message),
    )
    await assert.rejects(
      bob.client.call('messages.delete', { messageId: lunch.id, forEveryone: true }),
      (e: unknown) => e instanceof RpcError && e.errorName === 'INVALID_INPUT',
    )
  })

  test('a pin is seen on both sides, and so is the unpin', async () => {
    const pinned = waitForEvent(
      alice.client,
      'message.updated',
      (p) => p.change === 'pin' && p.message.pinned !== undefined,
    )
    await bob.client.call('messages.pin', { messageId: lunch.id, pinned: true })
    assert.equal((await pinned).message.pinned?.by, bob.userId)
    const unpinned = waitForEvent(
      alice.client,
      'message.updated',
      (p) => p.change === 'pin' && p.message.pinned === undefined,
    )
    await bob.client.call('messages.pin', { messageId: lunch.id, pinned: false })
    await unpinned
  })

  test('wren reply, react, edit and delete drive the same actions from the command line', async () => {
    const cli = (args: string[], peer: ChatPeer) =>
      runWren([...args, '--json'], { home: peer.home, profile: peer.daemon.profile })
    const reply = await cli(['reply', 'Alice', lunch.id, 'from', 'the', 'cli'], bob)
    assert.equal(reply.code, 0, reply.stderr)
    const replied = JSON.parse(reply.stdout) as Message
    assert.equal(replied.replyTo?.messageId, lunch.id)
    const reacted = await cli(['react', lunch.id, '🙂'], bob)
    assert.equal(reacted.code, 0, reacted.stderr)
    assert.equal((JSON.parse(reacted.stdout) as Message).reactions?.[0]?.emoji, '🙂')
    assert.equal((await cli(['react', lunch.id, '--remove'], bob)).code, 0)
    const refused = await cli(['edit', lunch.id, 'not', 'mine'], bob)
    assert.notEqual(refused.code, 0, 'bob may not edit alice’s message')
    const edited = await cli(['edit', replied.id, 'from', 'the', 'CLI'], bob)
    assert.equal((JSON.parse(edited.stdout) as Message).text, 'from the CLI')
    const deleted = await cli(['delete', replied.id, '--for-everyone'], bob)
    assert.equal((JSON.parse(deleted.stdout) as Message).text, '')
    await eventually('the CLI delete at alice', async () =>
      (await find(alice.client, bob.userId, replied.id))?.deletedAt !== undefined ? true : undefined,
    )
  })

  test('a forward arrives as a new message marked forwarded', async () => {
    const seen = waitForEvent(alice.client, 'message.received', (p) => p.message.forwarded === true)
    const { messages } = await bob.client.call('messages.forward', {
      messageId: lunch.id,
      conversationIds: [`dm:${alice.userId}`],
    })
    assert.equal(messages.length, 1)
    const { message } = await seen
    assert.equal(message.text, 'Lunch at one?')
    assert.notEqual(message.id, lunch.id)
  })

  test('delete for everyone erases the text on both sides, replies lose their quote; delete for me stays local', async () => {
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === SECRET)
    const { message: secret } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: SECRET,
    })
    await atBob
    const replied = waitForEvent(
      alice.client,
      'message.received',
      (p) => p.message.replyTo?.messageId === secret.id,
    )
    const { message: answer } = await bob.client.call('messages.send', {
      conversationId: `dm:${alice.userId}`,
      text: 'got it',
      replyTo: secret.id,
    })
    await replied
    const deleted = waitForEvent(
      bob.client,
      'message.updated',
      (p) => p.change === 'delete' && p.messageId === secret.id,
    )
    const { message: tombstone } = await alice.client.call('messages.delete', {
      messageId: secret.id,
      forEveryone: true,
    })
    assert.equal(tombstone.text, '')
    assert.ok(tombstone.deletedAt !== undefined)
    assert.equal((await deleted).message.text, '')
    const atBobNow = await find(bob.client, alice.userId, secret.id)
    assert.equal(atBobNow?.text, '')
    assert.ok(atBobNow?.deletedAt !== undefined)
    assert.equal((await find(bob.client, alice.userId, answer.id))?.replyTo?.text, '')
    assert.equal((await find(alice.client, bob.userId, answer.id))?.replyTo?.text, '')
    for (const peer of [alice, bob]) {
      const other = peer === alice ? bob.userId : alice.userId
      const texts = JSON.stringify(await history(peer.client, other))
      assert.ok(!texts.includes('7781-XQ'), 'no trace of the text in the history')
    }
    // a deleted message takes no more actions
    await assert.rejects(
      alice.client.call('messages.edit', { messageId: secret.id, text: 'back' }),
      (e: unknown) => e instanceof RpcError && e.errorName === 'INVALID_INPUT',
    )
    // delete for me: gone here, still there
    await bob.client.call('messages.delete', { messageId: answer.id, forEveryone: false })
    assert.equal(await find(bob.client, alice.userId, answer.id), undefined)
    assert.equal((await find(alice.client, bob.userId, answer.id))?.text, 'got it')
  })

  test('an edit, a reaction and a delete made while the recipient is offline converge from its mailbox', async () => {
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'will change')
    const { message: changing } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: 'will change',
    })
    await atBob
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'react to me')
    const { message: bobs } = await bob.client.call('messages.send', {
      conversationId: `dm:${alice.userId}`,
      text: 'react to me',
    })
    await atAlice
    await bob.daemon.stop()

    await alice.client.call('messages.edit', { messageId: changing.id, text: 'changed while you were away' })
    await alice.client.call('messages.react', { messageId: bobs.id, emoji: '🎉' })
    const { message: gone } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: OFFLINE_SECRET,
    })
    await alice.client.call('messages.delete', { messageId: gone.id, forEveryone: true })
    await eventually(
      'the offline messages stored at the mailbox',
      async () => ((await find(alice.client, bob.userId, gone.id))?.status === 'stored' ? true : undefined),
      OFFLINE_TIMEOUT_MS,
    )
    // a marker after the actions: once it is at bob, everything before it was applied
    await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'marker' })

    bobAgain = await spawnDaemon({
      home: bob.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: bobArgs,
    })
    await bobAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    bobClient = bobAgain.client
    const messages = await eventually(
      'the marker at bob',
      async () => {
        const list = await history(bobClient, alice.userId)
        return list.some((m) => m.text === 'marker') ? list : undefined
      },
      OFFLINE_TIMEOUT_MS,
    )
    const edited = messages.find((m) => m.id === changing.id)
    assert.equal(edited?.text, 'changed while you were away')
    assert.deepEqual(
      edited?.edits?.map((e) => e.text),
      ['will change'],
    )
    assert.deepEqual(
      messages.find((m) => m.id === bobs.id)?.reactions?.map((r) => [r.sender, r.emoji]),
      [[alice.userId, '🎉']],
    )
    const tombstone = messages.find((m) => m.id === gone.id)
    assert.equal(tombstone?.text, '')
    assert.ok(tombstone?.deletedAt !== undefined)
  })

  test('no record of either sealed store holds a text deleted for everyone', async () => {
    await eventually(
      'alice’s outbox drained',
      async () => {
        const last = (await history(alice.client, bob.userId)).at(-1)
        return last?.status === 'delivered' || last?.status === 'read' ? true : undefined
      },
      OFFLINE_TIMEOUT_MS,
    )
    await bobAgain?.stop()
    bobAgain = undefined
    await alice.daemon.stop()
    for (const peer of [alice, bob]) {
      const records = await sealedStoreRecords(peer.home, peer.daemon.profile, TEST_PASSPHRASE)
      const who = peer === alice ? 'alice' : 'bob'
      assert.ok(keysHolding(records, 'changed while you were away').length > 0, 'the dump reads real records')
      assert.deepEqual(keysHolding(records, '7781-XQ'), [], `${who}: the deleted text is gone`)
      assert.deepEqual(keysHolding(records, '55Q'), [], `${who}: the text deleted offline is gone`)
    }
  })
})

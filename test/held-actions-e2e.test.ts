/**
 * Actions that overtake their message in a direct chat, between two real daemons (issue 17,
 * node/src/messaging/held-actions.ts). The overtaking is provoked the way it happens: the
 * recipient keeps mailboxes on two relays, the messages are deposited while one relay is down
 * and their edit / delete for everyone while the other one is, and the recipient comes back
 * while the relay holding the messages is still down. The edit and the delete are held; the
 * messages arrive when that relay returns, the edit applied (history kept) and the deleted text
 * never stored: no record of the recipient's sealed store holds it, and nothing stays held.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { PREFIXES } from '../node/src/storage/layout.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { sealedStoreDump } from './fixtures/store-dump.ts'

/** Mailbox round trips (deposit, relay restarts, fetch) on a loaded 2-core machine. */
const MAILBOX_TIMEOUT_MS = 60_000
/** The text deleted for everyone before it arrived: the recipient must never store it. */
const SECRET = 'the safe opens with 40-17-93'

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

function tcpPort(relay: TestRelay): number {
  return Number(relayAddr(relay).split('/tcp/')[1]?.split('/')[0])
}

/** A relay that can be stopped and started again with its store, peer id and port. */
class RestartableRelay {
  #relay: TestRelay | undefined
  readonly #dataDir: string
  readonly #port: number
  readonly addr: string

  constructor(first: TestRelay) {
    this.#relay = first
    this.#dataDir = first.dataDir
    this.#port = tcpPort(first)
    this.addr = relayAddr(first)
  }

  async down(): Promise<void> {
    // the handle's stop keeps the data dir (the fixture's stop would remove it)
    await this.#relay?.handle?.stop()
    this.#relay = undefined
  }

  async up(): Promise<void> {
    this.#relay = await startTestRelay({
      dataDir: this.#dataDir,
      config: { listen: { host: '127.0.0.1', tcpPort: this.#port, wsPort: -1 } },
    })
  }

  async close(): Promise<void> {
    await this.#relay?.stop()
    await rm(this.#dataDir, { recursive: true, force: true })
  }
}

async function history(client: WrenClient, peerUserId: string): Promise<Message[]> {
  return (await client.call('messages.list', { conversationId: `dm:${peerUserId}`, limit: 500 })).messages
}

describe('actions that overtake their message in a direct chat', () => {
  let first: RestartableRelay
  let second: RestartableRelay
  let alice: ChatPeer
  let bob: ChatPeer
  let bobArgs: string[]
  let bobAgain: SpawnedDaemon | undefined

  before(async () => {
    first = new RestartableRelay(await startTestRelay())
    second = new RestartableRelay(await startTestRelay())
    const args = [
      ...[first, second].flatMap((r) => ['--relay', r.addr]),
      '--mailbox-fetch-ms',
      '1000',
      '--retry-max-ms',
      '2000',
    ]
    alice = await startPeer('Alice', { args })
    bobArgs = [...args, ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
    bob = await startPeer('Bob', { args: bobArgs })
    await alice.client.call('contacts.add', { card: (await bob.client.call('identity.get', {})).card })
    await bob.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    for (const peer of [alice, bob]) {
      await eventually(
        'two mailboxes registered and the bundle published',
        async () => {
          const status = await peer.client.call('node.status', {})
          return status.mailboxes === 2 && status.bundlePublished ? true : undefined
        },
        MAILBOX_TIMEOUT_MS,
      )
    }
    // a session both ways before bob goes away
    await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'hello bob' })
    await eventually('the hello at bob', async () =>
      (await history(bob.client, alice.userId)).some((m) => m.text === 'hello bob') ? true : undefined,
    )
  })
  after(async () => {
    await bobAgain?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
    await Promise.allSettled([first?.close(), second?.close()])
  })

  test('an edit and a delete for everyone that arrive first are held, then applied when their messages come', async () => {
    await bob.daemon.stop()
    await second.down()
    const send = async (text: string) =>
      (await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text })).message
    const dinner = await send('dinner at six?')
    const secret = await send(SECRET)
    await eventually(
      'both messages stored at the first relay only',
      async () => {
        const list = await history(alice.client, bob.userId)
        const ours = list.filter((m) => m.id === dinner.id || m.id === secret.id)
        return ours.length === 2 && ours.every((m) => m.status === 'stored' && m.receipts === 1)
          ? true
          : undefined
      },
      MAILBOX_TIMEOUT_MS,
    )

    await second.up()
    await first.down()
    await alice.client.call('messages.edit', { messageId: dinner.id, text: 'dinner at seven?' })
    await alice.client.call('messages.delete', { messageId: secret.id, forEveryone: true })
    // the outbox is in order: once the marker is stored, the edit and the delete are too
    const marker = await send('marker')
    await eventually(
      'the marker stored at the second relay',
      async () =>
        (await history(alice.client, bob.userId)).find((m) => m.id === marker.id)?.status === 'stored'
          ? true
          : undefined,
      MAILBOX_TIMEOUT_MS,
    )

    bobAgain = await spawnDaemon({
      home: bob.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: bobArgs,
    })
    await bobAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const bobClient = bobAgain.client
    await eventually(
      'the marker at bob (the edit and the delete before it handled)',
      async () =>
        (await history(bobClient, alice.userId)).some((m) => m.id === marker.id) ? true : undefined,
      MAILBOX_TIMEOUT_MS,
    )
    const early = await history(bobClient, alice.userId)
    assert.equal(
      early.find((m) => m.id === dinner.id || m.id === secret.id),
      undefined,
      'the messages themselves have not arrived: the actions overtook them',
    )

    await first.up()
    const messages = await eventually(
      'the overtaken messages at bob',
      async () => {
        const list = await history(bobClient, alice.userId)
        return list.some((m) => m.id === dinner.id) && list.some((m) => m.id === secret.id) ? list : undefined
      },
      MAILBOX_TIMEOUT_MS,
    )
    const edited = messages.find((m) => m.id === dinner.id)
    assert.equal(edited?.text, 'dinner at seven?', 'the held edit is applied')
    assert.ok(edited?.editedAt !== undefined)
    assert.deepEqual(
      edited?.edits?.map((e) => e.text),
      ['dinner at six?'],
    )
    const tombstone = messages.find((m) => m.id === secret.id)
    assert.equal(tombstone?.text, '', 'the held delete is applied')
    assert.ok(tombstone?.deletedAt !== undefined)
    assert.ok(!JSON.stringify(messages).includes('40-17-93'), 'no trace in the history')
    const found = await bobClient.call('messages.search', { query: '40-17-93', limit: 10 })
    assert.equal(found.results.length, 0, 'nor in the search index')

    await bobAgain.stop()
    bobAgain = undefined
    const dump = await sealedStoreDump(bob.home, bob.daemon.profile, TEST_PASSPHRASE)
    assert.ok(dump.includes('dinner at seven?'), 'the dump reads real records')
    assert.ok(!dump.includes('40-17-93'), 'the text deleted before it arrived was never stored')
    assert.ok(
      !dump.split('\n').some((line) => line.startsWith(PREFIXES.heldActions)),
      'nothing stays held once applied',
    )
  })
})

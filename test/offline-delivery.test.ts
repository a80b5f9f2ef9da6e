import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Message } from '../node/src/rpc/api.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'

/** Waits here cover 100 messages through three relays on a loaded 2-core machine. */
const BULK_TIMEOUT_MS = 60_000
const COUNT = 100

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

function relayArgs(relays: TestRelay[]): string[] {
  return [
    ...relays.flatMap((r) => ['--relay', relayAddr(r)]),
    '--mailbox-fetch-ms',
    '1000',
    '--retry-max-ms',
    '2000',
  ]
}

async function startMailboxPair(
  relays: TestRelay[],
): Promise<{ alice: ChatPeer; bob: ChatPeer; bobArgs: string[] }> {
  const alice = await startPeer('Alice', { args: relayArgs(relays) })
  const bobArgs = [...relayArgs(relays), ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
  const bob = await startPeer('Bob', { args: bobArgs })
  const aliceCard = (await alice.client.call('identity.get', {})).card
  const bobCard = (await bob.client.call('identity.get', {})).card
  await alice.client.call('contacts.add', { card: bobCard })
  await bob.client.call('contacts.add', { card: aliceCard })
  // bob may go offline only once his bundle, listing his mailboxes, is in the DHT
  for (const peer of [alice, bob]) {
    await eventually('mailboxes registered and bundle published', async () => {
      const status = await peer.client.call('node.status', {})
      return status.mailboxes === Math.min(3, relays.length) && status.bundlePublished ? true : undefined
    })
  }
  return { alice, bob, bobArgs }
}

async function sendAll(alice: ChatPeer, bob: ChatPeer, count: number): Promise<Message[]> {
  const sent: Message[] = []
  for (let i = 0; i < count; i++) {
    const { message } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: `offline ${i}`,
    })
    sent.push(message)
  }
  return sent
}

async function statusesAtAlice(alice: ChatPeer, bob: ChatPeer): Promise<Message[]> {
  const page = await alice.client.call('messages.list', { conversationId: `dm:${bob.userId}`, limit: 500 })
  return page.messages.filter((m) => m.text.startsWith('offline '))
}

async function restartBob(bob: ChatPeer, args: string[]): Promise<SpawnedDaemon> {
  const again = await spawnDaemon({ home: bob.home, profile: bob.daemon.profile, keepHome: true, args })
  await again.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
  return again
}

async function expectAllAtBob(bob: SpawnedDaemon, aliceUserId: string, count: number): Promise<void> {
  const got = await eventually(
    `${count} messages at bob`,
    async () => {
      const page = await bob.client.call('messages.list', { conversationId: `dm:${aliceUserId}`, limit: 500 })
      const offline = page.messages.filter((m) => m.text.startsWith('offline '))
      return offline.length >= count ? offline : undefined
    },
    BULK_TIMEOUT_MS,
  )
  assert.deepEqual(
    got.map((m) => m.text),
    Array.from({ length: count }, (_, i) => `offline ${i}`),
    'every message exactly once, in order',
  )
}

describe('offline delivery through k-replicated relay mailboxes', () => {
  test('100 messages to an offline recipient are stored with 3 receipts each, then delivered once and in order', async () => {
    const relays = await Promise.all([startTestRelay(), startTestRelay(), startTestRelay()])
    const { alice, bob, bobArgs } = await startMailboxPair(relays)
    let bobAgain: SpawnedDaemon | undefined
    try {
      await bob.daemon.stop()
      await sendAll(alice, bob, COUNT)
      const stored = await eventually(
        'every message stored with 3 receipts',
        async () => {
          const messages = await statusesAtAlice(alice, bob)
          return messages.length === COUNT && messages.every((m) => m.status === 'stored' && m.receipts === 3)
            ? messages
            : undefined
        },
        BULK_TIMEOUT_MS,
      )
      assert.equal(stored.length, COUNT)

      bobAgain = await restartBob(bob, bobArgs)
      await expectAllAtBob(bobAgain, alice.userId, COUNT)
      await eventually(
        'alice sees every message delivered',
        async () => {
          const messages = await statusesAtAlice(alice, bob)
          return messages.every((m) => m.status === 'delivered') ? true : undefined
        },
        BULK_TIMEOUT_MS,
      )
    } finally {
      await bobAgain?.stop()
      await Promise.allSettled([alice.stop(), bob.stop(), ...relays.map((r) => r.stop())])
    }
  })

  test('with two of the three relays gone before the recipient returns, nothing is lost', async () => {
    const relays = await Promise.all([startTestRelay(), startTestRelay(), startTestRelay()])
    const { alice, bob, bobArgs } = await startMailboxPair(relays)
    let bobAgain: SpawnedDaemon | undefined
    try {
      await bob.daemon.stop()
      await sendAll(alice, bob, COUNT)
      await eventually(
        'every message stored',
        async () => {
          const messages = await statusesAtAlice(alice, bob)
          return messages.length === COUNT && messages.every((m) => m.status === 'stored' && m.receipts === 3)
            ? true
            : undefined
        },
        BULK_TIMEOUT_MS,
      )
      await relays[0]?.stop()
      await relays[1]?.stop()
      bobAgain = await restartBob(bob, bobArgs)
      await expectAllAtBob(bobAgain, alice.userId, COUNT)
    } finally {
      await bobAgain?.stop()
      await Promise.allSettled([alice.stop(), bob.stop(), relays[2]?.stop()])
    }
  })

  test('a relay restarted with messages stored loses nothing', async () => {
    const first = await startTestRelay()
    const dataDir = first.dataDir
    const port = Number(relayAddr(first).split('/tcp/')[1]?.split('/')[0])
    const { alice, bob, bobArgs } = await startMailboxPair([first])
    let relay: TestRelay = first
    let bobAgain: SpawnedDaemon | undefined
    try {
      await bob.daemon.stop()
      await sendAll(alice, bob, 10)
      await eventually(
        'stored at the one relay',
        async () => {
          const messages = await statusesAtAlice(alice, bob)
          return messages.length === 10 && messages.every((m) => m.status === 'stored') ? true : undefined
        },
        BULK_TIMEOUT_MS,
      )
      await first.handle?.stop()
      relay = await startTestRelay({
        dataDir,
        config: { listen: { host: '127.0.0.1', tcpPort: port, wsPort: -1 } },
      })
      bobAgain = await restartBob(bob, bobArgs)
      await expectAllAtBob(bobAgain, alice.userId, 10)
    } finally {
      await bobAgain?.stop()
      await Promise.allSettled([alice.stop(), bob.stop(), relay.stop()])
      await import('node:fs/promises').then((fs) => fs.rm(dataDir, { recursive: true, force: true }))
    }
  })
})

/**
 * A backlog far larger than one transport message (libp2p aborts a stream whose unread bytes
 * pass 4 MiB) reaches a recipient that comes back, in order, with and without relay mailboxes.
 * Real daemons as processes; relays in process.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MAX_TEXT_CHARS } from '../node/src/rpc/api.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { seededRandom } from './fixtures/seeded-random.ts'

const MIB = 1024 * 1024
/** The backlog the issue asks for: 20 MiB of texts on the wire. */
const BACKLOG_BYTES = 20 * MIB
/**
 * A text of MAX_TEXT_CHARS CJK characters is 3 bytes each in UTF-8 (192 KiB): it fills the
 * largest padding bucket (256 KiB envelope), the largest message a user can send.
 */
const ENVELOPE_BYTES = 256 * 1024
const COUNT = Math.ceil(BACKLOG_BYTES / ENVELOPE_BYTES)
/** Waits cover 20 MiB encrypted, stored and delivered (three times over with relays) on a loaded 2-core machine. */
const BULK_TIMEOUT_MS = 90_000

/** A seeded maximum-size text: its index, then CJK Unified Ideographs (U+4E00..U+9FFF). */
function maxText(seed: string, index: number): string {
  const random = seededRandom(`${seed}:${index}`)
  const prefix = `#${index} `
  const bytes = random(2 * (MAX_TEXT_CHARS - prefix.length))
  const chars: string[] = [prefix]
  for (let i = 0; i < MAX_TEXT_CHARS - prefix.length; i++) {
    const n = ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number)
    chars.push(String.fromCharCode(0x4e00 + (n % 0x5200)))
  }
  const text = chars.join('')
  assert.equal(text.length, MAX_TEXT_CHARS)
  return text
}

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

async function startContacts(
  relays: TestRelay[],
): Promise<{ alice: ChatPeer; bob: ChatPeer; bobArgs: string[] }> {
  const common = [
    ...relays.flatMap((r) => ['--relay', relayAddr(r)]),
    '--mailbox-fetch-ms',
    '1000',
    '--retry-max-ms',
    '2000',
  ]
  const alice = await startPeer('Alice', { args: common })
  const bobArgs = [...common, ...alice.addrs.flatMap((a) => ['--bootstrap', a])]
  const bob = await startPeer('Bob', { args: bobArgs })
  try {
    await alice.client.call('contacts.add', { card: (await bob.client.call('identity.get', {})).card })
    await bob.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    for (const peer of [alice, bob]) {
      await eventually('mailboxes registered and bundle published', async () => {
        const status = await peer.client.call('node.status', {})
        return status.mailboxes === relays.length && status.bundlePublished ? true : undefined
      })
    }
    // a session first, so the backlog is only about size
    const { message } = await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: 'hi',
    })
    await eventually('the first message delivered', async () => {
      const page = await alice.client.call('messages.list', { conversationId: `dm:${bob.userId}` })
      return page.messages.find((m) => m.id === message.id)?.status === 'delivered' ? true : undefined
    })
    return { alice, bob, bobArgs }
  } catch (error) {
    await Promise.allSettled([alice.stop(), bob.stop()])
    throw error
  }
}

async function backlogArrivesInOrder(relays: TestRelay[], seed: string): Promise<void> {
  const { alice, bob, bobArgs } = await startContacts(relays)
  let bobAgain: SpawnedDaemon | undefined
  try {
    await bob.daemon.stop()
    const texts = Array.from({ length: COUNT }, (_, i) => maxText(seed, i))
    for (const text of texts)
      await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text })
    if (relays.length > 0) {
      await eventually(
        'the backlog stored at every mailbox',
        async () => {
          const page = await alice.client.call('messages.list', {
            conversationId: `dm:${bob.userId}`,
            limit: 200,
          })
          const backlog = page.messages.filter((m) => m.text.startsWith('#'))
          return backlog.length === COUNT &&
            backlog.every((m) => m.status === 'stored' && m.receipts === relays.length)
            ? true
            : undefined
        },
        BULK_TIMEOUT_MS,
      )
    }
    const started = Date.now()
    bobAgain = await spawnDaemon({
      home: bob.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: bobArgs,
    })
    await bobAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const client = bobAgain.client
    const got = await eventually(
      `${COUNT} maximum-size messages at bob`,
      async () => {
        const page = await client.call('messages.list', { conversationId: `dm:${alice.userId}`, limit: 200 })
        const backlog = page.messages.filter((m) => m.text.startsWith('#'))
        return backlog.length >= COUNT ? backlog : undefined
      },
      BULK_TIMEOUT_MS,
    )
    const received = got.map((m) => m.text)
    assert.equal(received.length, COUNT, 'each message exactly once')
    for (let i = 0; i < COUNT; i++)
      assert.ok(received[i] === texts[i], `message ${i} arrives intact and in order`)
    await eventually(
      'alice sees the backlog delivered',
      async () => {
        const page = await alice.client.call('messages.list', {
          conversationId: `dm:${bob.userId}`,
          limit: 200,
        })
        return page.messages.every((m) => m.status === 'delivered') ? true : undefined
      },
      BULK_TIMEOUT_MS,
    )
    // a figure for the report, not an assertion
    process.stdout.write(
      `# ${COUNT} × ${MAX_TEXT_CHARS} chars (${relays.length} relays): ${Date.now() - started} ms from restart\n`,
    )
  } finally {
    await bobAgain?.stop()
    await Promise.allSettled([alice.stop(), bob.stop()])
  }
}

describe('a backlog larger than one transport message', () => {
  test(`${COUNT} maximum-size texts (20 MiB) queued for an offline contact arrive in order when it returns, without relays`, async () => {
    await backlogArrivesInOrder([], 'backlog-direct')
  })

  test(`${COUNT} maximum-size texts (20 MiB) stored in two relay mailboxes arrive in order when the contact returns`, async () => {
    const relays = await Promise.all([startTestRelay(), startTestRelay()])
    try {
      await backlogArrivesInOrder(relays, 'backlog-mailboxes')
    } finally {
      await Promise.allSettled(relays.map((r) => r.stop()))
    }
  })
})

/**
 * Crash safety of the messaging pipeline under load: both daemons are killed with SIGKILL (no
 * chance to flush anything) in the middle of a 2,000-message burst, the receiver first, then the
 * sender while it is still queueing. After both restart, every message whose `messages.send` call
 * returned, and every message the sender saw `delivered`, is in the receiver's history, each
 * exactly once, in the sender's order.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** Messages in the burst (the issue asks for a kill during 2,000). */
const COUNT = 2_000
/** messages.send calls in flight, as the throughput benchmark sends. */
const WINDOW = 64
/** The receiver is killed once it has shown this many of the burst. */
const KILL_RECEIVER_AT = 300
/** The sender is killed once this many of its send calls returned (the receiver is down by then). */
const KILL_SENDER_AT = 1_200
/** Bound on the burst reaching each kill point, and on the catch-up after the restarts. */
const BURST_TIMEOUT_MS = 90_000
const PREFIX = 'crash '

/** SIGKILL a daemon and wait for it to be gone (its temp home is kept: the peer owns it). */
async function killHard(daemon: SpawnedDaemon): Promise<void> {
  const gone = new Promise((resolve) => daemon.child.once('exit', resolve))
  daemon.child.kill('SIGKILL')
  await gone
  await daemon.stop() // closes the client; the process is already gone
}

/** Every message of a conversation, oldest first (pages of 500). */
async function history(client: WrenClient, conversationId: string): Promise<Message[]> {
  const out: Message[] = []
  let before: number | undefined
  for (;;) {
    const page = await client.call('messages.list', {
      conversationId,
      limit: 500,
      ...(before === undefined ? {} : { before }),
    })
    out.unshift(...page.messages)
    if (!page.hasMore || page.messages.length === 0) return out
    before = page.messages[0]?.seq
  }
}

async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + BURST_TIMEOUT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('crash safety under a burst', () => {
  test(`SIGKILL of receiver then sender during ${COUNT} messages: nothing acknowledged is lost, nothing shown twice, order kept`, async () => {
    const { alice, bob } = await startPair()
    const restarted: SpawnedDaemon[] = []
    try {
      const warm = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'warm up')
      await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'warm up' })
      await warm

      let shownAtBob = 0
      await bob.client.on('message.received', (p) => {
        if (p.message.text.startsWith(PREFIX)) shownAtBob++
      })
      const deliveredBeforeKill = new Set<string>()
      await alice.client.on('message.status', (p) => {
        if (p.status === 'delivered' || p.status === 'read') deliveredBeforeKill.add(p.messageId)
      })
      const accepted: Message[] = []
      let next = 0
      let aliceDown = false
      const sender = async () => {
        while (next < COUNT && !aliceDown) {
          const i = next++
          try {
            const { message } = await alice.client.call('messages.send', {
              conversationId: `dm:${bob.userId}`,
              text: `${PREFIX}${i}`,
            })
            accepted.push(message)
          } catch (error) {
            if (!aliceDown) throw error // only calls cut off by the kill may fail
          }
        }
      }
      const burst = Promise.all(Array.from({ length: WINDOW }, sender))

      await until(`${KILL_RECEIVER_AT} shown at bob`, () => shownAtBob >= KILL_RECEIVER_AT)
      await killHard(bob.daemon)
      await until(`${KILL_SENDER_AT} send calls returned`, () => accepted.length >= KILL_SENDER_AT)
      aliceDown = true
      await killHard(alice.daemon)
      // calls cut off by the kill reject when the client closes; bounded all the same
      await bounded(burst, BURST_TIMEOUT_MS, 'the send calls to end')
      const delivered = new Set(deliveredBeforeKill)
      assert.ok(delivered.size > 0, 'some messages were delivered before the kills')

      const alice2 = await spawnDaemon({ home: alice.home, profile: alice.daemon.profile })
      restarted.push(alice2)
      await alice2.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
      const aliceAddrs = (await alice2.client.call('node.status', {})).listenAddrs
      const bob2 = await spawnDaemon({
        home: bob.home,
        profile: bob.daemon.profile,
        args: aliceAddrs.flatMap((a) => ['--bootstrap', a]),
      })
      restarted.push(bob2)
      await bob2.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })

      // what alice stored as sent, in her order: every accepted call is there (persisted before
      // the call returned), and nothing else may show at bob
      const sent = (await history(alice2.client, `dm:${bob.userId}`)).filter((m) => m.text.startsWith(PREFIX))
      const sentIds = new Set(sent.map((m) => m.id))
      for (const m of accepted) assert.ok(sentIds.has(m.id), `accepted message ${m.text} survived the kill`)

      const shown = await eventually(
        'every stored message at bob',
        async () => {
          const got = (await history(bob2.client, `dm:${alice.userId}`)).filter((m) =>
            m.text.startsWith(PREFIX),
          )
          return got.length >= sent.length ? got : undefined
        },
        BURST_TIMEOUT_MS,
      )
      assert.equal(new Set(shown.map((m) => m.id)).size, shown.length, 'nothing shown twice')
      assert.deepEqual(
        shown.map((m) => m.text),
        sent.map((m) => m.text),
        "bob shows alice's messages in her order",
      )
      const shownIds = new Set(shown.map((m) => m.id))
      for (const id of delivered)
        if (sentIds.has(id)) assert.ok(shownIds.has(id), 'a delivered message was kept')
    } finally {
      await Promise.allSettled(restarted.map((d) => d.stop()))
      await Promise.allSettled([alice.stop(), bob.stop()])
    }
  })
})

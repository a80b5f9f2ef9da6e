/**
 * Messages sent to a locked profile (issue 19), between two real daemons: after `identity.lock`
 * reading fails with LOCKED, yet a message sent meanwhile is accepted (the sender sees it
 * delivered while the profile is still locked) and kept sealed under the profile folder (no
 * plaintext in any file); after unlock it appears in the history and the queue is empty.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { LOCKED_INBOX_DIR } from '../node/src/app/locked-inbox.ts'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'

/** The text sent while Bob is locked; it must be in no file while kept. */
const WHILE_LOCKED = 'sent while you were locked 73KQ'
/** The sender's retry after the node went away, a dial of the locked host, on a loaded machine. */
const KEPT_TIMEOUT_MS = 30_000

let alice: ChatPeer
let bob: ChatPeer

before(async () => {
  ;({ alice, bob } = await startPair(['--retry-max-ms', '1000']))
  // a session both ways first, as between two people who already talk
  const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'hello')
  await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'hello' })
  await atBob
})
after(async () => {
  await Promise.allSettled([alice?.stop(), bob?.stop()])
})

test('after lock reading fails with LOCKED; a message sent meanwhile is kept sealed and appears after unlock', async () => {
  assert.deepEqual(await bob.client.call('identity.lock'), { locked: true })
  await assert.rejects(
    bob.client.call('messages.list', { conversationId: `dm:${alice.userId}` }),
    (e: RpcError) => e.errorName === 'LOCKED',
  )
  const { message } = await alice.client.call('messages.send', {
    conversationId: `dm:${bob.userId}`,
    text: WHILE_LOCKED,
  })
  // the locked daemon took it: the sender sees it delivered while Bob is still locked
  await eventually(
    'the message delivered to the locked daemon',
    async () => {
      const list = await alice.client.call('messages.list', { conversationId: `dm:${bob.userId}` })
      const sent = list.messages.find((m) => m.id === message.id)
      return sent?.status === 'delivered' || sent?.status === 'read' ? true : undefined
    },
    KEPT_TIMEOUT_MS,
  )
  assert.equal((await bob.client.call('node.status')).unlocked, false, 'still locked')
  const dir = join(bob.home, bob.daemon.profile, LOCKED_INBOX_DIR)
  const kept = await readdir(dir)
  assert.equal(kept.length, 1, 'one item in the queue')
  for (const name of kept) {
    const bytes = await readFile(join(dir, name))
    assert.ok(!bytes.includes(Buffer.from(WHILE_LOCKED)), 'no plaintext in the queue')
  }

  const arrived = waitForEvent(bob.client, 'message.received', (p) => p.message.text === WHILE_LOCKED)
  await bob.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
  const received = await arrived
  assert.equal(received.message.sender, alice.userId)
  const history = await bob.client.call('messages.list', { conversationId: `dm:${alice.userId}` })
  assert.equal(history.messages.filter((m) => m.text === WHILE_LOCKED).length, 1, 'once')
  await eventually('the queue emptied', async () => ((await readdir(dir)).length === 0 ? true : undefined))
})

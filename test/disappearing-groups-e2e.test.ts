/**
 * Disappearing messages in a group of three real daemons with a relay (issue 19): only the owner
 * or an admin sets the timer; a 5-second timer reaches every member as a line; a line then
 * vanishes 5 s after it was posted (ours) or read (theirs) — from every member's history and
 * search, and a reply quoting it loses its quote; after the daemons stop, the texts are in no
 * record of any member's sealed store, in no file of any member's profile, nor in the relay's.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { TIMER_MIN_SECONDS } from '../core/src/conversation/disappearing.ts'
import type { Message } from '../node/src/rpc/api.ts'
import { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { sealedStoreDump } from './fixtures/store-dump.ts'

/** Texts that must vanish everywhere once their timer ran out. */
const SECRET = 'the group locker code is 5520-QX'
const SECRET_REPLY = 'got it, shredding 8RT'
/** The timer plus sweeps (1 s) and deliveries on a loaded 2-core machine. */
const EXPIRY_TIMEOUT_MS = TIMER_MIN_SECONDS * 1000 + 20_000

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

/** Every file under `dir`, read whole (profiles and relay stores of a test are small). */
async function filesContaining(dir: string, needles: readonly string[]): Promise<string[]> {
  const hits: string[] = []
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
  assert.ok(files.length > 0, `${dir} holds files`)
  for (const entry of files) {
    const path = join(entry.parentPath, entry.name)
    const bytes = await readFile(path)
    for (const needle of needles) if (bytes.includes(Buffer.from(needle))) hits.push(`${path}: ${needle}`)
  }
  return hits
}

describe('disappearing messages in a group of three daemons', () => {
  let relay: TestRelay
  const peers: ChatPeer[] = []
  const names = ['Ann', 'Ben', 'Cat']
  const [A, B, C] = [0, 1, 2]
  const p = (i: number) => peers[i] as ChatPeer
  let conversationId = ''

  async function texts(i: number): Promise<string[]> {
    return (await p(i).client.call('messages.list', { conversationId, limit: 500 })).messages.map(
      (m: Message) => m.text,
    )
  }

  before(async () => {
    relay = await startTestRelay()
    const relayArgs = ['--relay', relayAddr(relay)]
    peers.push(await startPeer(names[A] as string, { args: relayArgs }))
    const args = [...relayArgs, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])]
    peers.push(...(await Promise.all(names.slice(1).map((n) => startPeer(n, { args })))))
    const ownerCard = (await p(A).client.call('identity.get', {})).card
    for (const i of [B, C]) {
      await p(A).client.call('contacts.add', { card: (await p(i).client.call('identity.get', {})).card })
      await p(i).client.call('contacts.add', { card: ownerCard })
    }
    const created = await p(A).client.call('groups.create', {
      name: 'Vault crew',
      members: [B, C].map((i) => p(i).userId),
    })
    conversationId = created.conversationId
    for (const i of [B, C]) {
      await eventually(`${names[i]} invited`, async () =>
        (await p(i).client.call('groups.list', {})).groups.some((g) => g.groupId === created.groupId)
          ? true
          : undefined,
      )
      await p(i).client.call('groups.accept', { groupId: created.groupId })
    }
    await eventually('three members everywhere', async () => {
      const all = await Promise.all(
        [A, B, C].map(async (i) => (await p(i).client.call('groups.list', {})).groups[0]),
      )
      const hash = all[0]?.stateHash
      return all.every((g) => g?.memberCount === 3 && g.stateHash === hash) ? true : undefined
    })
  })

  after(async () => {
    await Promise.allSettled(peers.map((peer) => peer.stop()))
    await relay?.stop()
  })

  test('a plain member cannot set the timer; the owner sets 5 s and every member shows the line', async () => {
    await assert.rejects(
      p(B).client.call('conversations.setTimer', { conversationId, seconds: TIMER_MIN_SECONDS }),
      (e: unknown) =>
        e instanceof RpcError && e.errorName === 'INVALID_INPUT' && /owner and admins/.test(e.message),
    )
    const atOthers = [B, C].map((i) =>
      waitForEvent(
        p(i).client,
        'conversation.timerChanged',
        (e) => e.conversationId === conversationId && e.seconds === TIMER_MIN_SECONDS,
      ),
    )
    const set = await p(A).client.call('conversations.setTimer', {
      conversationId,
      seconds: TIMER_MIN_SECONDS,
    })
    assert.equal(set.message?.text, 'Disappearing messages set to 5 seconds')
    for (const changed of await Promise.all(atOthers)) {
      assert.equal(changed.by, p(A).userId)
      assert.equal(changed.message.text, set.message?.text)
    }
    const again = await p(A).client.call('conversations.setTimer', {
      conversationId,
      seconds: TIMER_MIN_SECONDS,
    })
    assert.equal(again.message, null, 'already 5 s')
  })

  test('a line and a reply quoting it vanish from every history and from search once read and expired', async () => {
    const arrived = [B, C].map((i) =>
      waitForEvent(p(i).client, 'message.received', (e) => e.message.text === SECRET),
    )
    const { message: sent } = await p(A).client.call('messages.send', { conversationId, text: SECRET })
    await Promise.all(arrived)
    const replied = [A, C].map((i) =>
      waitForEvent(p(i).client, 'message.received', (e) => e.message.text === SECRET_REPLY),
    )
    await p(B).client.call('messages.send', { conversationId, text: SECRET_REPLY, replyTo: sent.id })
    await Promise.all(replied)
    const found = await p(C).client.call('messages.search', { query: '5520' })
    assert.equal(found.results.length, 1, 'searchable before it expires')
    // unread at Cat: its copies wait for the read
    await p(A).client.call('messages.markRead', { conversationId })
    await p(B).client.call('messages.markRead', { conversationId })
    await eventually(
      'the secrets gone at Ann and Ben',
      async () => {
        const left = [...(await texts(A)), ...(await texts(B))].filter(
          (t) => t === SECRET || t === SECRET_REPLY,
        )
        return left.length === 0 ? true : undefined
      },
      EXPIRY_TIMEOUT_MS,
    )
    assert.ok(Date.now() - sent.sentAt >= TIMER_MIN_SECONDS * 1000, 'not before the timer ran out')
    const atCat = (await texts(C)).filter((t) => t === SECRET || t === SECRET_REPLY)
    assert.deepEqual(atCat.sort(), [SECRET, SECRET_REPLY].sort(), 'unread at Cat: the timer has not started')
    const readAt = Date.now()
    await p(C).client.call('messages.markRead', { conversationId })
    await eventually(
      'the secrets gone at Cat once read',
      async () => ((await texts(C)).some((t) => t === SECRET || t === SECRET_REPLY) ? undefined : true),
      EXPIRY_TIMEOUT_MS,
    )
    assert.ok(Date.now() - readAt >= TIMER_MIN_SECONDS * 1000 - 1000, 'counted from the read')
    for (const i of [A, B, C]) {
      for (const query of ['5520', 'shredding'])
        assert.equal((await p(i).client.call('messages.search', { query })).results.length, 0)
      assert.ok(
        (await texts(i)).some((t) => t.startsWith('Disappearing messages set')),
        'the timer line stays',
      )
    }
    // a line after the secrets, so the stores hold something else that is searchable
    const marker = 'an ordinary line after the timer ran out'
    const { message: plain } = await p(A).client.call('messages.send', { conversationId, text: marker })
    assert.ok(plain.id.length > 0)
  })

  test('the texts are in no sealed record and no file of any profile, nor in the relay store', async () => {
    for (const peer of peers) await peer.daemon.stop()
    const secrets = [SECRET, SECRET_REPLY, 'locker code is 5520']
    for (const [i, peer] of peers.entries()) {
      const dump = await sealedStoreDump(peer.home, peer.daemon.profile, TEST_PASSPHRASE)
      assert.ok(dump.includes('Disappearing messages set'), `${names[i]}'s store was read`)
      for (const secret of secrets) assert.ok(!dump.includes(secret), `${secret} left in ${names[i]}'s store`)
      assert.deepEqual(await filesContaining(peer.home, secrets), [], `${names[i]}'s profile files`)
    }
    assert.deepEqual(await filesContaining(relay.dataDir, secrets), [], 'the relay store')
  })
})

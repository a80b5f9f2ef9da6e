/**
 * Groups end to end: five real daemons on loopback (each bootstraps to the first). Only the
 * owner knows everyone's card; the others reach each other through the member cards that travel
 * with the group ops. Every wait is bounded.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { GroupSummary, Message } from '../node/src/rpc/api.ts'
import { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { spawnDaemon } from './fixtures/daemon.ts'

/** Outbox retries stay short so a returning member is served quickly. */
const RETRY_ARGS = ['--retry-max-ms', '1000']
const OFFLINE_MESSAGES = 50

async function rpcError(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`)
    return error
  }
  assert.fail('the call was expected to fail')
}

describe('groups over gossipsub with sender keys, five daemons', () => {
  const peers: ChatPeer[] = []
  let groupId = ''
  let conversationId = ''
  const [A, B, C, D, E] = [0, 1, 2, 3, 4]
  const p = (i: number) => peers[i] as ChatPeer

  async function summaryOf(i: number): Promise<GroupSummary | undefined> {
    return (await p(i).client.call('groups.list', {})).groups.find((g) => g.groupId === groupId)
  }

  /** Wait until every listed peer holds the same group state (same hash) and return it. */
  async function converged(
    indexes: number[],
    what: string,
    done: (s: GroupSummary) => boolean = () => true,
  ): Promise<GroupSummary> {
    return eventually(what, async () => {
      const all = await Promise.all(indexes.map(summaryOf))
      const first = all[0]
      if (first === undefined || all.some((s) => s?.stateHash !== first.stateHash)) return undefined
      return done(first) ? first : undefined
    })
  }

  async function history(i: number): Promise<Message[]> {
    return (await p(i).client.call('messages.list', { conversationId, limit: 500 })).messages
  }

  before(async () => {
    peers.push(await startPeer('Ann', { args: RETRY_ARGS }))
    const bootstrap = [...RETRY_ARGS, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])]
    const rest = await Promise.all(['Ben', 'Cat', 'Dan', 'Eve'].map((n) => startPeer(n, { args: bootstrap })))
    peers.push(...rest)
    const ownerCard = (await p(A).client.call('identity.get', {})).card
    for (const peer of rest) {
      const card = (await peer.client.call('identity.get', {})).card
      await p(A).client.call('contacts.add', { card })
      await peer.client.call('contacts.add', { card: ownerCard })
    }
  })

  after(async () => {
    await Promise.allSettled(peers.map((peer) => peer.stop()))
  })

  test('create and invite four; each accepts; all five hold the same members', async () => {
    const invited = [B, C, D, E].map((i) => waitForEvent(p(i).client, 'group.invited', () => true))
    const created = await p(A).client.call('groups.create', {
      name: 'Wren hikers',
      members: [B, C, D, E].map((i) => p(i).userId),
    })
    groupId = created.groupId
    conversationId = created.conversationId
    assert.equal(created.role, 'owner')
    for (const [k, wait] of invited.entries()) {
      const { group } = await wait
      assert.equal(group.groupId, groupId)
      assert.equal(group.status, 'invited')
      assert.equal(group.invitedBy, p(A).userId)
      const accepted = await p([B, C, D, E][k] as number).client.call('groups.accept', { groupId })
      assert.equal(accepted.status, 'member')
    }
    const state = await converged([A, B, C, D, E], 'five members everywhere', (s) => s.memberCount === 5)
    assert.equal(state.memberCount, 5)
    assert.equal(state.name, 'Wren hikers')
    const { members } = await p(C).client.call('groups.members', { groupId })
    assert.deepEqual(members.map((m) => m.role).sort(), ['member', 'member', 'member', 'member', 'owner'])
  })

  test('every member posts once; each message reaches the four others exactly once and shows delivered', async () => {
    const sent: Message[] = []
    for (const i of [A, B, C, D, E]) {
      sent.push(
        (await p(i).client.call('messages.send', { conversationId, text: `hello from ${i}` })).message,
      )
    }
    for (const i of [A, B, C, D, E]) {
      const texts = await eventually(`five messages at peer ${i}`, async () => {
        const h = await history(i)
        return h.length >= 5 ? h.map((m) => m.text).sort() : undefined
      })
      assert.deepEqual(
        texts,
        [0, 1, 2, 3, 4].map((k) => `hello from ${k}`),
      )
    }
    await eventually('ann sees her message delivered to all four', async () => {
      const mine = (await history(A)).find((m) => m.id === sent[0]?.id)
      return mine?.status === 'delivered' && mine.receipts === 4 ? true : undefined
    })
    const receipts = await p(A).client.call('groups.receipts', {
      conversationId,
      messageId: sent[0]?.id ?? '',
    })
    assert.equal(receipts.receipts.length, 4)

    // one member reads: the aggregate stays delivered (no message.status), group.receipt names him
    const firstId = sent[0]?.id ?? ''
    const bensCopy = (await history(B)).find((m) => m.id === firstId)
    assert.ok(bensCopy)
    const statuses: string[] = []
    const offStatus = await p(A).client.on('message.status', (e) => {
      if (e.messageId === firstId) statuses.push(e.status)
    })
    const read = waitForEvent(
      p(A).client,
      'group.receipt',
      (e) => e.messageId === firstId && e.userId === p(B).userId && e.status === 'read',
    )
    await p(B).client.call('messages.markRead', { conversationId, upToSeq: bensCopy.seq })
    assert.equal((await read).conversationId, conversationId)
    offStatus()
    const states = await p(A).client.call('groups.receipts', { conversationId, messageId: firstId })
    assert.deepEqual(
      Object.fromEntries(states.receipts.map((r) => [r.userId, r.status])),
      Object.fromEntries([B, C, D, E].map((i) => [p(i).userId, i === B ? 'read' : 'delivered'])),
    )
    assert.deepEqual(statuses, [], 'the aggregate did not change')
    assert.equal((await history(A)).find((m) => m.id === firstId)?.status, 'delivered')
    const conversations = await p(B).client.call('conversations.list', {})
    const group = conversations.conversations.find((c) => c.id === conversationId)
    assert.equal(group?.kind, 'group')
    assert.equal(group?.groupId, groupId)
  })

  test("a member's remove is refused and changes nothing", async () => {
    const before = await summaryOf(C)
    const error = await rpcError(p(C).client.call('groups.remove', { groupId, userId: p(D).userId }))
    assert.equal(error.errorName, 'INVALID_INPUT')
    assert.equal((await summaryOf(C))?.stateHash, before?.stateHash)
  })

  test('bad RPC input is refused and changes nothing', async () => {
    const before = await summaryOf(A)
    const bad: Array<[string, Record<string, unknown>]> = [
      ['groups.create', { name: '' }],
      ['groups.create', { name: 'x'.repeat(129) }],
      ['groups.rename', { groupId, name: 'ok', extra: 1 }],
      ['groups.invite', { groupId, userId: 'not-a-user' }],
      ['groups.remove', { groupId: 'GG', userId: p(B).userId }],
      ['groups.setRole', { groupId, userId: p(B).userId, role: 'owner' }],
    ]
    for (const [method, params] of bad) {
      const error = await rpcError(p(A).client.call(method as 'groups.create', params as never))
      assert.equal(error.code, -32602, `${method} ${JSON.stringify(params)}`)
    }
    const unknown = '0'.repeat(32)
    assert.equal(
      (await rpcError(p(A).client.call('groups.rename', { groupId: unknown, name: 'x' }))).errorName,
      'NOT_FOUND',
    )
    assert.equal(
      (await rpcError(p(A).client.call('messages.send', { conversationId: `grp:${unknown}`, text: 'x' })))
        .errorName,
      'NOT_FOUND',
    )
    assert.equal((await summaryOf(A))?.stateHash, before?.stateHash)
    assert.equal((await p(A).client.call('groups.list', {})).groups.length, 1)
  })

  test('concurrent remove and rename by two admins converge; the removed member reads nothing after', async () => {
    const before = (await summaryOf(B))?.stateHash
    await p(A).client.call('groups.setRole', { groupId, userId: p(B).userId, role: 'admin' })
    await converged([A, B, C, D, E], 'ben is admin everywhere', (s) => s.stateHash !== before)
    const epoch = (await summaryOf(A))?.epoch ?? 0
    await Promise.all([
      p(A).client.call('groups.remove', { groupId, userId: p(E).userId }),
      p(B).client.call('groups.rename', { groupId, name: 'Wren hikers (core)' }),
    ])
    const state = await converged(
      [A, B, C, D],
      'remove + rename converge on the four',
      (s) => s.memberCount === 4 && s.name === 'Wren hikers (core)',
    )
    assert.equal(state.memberCount, 4)
    assert.equal(state.name, 'Wren hikers (core)')
    assert.equal(state.epoch, epoch + 1)
    const evicted = await eventually('eve learns she was removed', async () => {
      const s = await summaryOf(E)
      return s?.status === 'removed' ? s : undefined
    })
    assert.equal(evicted.role, null)
    const { message } = await p(A).client.call('messages.send', { conversationId, text: 'after removal' })
    for (const i of [B, C, D]) {
      await eventually(`peer ${i} reads the post-removal message`, async () =>
        (await history(i)).some((m) => m.id === message.id) ? true : undefined,
      )
    }
    // Eve holds no sender key of the new epoch: nothing after her removal is ever stored there
    await new Promise((r) => setTimeout(r, 1000))
    assert.equal(
      (await history(E)).some((m) => m.text === 'after removal'),
      false,
    )
    const error = await rpcError(p(E).client.call('messages.send', { conversationId, text: 'let me in' }))
    assert.equal(error.errorName, 'INVALID_INPUT')
  })

  test(`a member offline during ${OFFLINE_MESSAGES} messages gets all of them exactly once after restart`, async () => {
    const dan = p(D)
    await dan.daemon.stop()
    const texts = Array.from({ length: OFFLINE_MESSAGES }, (_, k) => `while away ${k}`)
    for (const text of texts) await p(A).client.call('messages.send', { conversationId, text })
    const again = await spawnDaemon({
      home: dan.daemon.home,
      profile: dan.daemon.profile,
      args: [...RETRY_ARGS, ...p(A).addrs.flatMap((a) => ['--bootstrap', a])],
    })
    // stopping the restarted daemon leaves dan's home; dan.stop() removes it
    const stop = async () => {
      await again.stop()
      await dan.stop()
    }
    peers[D] = { ...dan, daemon: again, client: again.client, stop }
    await again.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    const got = await eventually(
      `${OFFLINE_MESSAGES} messages at dan`,
      async () => {
        const away = (await history(D)).filter((m) => m.text.startsWith('while away '))
        return away.length >= OFFLINE_MESSAGES ? away : undefined
      },
      60_000,
    )
    await new Promise((r) => setTimeout(r, 1000))
    const final = (await history(D)).filter((m) => m.text.startsWith('while away '))
    assert.equal(final.length, OFFLINE_MESSAGES, 'no duplicates')
    assert.deepEqual(new Set(got.map((m) => m.text)), new Set(texts))
  })

  test('the owner leaves: ownership passes to the admin on every remaining member', async () => {
    const left = await p(A).client.call('groups.leave', { groupId })
    assert.equal(left.status, 'left')
    const state = await converged(
      [B, C, D],
      'the three agree after the owner left',
      (s) => s.memberCount === 3,
    )
    assert.equal(state.memberCount, 3)
    assert.equal((await summaryOf(B))?.role, 'owner')
    const { members } = await p(C).client.call('groups.members', { groupId })
    assert.equal(members.find((m) => m.role === 'owner')?.userId, p(B).userId)
    const { message } = await p(B).client.call('messages.send', { conversationId, text: 'new owner here' })
    await eventually('cat reads the new owner', async () =>
      (await history(C)).some((m) => m.id === message.id) ? true : undefined,
    )
  })
})

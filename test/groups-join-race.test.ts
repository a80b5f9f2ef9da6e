/**
 * The joined-while-posting race, end to end on real daemons: a post made right after a
 * newcomer's `groups.accept` returns, before the poster has processed that acceptance, still
 * reaches the newcomer. Every wait is bounded and waits for the post itself (a positive marker).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { GroupSummary, Message } from '../node/src/rpc/api.ts'
import { type ChatPeer, eventually, startPeer, waitForEvent } from './fixtures/chat.ts'

describe('groups: a post in flight while a member joins', () => {
  const peers: ChatPeer[] = []
  let groupId = ''
  let conversationId = ''
  const [A, B, C, D] = [0, 1, 2, 3]
  const p = (i: number) => peers[i] as ChatPeer

  async function summaryOf(i: number): Promise<GroupSummary | undefined> {
    return (await p(i).client.call('groups.list', {})).groups.find((g) => g.groupId === groupId)
  }

  async function history(i: number): Promise<Message[]> {
    return (await p(i).client.call('messages.list', { conversationId, limit: 100 })).messages
  }

  /** Ann invites `i`; it waits for the invitation and accepts; `poster` posts as soon as accept returns. */
  async function joinWhilePosting(i: number, poster: number, text: string): Promise<Message> {
    const invited = waitForEvent(p(i).client, 'group.invited', (e) => e.group.groupId === groupId)
    await p(A).client.call('groups.invite', { groupId, userId: p(i).userId })
    await invited
    // the poster must know the invitation (it travels with Ann's op), not yet the acceptance
    await eventually('the poster sees the invitation', async () => {
      const { invitations } = await p(poster).client.call('groups.members', { groupId })
      return invitations.some((x) => x.userId === p(i).userId) ? true : undefined
    })
    const accepted = await p(i).client.call('groups.accept', { groupId })
    assert.equal(accepted.status, 'member')
    const { message } = await p(poster).client.call('messages.send', { conversationId, text })
    return message
  }

  before(async () => {
    peers.push(await startPeer('Ann'))
    const bootstrap = p(A).addrs.flatMap((a) => ['--bootstrap', a])
    peers.push(...(await Promise.all(['Ben', 'Cat', 'Dan'].map((n) => startPeer(n, { args: bootstrap })))))
    const ownerCard = (await p(A).client.call('identity.get', {})).card
    for (const i of [B, C, D]) {
      await p(A).client.call('contacts.add', { card: (await p(i).client.call('identity.get', {})).card })
      await p(i).client.call('contacts.add', { card: ownerCard })
    }
    const invited = waitForEvent(p(B).client, 'group.invited', () => true)
    const created = await p(A).client.call('groups.create', { name: 'late joiners', members: [p(B).userId] })
    groupId = created.groupId
    conversationId = created.conversationId
    await invited
    await p(B).client.call('groups.accept', { groupId })
    await eventually('ann and ben are both members', async () =>
      (await summaryOf(A))?.memberCount === 2 && (await summaryOf(B))?.memberCount === 2 ? true : undefined,
    )
  })

  after(async () => {
    await Promise.allSettled(peers.map((peer) => peer.stop()))
  })

  test('the owner posts right after a newcomer accepts: the newcomer receives the post', async () => {
    const post = await joinWhilePosting(C, A, 'welcome, said before the accept arrived')
    const got = await eventually('cat receives the post', async () =>
      (await history(C)).find((m) => m.id === post.id),
    )
    assert.equal(got.text, 'welcome, said before the accept arrived')
    assert.equal(got.sender, p(A).userId)
    await eventually('ben receives it too', async () =>
      (await history(B)).some((m) => m.id === post.id) ? true : undefined,
    )
    await eventually('ann counts cat among those it was delivered to', async () => {
      const { receipts } = await p(A).client.call('groups.receipts', { conversationId, messageId: post.id })
      return receipts.some((r) => r.userId === p(C).userId && r.status === 'delivered') ? true : undefined
    })
  })

  test('another member posts right after a newcomer accepts: the newcomer receives the post', async () => {
    const post = await joinWhilePosting(D, B, 'hello from ben, in flight')
    const got = await eventually('dan receives the post', async () =>
      (await history(D)).find((m) => m.id === post.id),
    )
    assert.equal(got.text, 'hello from ben, in flight')
    assert.equal(got.sender, p(B).userId)
    // the newcomer reads what comes after as well, exactly once each
    const { message: next } = await p(B).client.call('messages.send', { conversationId, text: 'and after' })
    await eventually('dan receives the next post', async () =>
      (await history(D)).some((m) => m.id === next.id) ? true : undefined,
    )
    const mine = (await history(D)).filter((m) => m.sender === p(B).userId)
    assert.deepEqual(
      mine.map((m) => m.text),
      ['hello from ben, in flight', 'and after'],
    )
  })
})

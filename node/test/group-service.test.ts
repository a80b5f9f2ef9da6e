/**
 * GroupService in one process: three real services on real LevelDB profiles, joined by an
 * in-memory network that delivers pairwise payloads in order per sender/receiver pair (as the
 * messenger's outbox does) and topic payloads to subscribers. Checks what the daemons cannot
 * show from outside: a removed member holds no key that opens a message sent after its removal,
 * an action that overtakes its message is held and applied on arrival, and forged operations are
 * dropped.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { toHex } from '../../core/src/bytes.ts'
import { ACTION_REACT } from '../../core/src/conversation/constants.ts'
import { encodeGroupOp, GROUP_OP_RENAME, signGroupOp } from '../../core/src/group/index.ts'
import { generateIdentityKeyPair } from '../../core/src/identity.ts'
import { peekSenderKeyMessage, senderKeyDecrypt } from '../../core/src/sender-key.ts'
import { eventually } from '../../test/fixtures/chat.ts'
import { MemoryNet, makeMemoryNode, type Node } from '../../test/fixtures/group-memory-net.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { APP_GROUP_OPS } from '../src/groups/constants.ts'
import type { PeerSenderKey } from '../src/groups/group-store.ts'
import { decodeWire, encodeOpsPayload } from '../src/groups/wire.ts'
import type { AppHandler } from '../src/messaging/inbound.ts'
import type { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite(seededRandom('group-service'))

describe('GroupService in one process', () => {
  const net = new MemoryNet(suite)
  const dirs: string[] = []
  const nodes: Node[] = []
  let groupId = ''

  async function makeNode(name: string): Promise<Node> {
    const dir = await mkdtemp(join(tmpdir(), `wren-group-${name}-`))
    dirs.push(dir)
    return makeMemoryNode(net, name, dir)
  }

  const [A, B, C] = [0, 1, 2]
  const n = (i: number) => nodes[i] as Node

  before(async () => {
    for (const name of ['ann', 'ben', 'cat']) nodes.push(await makeNode(name))
    for (const i of [B, C]) {
      await n(A).pairwise.addContact(
        (await import('../../core/src/contact-card.ts')).parseContactCard(suite, n(i).card),
        undefined,
      )
    }
    const created = await n(A).service.create('three', [n(B).userId, n(C).userId])
    groupId = created.groupId
    for (const i of [B, C]) {
      await eventually('invitation', async () => (n(i).service.group(groupId) ? true : undefined), 5000)
      await n(i).service.accept(groupId)
    }
    await eventually(
      'three members everywhere',
      async () =>
        nodes.every((x) => x.service.group(groupId)?.log.state.members.length === 3) ? true : undefined,
      5000,
    )
  })

  after(async () => {
    await net.idle()
    net.closed = true
    for (const x of nodes) await x.service.stop()
    await net.idle()
    for (const x of nodes) {
      await x.store.close()
    }
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  test('a removed member holds no sender key that opens a message sent after its removal', async () => {
    const conversationId = `grp:${groupId}`
    await n(A).service.messages.send(conversationId, 'before')
    await eventually(
      'cat reads the first message',
      async () =>
        (await n(C).vault.listMessages(conversationId, undefined, 10)).messages.length === 1
          ? true
          : undefined,
      5000,
    )
    await n(A).service.remove(groupId, n(C).userId)
    await eventually(
      'ben sees the new epoch',
      async () => (n(B).service.group(groupId)?.log.state.epoch === 1 ? true : undefined),
      5000,
    )
    await eventually(
      'cat sees its removal',
      async () => (n(C).service.group(groupId)?.record.status === 'removed' ? true : undefined),
      5000,
    )
    const sent = await n(A).service.messages.send(conversationId, 'after')
    const wire = n(A).published.at(-1) as Uint8Array
    const message = decodeWire(wire).message
    await eventually(
      'ben reads it',
      async () =>
        (await n(B).vault.listMessages(conversationId, undefined, 10)).messages.some((m) => m.id === sent.id)
          ? true
          : undefined,
      5000,
    )
    // every sender-key state cat ever stored (the store keeps none after removal) fails on it
    const held: PeerSenderKey[] = []
    for await (const [, v] of n(C).store.iterate<PeerSenderKey>({ prefix: 'gr/' })) held.push(v)
    assert.equal(held.length, 0, 'cat dropped every key of the group')
    const distHex = toHex(peekSenderKeyMessage(message).distributionId)
    assert.equal(n(C).service.keys.peer(distHex), undefined)
    assert.notEqual(n(B).service.keys.peer(distHex), undefined)
    const catMessages = (await n(C).vault.listMessages(conversationId, undefined, 10)).messages
    assert.deepEqual(
      catMessages.map((m) => m.text),
      ['before'],
    )
    // even a copy of ben's receiver state for the old epoch (what cat had) cannot open it
    const old = [...(await collect(n(B).store))].filter((k) => k.epoch === 0)
    for (const k of old) {
      const { decodeSenderKeyState } = await import('../../core/src/sender-key.ts')
      assert.throws(() => senderKeyDecrypt(suite, decodeSenderKeyState(k.state), message))
    }
    assert.ok(old.length > 0)
  })

  test('a post made while an acceptance is in flight reaches the newcomer once the acceptance arrives', async () => {
    const conversationId = `grp:${groupId}`
    const dan = await makeNode('dan')
    nodes.push(dan)
    await n(A).pairwise.addContact(
      (await import('../../core/src/contact-card.ts')).parseContactCard(suite, dan.card),
      undefined,
    )
    await n(A).service.invite(groupId, dan.userId, 'member')
    await eventually('dan is invited', async () => (dan.service.group(groupId) ? true : undefined), 5000)
    // dan's accept (and everything else from dan) reaches ann only when the link opens
    const open = net.hold(dan.userId, n(A).userId)
    await dan.service.accept(groupId)
    const post = await n(A).service.messages.send(conversationId, 'posted before the accept arrived')
    assert.equal(n(A).service.held.count(groupId), 1, 'the post is held for the pending invitee')
    await eventually(
      'ben reads the post',
      async () =>
        (await n(B).vault.listMessages(conversationId, undefined, 10)).messages.some((m) => m.id === post.id)
          ? true
          : undefined,
      5000,
    )
    open()
    const got = await eventually(
      'dan reads the post',
      async () =>
        (await dan.vault.listMessages(conversationId, undefined, 10)).messages.find((m) => m.id === post.id),
      5000,
    )
    assert.equal(got.text, 'posted before the accept arrived')
    assert.equal(n(A).service.held.count(groupId), 0, 'the hold is gone once the invitee joined')
    const receipts = await eventually(
      'ann counts dan as delivered',
      async () => {
        const r = await n(A).service.messages.receipts(conversationId, post.id)
        return r.some((x) => x.userId === dan.userId && x.status === 'delivered') ? r : undefined
      },
      5000,
    )
    assert.ok(receipts.length >= 2)
  })

  test('a reaction that overtakes its message is held, then applied when the message arrives', async () => {
    const conversationId = `grp:${groupId}`
    const dan = nodes[3] as Node
    // ben hears nothing on the topic and nothing from ann until the link opens; dan reaches him
    const topics = [...net.topics.values()].filter((set) => set.delete(n(B).userId))
    const open = net.hold(n(A).userId, n(B).userId)
    const post = await n(A).service.messages.send(conversationId, 'overtaken')
    await eventually(
      'dan reads the post',
      async () => ((await dan.service.messages.has(post.id)) ? true : undefined),
      5000,
    )
    await dan.service.messages.act(post.id, { kind: ACTION_REACT, emoji: '👍' })
    const heldAtBen = async () => {
      let count = 0
      for await (const _ of n(B).store.iterate({ prefix: 'gh/' })) count++
      return count
    }
    await eventually(
      'ben holds the reaction',
      async () => ((await heldAtBen()) === 1 ? true : undefined),
      5000,
    )
    assert.equal(await n(B).service.messages.has(post.id), false, 'the message has not reached ben')
    open()
    const got = await eventually(
      'ben reads the post with the reaction',
      async () => {
        const m = (await n(B).vault.listMessages(conversationId, undefined, 50)).messages.find(
          (x) => x.id === post.id,
        )
        return m?.reactions === undefined ? undefined : m
      },
      5000,
    )
    assert.deepEqual(
      got.reactions?.map((r) => [r.sender, r.emoji]),
      [[dan.userId, '👍']],
    )
    assert.equal(await heldAtBen(), 0, 'the held reaction is gone once applied')
    for (const set of topics) set.add(n(B).userId)
  })

  test('a forged op (signed by a non-member key) is dropped and changes nothing', async () => {
    const before = n(B).service.summary(n(B).service.requireGroup(groupId)).stateHash
    const stranger = generateIdentityKeyPair(suite)
    const g = n(B).service.requireGroup(groupId)
    const forged = signGroupOp(suite, stranger, {
      groupId: g.log.groupId,
      parents: [...g.log.heads],
      timestamp: 1,
      args: { kind: GROUP_OP_RENAME, name: 'pwned' },
    })
    const handler = n(B).handlers.get(APP_GROUP_OPS) as AppHandler
    const effect = await handler({
      senderUserId: n(A).userId,
      // one device per user here: no device key to tell apart
      senderDeviceKey: new Uint8Array(32),
      contact: undefined as never,
      payload: encodeOpsPayload({
        groupId: g.log.groupId,
        ops: [encodeGroupOp(forged)],
        cards: [],
        invite: false,
      }),
      messageId: 'x',
      receivedAt: 1,
      via: 'direct',
    })
    effect.after?.()
    const after = n(B).service.summary(n(B).service.requireGroup(groupId))
    assert.equal(after.stateHash, before)
    assert.notEqual(after.name, 'pwned')
  })
})

async function collect(store: SealedStore): Promise<PeerSenderKey[]> {
  const out: PeerSenderKey[] = []
  for await (const [, v] of store.iterate<PeerSenderKey>({ prefix: 'gr/' })) out.push(v)
  return out
}

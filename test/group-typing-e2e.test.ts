/**
 * Typing and presence in a group between three real daemons (issue 17): Alice knows Bob and Cat,
 * who know each other only through the group. Alice's typing in the group reaches both, marked
 * with the group's conversation; a second "typing" within the send interval does not leave; a
 * stop ends it at once; Cat's typing reaches Bob although they were never direct contacts; the
 * members see each other's presence, and a member's profile picture reaches the member who knows
 * it only through the group; `wren chat` in the group shows who types and who wrote by name;
 * turned off, typing is neither sent nor shown.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { EventName, EventPayload } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPair, startPeer, waitForEvent } from './fixtures/chat.ts'
import { seededJpeg } from './fixtures/jpeg.ts'
import { startWren } from './fixtures/wren-cli.ts'

/** Forming a 3-member group (invitations, accepts, Sender Keys) on a loaded 2-core machine. */
const GROUP_FORMED_MS = 60_000

async function collect<E extends EventName>(client: WrenClient, event: E): Promise<Array<EventPayload<E>>> {
  const seen: Array<EventPayload<E>> = []
  await client.on(event, ((payload: EventPayload<E>) => seen.push(payload)) as never)
  return seen
}

describe('typing and presence in a group of three daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let cat: ChatPeer
  let group: string

  before(async () => {
    ;({ alice, bob } = await startPair())
    // bob's profile picture, set before cat knows him: cat gets it when the group adds bob's card
    await bob.client.call('identity.setPicture', { image: seededJpeg(200, 200, 5).toString('base64') })
    cat = await startPeer('Cat', { args: alice.addrs.flatMap((a) => ['--bootstrap', a]) })
    await alice.client.call('contacts.add', { card: (await cat.client.call('identity.get', {})).card })
    await cat.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    const created = await alice.client.call('groups.create', {
      name: 'Typists',
      members: [bob.userId, cat.userId],
    })
    group = created.conversationId
    for (const peer of [bob, cat]) {
      await eventually(
        'the invitation',
        async () =>
          (await peer.client.call('groups.list', {})).groups.some((g) => g.groupId === created.groupId)
            ? true
            : undefined,
        GROUP_FORMED_MS,
      )
      await peer.client.call('groups.accept', { groupId: created.groupId })
    }
    await eventually(
      'three members everywhere',
      async () => {
        const all = await Promise.all(
          [alice, bob, cat].map(async (p) => (await p.client.call('groups.list', {})).groups[0]),
        )
        return all.every((g) => g?.memberCount === 3 && g.stateHash === all[0]?.stateHash) ? true : undefined
      },
      GROUP_FORMED_MS,
    )
    // a message from each member: every pair has exchanged Sender Keys over a connection
    for (const [i, peer] of [alice, bob, cat].entries()) {
      const text = `hello from ${i}`
      const arrivals = [alice, bob, cat]
        .filter((p) => p !== peer)
        .map((p) =>
          waitForEvent(p.client, 'message.received', (e) => e.message.text === text, GROUP_FORMED_MS),
        )
      await peer.client.call('messages.send', { conversationId: group, text })
      await Promise.all(arrivals)
    }
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop(), cat?.stop()])
  })

  test("alice's typing in the group reaches both members, is throttled, and a stop ends it", async () => {
    const atBob = waitForEvent(bob.client, 'typing', (p) => p.conversationId === group && p.typing)
    const atCat = waitForEvent(cat.client, 'typing', (p) => p.conversationId === group && p.typing)
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: group, typing: true }), {
      sent: true,
    })
    for (const event of await Promise.all([atBob, atCat])) {
      assert.equal(event.userId, alice.userId)
      assert.ok(event.expiresAt !== null && event.expiresAt > Date.now())
    }
    // a second "typing" within the send interval does not leave
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: group, typing: true }), {
      sent: false,
    })
    const stoppedAtBob = waitForEvent(bob.client, 'typing', (p) => p.conversationId === group && !p.typing)
    const stoppedAtCat = waitForEvent(cat.client, 'typing', (p) => p.conversationId === group && !p.typing)
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: group, typing: false }), {
      sent: true,
    })
    for (const event of await Promise.all([stoppedAtBob, stoppedAtCat])) {
      assert.equal(event.userId, alice.userId)
      assert.equal(event.expiresAt, null)
    }
  })

  test('members who know each other only through the group see each other type and their presence', async () => {
    const atBob = waitForEvent(bob.client, 'typing', (p) => p.userId === cat.userId && p.typing)
    // once the connection between cat and bob is open (a frame that did not leave is not throttled)
    await eventually('a typing frame from cat leaves', async () =>
      (await cat.client.call('typing.set', { conversationId: group, typing: true })).sent ? true : undefined,
    )
    assert.equal((await atBob).conversationId, group)
    await cat.client.call('typing.set', { conversationId: group, typing: false })
    await eventually('cat online at bob', async () => {
      const { presence } = await bob.client.call('contacts.presence', {})
      return presence.find((p) => p.userId === cat.userId)?.online === true ? true : undefined
    })
  })

  test('a member known only through the group gets the profile picture set before', async () => {
    const { picture } = await bob.client.call('identity.picture', {})
    assert.ok(picture !== null)
    const held = await eventually("bob's picture at cat", async () => {
      const at = await cat.client.call('contacts.picture', { userId: bob.userId })
      return at.picture ?? undefined
    })
    assert.deepEqual(held, picture)
  })

  test('wren chat in a group shows who types and who wrote, by name, and sends typed lines to the group', async () => {
    const chat = startWren(['chat', 'Typists'], { home: bob.daemon.home, profile: bob.daemon.profile })
    try {
      await chat.waitForStdout(/Chat with the group Typists/)
      // alice types (a frame from cat now would throttle the one the next test needs)
      await eventually('a typing frame from alice leaves', async () =>
        (await alice.client.call('typing.set', { conversationId: group, typing: true })).sent
          ? true
          : undefined,
      )
      await chat.waitForStdout(/Alice is typing…/)
      await alice.client.call('typing.set', { conversationId: group, typing: false })
      // cat, whom bob knows only through the group, is named too
      await cat.client.call('messages.send', { conversationId: group, text: 'to the chat' })
      await chat.waitForStdout(/\] Cat: to the chat/)
      const atCat = waitForEvent(
        cat.client,
        'message.received',
        (p) => p.message.text === 'typed in the group',
      )
      chat.child.stdin?.write('typed in the group\n')
      assert.equal((await atCat).message.conversationId, group)
      chat.child.stdin?.write('/quit\n')
      assert.equal((await chat.exited()).code, 0)
    } finally {
      chat.child.kill('SIGKILL')
    }
  })

  test('typing turned off: the sender sends none in the group, the receiver shows none', async () => {
    await alice.client.call('typing.configure', { enabled: false })
    assert.deepEqual(await alice.client.call('typing.set', { conversationId: group, typing: true }), {
      sent: false,
    })
    await alice.client.call('typing.configure', { enabled: true })

    await bob.client.call('typing.configure', { enabled: false })
    const shown = await collect(bob.client, 'typing')
    assert.deepEqual(await cat.client.call('typing.set', { conversationId: group, typing: true }), {
      sent: true,
    })
    // the group message sent after the frame is the marker that the frame had its chance
    const marker = waitForEvent(
      bob.client,
      'message.received',
      (p) => p.message.text === 'marker after typing',
    )
    await cat.client.call('messages.send', { conversationId: group, text: 'marker after typing' })
    await marker
    assert.deepEqual(shown, [])
    await bob.client.call('typing.configure', { enabled: true })
    await cat.client.call('typing.set', { conversationId: group, typing: false })
  })

  test('typing in a group we do not know is NOT_FOUND', async () => {
    await assert.rejects(
      alice.client.call('typing.set', { conversationId: `grp:${'ab'.repeat(16)}`, typing: true }),
      (error: { code?: number }) => error.code === -32003, // NOT_FOUND
    )
  })
})

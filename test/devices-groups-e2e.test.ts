/**
 * Groups across one identity's devices (issue 18), between real daemons. Alice and Bob share a
 * group; Alice links a second device. Bob's group message reaches both of Alice's devices. After
 * Alice revokes the second device, Bob's daemon pins the list that revokes it and rotates its
 * Sender Key: the chain Bob's later group messages are encrypted on reaches Alice's first device
 * and not the revoked one, which holds only Bob's chains from before (read from the stopped
 * daemons' stores: a device without a chain cannot open what was encrypted on it); and Bob no
 * longer holds the Sender Key the revoked device distributed (its group message reached Bob
 * before the revocation).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { heldSenderKeys } from './fixtures/sender-key-dump.ts'

/** Time for a link, a pushed list, a first session or a group message on a loaded 2-core machine. */
const DEVICE_TIMEOUT_MS = 60_000

describe("a group across alice's two devices, and the revoked one left out", () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let second: SpawnedDaemon | undefined
  let secondHome = ''
  let groupId = ''
  let conversationId = ''

  before(async () => {
    ;({ alice, bob } = await startPair())
    // a first 1:1 message each way: both sessions exist before the group forms
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hi alice')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hi alice' })
    await atAlice
    const invited = waitForEvent(bob.client, 'group.invited', () => true, DEVICE_TIMEOUT_MS)
    const created = await alice.client.call('groups.create', { name: 'Two devices', members: [bob.userId] })
    groupId = created.groupId
    conversationId = created.conversationId
    await invited
    await bob.client.call('groups.accept', { groupId })
    for (const peer of [alice, bob])
      await eventually(
        'both members at both',
        async () => {
          const g = (await peer.client.call('groups.list', {})).groups.find((s) => s.groupId === groupId)
          return g?.memberCount === 2 && g.status === 'member' ? true : undefined
        },
        DEVICE_TIMEOUT_MS,
      )
    // bob's key reached alice: his first group message arrives
    const first = waitForEvent(
      alice.client,
      'message.received',
      (p) => p.message.text === 'group hello',
      DEVICE_TIMEOUT_MS,
    )
    await bob.client.call('messages.send', { conversationId, text: 'group hello' })
    await first

    secondHome = await mkdtemp(join(tmpdir(), 'wren-alice2-'))
    second = await spawnDaemon({ home: secondHome, keepHome: true })
    const client = second.client
    const { code } = await client.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    const shown = waitForEvent(client, 'device.linkConfirm', (p) => p.role === 'new')
    const { confirmation } = await alice.client.call('devices.link', { code })
    const onNew = await shown
    await client.call('devices.confirm', { confirmation: onNew.confirmation })
    await alice.client.call('devices.confirm', { confirmation })
    await eventually(
      'the linked node started',
      async () => client.call('devices.list', {}).catch(() => undefined),
      DEVICE_TIMEOUT_MS,
    )
    await eventually(
      "alice's list v2 pinned at bob",
      async () =>
        (await bob.client.call('devices.list', { userId: alice.userId })).version === 2 ? true : undefined,
      DEVICE_TIMEOUT_MS,
    )
  })
  after(async () => {
    await second?.stop()
    if (secondHome !== '') await rm(secondHome, { recursive: true, force: true })
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test("bob's group message reaches both of alice's devices", async () => {
    assert.ok(second !== undefined)
    const text = 'group message to both devices'
    const atFirst = waitForEvent(
      alice.client,
      'message.received',
      (p) => p.message.text === text,
      DEVICE_TIMEOUT_MS,
    )
    const atSecond = waitForEvent(
      second.client,
      'message.received',
      (p) => p.message.text === text,
      DEVICE_TIMEOUT_MS,
    )
    const { message } = await bob.client.call('messages.send', { conversationId, text })
    const [first, other] = await Promise.all([atFirst, atSecond])
    assert.equal(first.message.id, message.id)
    assert.equal(other.message.id, message.id)
    assert.equal(other.message.conversationId, conversationId)
    assert.equal(other.message.sender, bob.userId)
    // and the second device's own group message reaches bob (its own Sender Key, from its session)
    const fromSecond = 'group message from alice device 2'
    const atBob = waitForEvent(
      bob.client,
      'message.received',
      (p) => p.message.text === fromSecond,
      DEVICE_TIMEOUT_MS,
    )
    await second.client.call('messages.send', { conversationId, text: fromSecond })
    assert.equal((await atBob).message.sender, alice.userId)
  })

  test("alice's devices get each other's own Sender Keys: a post from one shows on the other as outgoing", async () => {
    assert.ok(second !== undefined)
    const device2 = second
    // device 2's post: on device 1 as an outgoing line (read with device 2's key), and at bob
    const fromSecond = 'own post from device 2'
    const onFirst = waitForEvent(
      alice.client,
      'message.received',
      (p) => p.message.text === fromSecond,
      DEVICE_TIMEOUT_MS,
    )
    const atBob = waitForEvent(
      bob.client,
      'message.received',
      (p) => p.message.text === fromSecond,
      DEVICE_TIMEOUT_MS,
    )
    const sent = await device2.client.call('messages.send', { conversationId, text: fromSecond })
    const [first, bobs] = await Promise.all([onFirst, atBob])
    assert.equal(first.message.id, sent.message.id)
    assert.equal(first.message.conversationId, conversationId)
    assert.equal(first.message.direction, 'out')
    assert.equal(first.message.sender, alice.userId)
    assert.equal(bobs.message.direction, 'in')
    assert.equal(bobs.message.sender, alice.userId)
    // in device 1's history, once, and not counted unread
    const history = (await alice.client.call('messages.list', { conversationId })).messages
    assert.equal(history.filter((m) => m.id === sent.message.id).length, 1)
    assert.equal(history.find((m) => m.id === sent.message.id)?.direction, 'out')
    // and device 1's post shows on device 2 the same way
    const fromFirst = 'own post from device 1'
    const onSecond = waitForEvent(
      device2.client,
      'message.received',
      (p) => p.message.text === fromFirst,
      DEVICE_TIMEOUT_MS,
    )
    const mine = await alice.client.call('messages.send', { conversationId, text: fromFirst })
    const other = await onSecond
    assert.equal(other.message.id, mine.message.id)
    assert.equal(other.message.direction, 'out')
    assert.equal(other.message.sender, alice.userId)
  })

  test("after revoking the second device, bob's later group messages are on a chain only the first device holds, and bob forgot the revoked device's own key", async () => {
    assert.ok(second !== undefined)
    const device2 = second
    const told = waitForEvent(device2.client, 'device.revoked', () => true, DEVICE_TIMEOUT_MS)
    const secondId = (await alice.client.call('devices.list', {})).devices.find((d) => !d.current)?.deviceId
    assert.ok(secondId !== undefined)
    const revoked = await alice.client.call('devices.revoke', { deviceId: secondId })
    assert.equal(revoked.version, 3)
    await told
    await eventually(
      "alice's list v3 pinned at bob",
      async () =>
        (await bob.client.call('devices.list', { userId: alice.userId })).version === 3 ? true : undefined,
      DEVICE_TIMEOUT_MS,
    )
    // bob rotated its Sender Key for the group once it pinned the revocation
    await eventually(
      "bob's rotation",
      async () =>
        bob.daemon.logs.some((l) => l.includes('sender keys redistributed') && l.includes('"revoked":true'))
          ? true
          : undefined,
      DEVICE_TIMEOUT_MS,
    )
    await eventually(
      "alice's own rotation",
      async () =>
        alice.daemon.logs.some(
          (l) => l.includes('own sender keys redistributed') && l.includes('"revoked":true'),
        )
          ? true
          : undefined,
      DEVICE_TIMEOUT_MS,
    )
    const text = 'group message after the revocation'
    const atFirst = waitForEvent(
      alice.client,
      'message.received',
      (p) => p.message.text === text,
      DEVICE_TIMEOUT_MS,
    )
    const { message } = await bob.client.call('messages.send', { conversationId, text })
    assert.equal((await atFirst).message.id, message.id)

    // read the keys each device holds, from the stopped daemons' stores
    await Promise.all([device2.stop(), alice.daemon.stop(), bob.daemon.stop()])
    const atBob = await heldSenderKeys(bob.home, bob.daemon.profile, TEST_PASSPHRASE)
    const atFirstDevice = await heldSenderKeys(alice.home, alice.daemon.profile, TEST_PASSPHRASE)
    const atRevoked = await heldSenderKeys(secondHome, device2.profile, TEST_PASSPHRASE)
    const bobKey = atBob.own.find((k) => k.groupId === groupId)
    assert.ok(bobKey !== undefined)
    const current = bobKey.chainIds[0]
    assert.ok(current !== undefined)
    const copyAt = (held: typeof atRevoked) =>
      held.peers.find((k) => k.distributionId === bobKey.distributionId && k.sender === bob.userId)
    // the first device holds the chain bob encrypts on now
    assert.ok(copyAt(atFirstDevice)?.chainIds.includes(current))
    // the revoked device held bob's key (it read his messages before) but not the current chain
    const revokedCopy = copyAt(atRevoked)
    assert.ok(revokedCopy !== undefined, "the revoked device had held a copy of bob's key")
    assert.ok(!revokedCopy.chainIds.includes(current), "the revoked device holds bob's current chain")
    // alice's first device rotated its own key too (the revoked device held it, as an own device)
    const aliceKey = atFirstDevice.own.find((k) => k.groupId === groupId)
    assert.ok(aliceKey !== undefined)
    const aliceCurrent = aliceKey.chainIds[0]
    assert.ok(aliceCurrent !== undefined)
    const ownCopy = atRevoked.peers.find(
      (k) => k.distributionId === aliceKey.distributionId && k.sender === alice.userId,
    )
    assert.ok(ownCopy !== undefined, "the revoked device had held a copy of device 1's own key")
    assert.ok(!ownCopy.chainIds.includes(aliceCurrent), "the revoked device holds device 1's current chain")
    // and bob forgot the key the revoked device distributed: what it still posts is not read
    const revokedOwn = atRevoked.own.find((k) => k.groupId === groupId)
    assert.ok(revokedOwn !== undefined)
    assert.ok(
      !atBob.peers.some((k) => k.distributionId === revokedOwn.distributionId),
      "bob still holds the revoked device's key",
    )
  })
})

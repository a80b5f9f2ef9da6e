/**
 * A contact's text written between a link and its pinning the new device list (issue 18), between
 * real daemons. Bob is offline while Alice links a second device, so her pushed list waits; Bob
 * comes back and writes to Alice at once, sealed for the one device he knows (no list v2), and the
 * text reaches her first device. When Bob pins her list v2 he queues his recent texts again to
 * the device it added (messaging/device-resend.ts), so the text reaches the second device too.
 * Without the resend the second device gets it only when the pin wins the race with the delivery.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** Time for a link, a restart, a pushed list or a message on a loaded 2-core machine. */
const DEVICE_TIMEOUT_MS = 60_000

describe("a contact's text written before it pinned the new device list", () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let bobAgain: SpawnedDaemon | undefined
  let second: SpawnedDaemon | undefined
  let secondHome = ''

  before(async () => {
    ;({ alice, bob } = await startPair())
    // a first message each way: both sessions exist before the link
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hi alice')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hi alice' })
    await atAlice
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'hi bob')
    await alice.client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'hi bob' })
    await atBob
  })
  after(async () => {
    await second?.stop()
    if (secondHome !== '') await rm(secondHome, { recursive: true, force: true })
    await bobAgain?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('the new device gets the text once bob pins the list that adds it', async (t) => {
    await bob.daemon.stop()
    secondHome = await mkdtemp(join(tmpdir(), 'wren-alice2-'))
    second = await spawnDaemon({ home: secondHome, keepHome: true })
    const device2 = second.client
    const { code } = await device2.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    const shown = waitForEvent(device2, 'device.linkConfirm', (p) => p.role === 'new')
    const { confirmation } = await alice.client.call('devices.link', { code })
    const onNew = await shown
    await device2.call('devices.confirm', { confirmation: onNew.confirmation })
    await alice.client.call('devices.confirm', { confirmation })
    await eventually(
      'the linked node started',
      async () => device2.call('devices.list', {}).catch(() => undefined),
      DEVICE_TIMEOUT_MS,
    )

    // bob back, without alice's list v2, writes at once
    bobAgain = await spawnDaemon({
      home: bob.daemon.home,
      profile: bob.daemon.profile,
      keepHome: true,
      args: alice.addrs.flatMap((a) => ['--bootstrap', a]),
    })
    await bobAgain.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    // (0: no list of hers pinned yet, she had one device). Alice's device pushes its new list as
    // soon as Bob's daemon connects, so Bob may pin it before he writes: then the text reaches
    // device 2 by the ordinary fan-out, not by the resend. Both ways it must arrive there once;
    // which way this run went is reported (a CI run at load lost the race the test relied on).
    const pinnedBefore = (await bobAgain.client.call('devices.list', { userId: alice.userId })).version
    t.diagnostic(
      pinnedBefore < 2
        ? 'bob wrote before pinning the list that adds device 2: the resend path'
        : 'bob had pinned the new list before writing: the ordinary fan-out path',
    )
    const text = 'written before the pin'
    const onFirst = waitForEvent(
      alice.client,
      'message.received',
      (p) => p.message.text === text,
      DEVICE_TIMEOUT_MS,
    )
    const onSecond = waitForEvent(
      device2,
      'message.received',
      (p) => p.message.text === text,
      DEVICE_TIMEOUT_MS,
    )
    const { message } = await bobAgain.client.call('messages.send', {
      conversationId: `dm:${alice.userId}`,
      text,
    })
    const [first, other] = await Promise.all([onFirst, onSecond])
    assert.equal(first.message.id, message.id)
    assert.equal(other.message.id, message.id)
    assert.equal(other.message.sender, bob.userId)
    const restarted = bobAgain
    await eventually(
      "alice's list v2 pinned at bob",
      async () =>
        (await restarted.client.call('devices.list', { userId: alice.userId })).version === 2
          ? true
          : undefined,
      DEVICE_TIMEOUT_MS,
    )
    // once only in the second device's history (the resend of texts it has is a duplicate there)
    const history = (await device2.call('messages.list', { conversationId: `dm:${bob.userId}` })).messages
    assert.equal(history.filter((m) => m.id === message.id).length, 1)
    assert.equal(history.filter((m) => m.text === 'hi alice').length, 1)
  })
})

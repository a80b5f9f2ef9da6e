/**
 * Our profile picture on our own other devices, between real daemons (issue 17 with issue 18's
 * devices): a picture set on device 1 before a second device is linked comes with the profile's
 * records; one set or removed on device 1 afterwards reaches device 2 end-to-end encrypted
 * through its device slot (like a sent transcript), shows there as our own picture with the same
 * bytes and time, and is announced; the contact still gets every change.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { seededJpeg } from './fixtures/jpeg.ts'

/** Time for a link, a pushed list or a first session on a loaded 2-core machine. */
const DEVICE_TIMEOUT_MS = 60_000

async function ownPicture(client: WrenClient): Promise<{ setAt: number; jpeg: string } | null> {
  return (await client.call('identity.picture', {})).picture
}

describe('our profile picture on our own devices', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let second: SpawnedDaemon | undefined

  before(async () => {
    ;({ alice, bob } = await startPair())
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hello from bob')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hello from bob' })
    await atAlice
  })
  after(async () => {
    await second?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('a picture set before the link comes with the profile; later changes reach the linked device', async () => {
    const before = await alice.client.call('identity.setPicture', {
      image: seededJpeg(400, 300, 11).toString('base64'),
    })
    assert.ok(before.picture !== null)

    second = await spawnDaemon({})
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
    assert.deepEqual(await ownPicture(client), before.picture, 'the picture came with the profile')

    // set on device 1 after the link: device 2 gets it, and so does the contact
    const announced = waitForEvent(
      client,
      'contact.picture',
      (p) => p.userId === alice.userId && !p.removed,
      DEVICE_TIMEOUT_MS,
    )
    const atBob = waitForEvent(
      bob.client,
      'contact.picture',
      (p) => p.userId === alice.userId && !p.removed,
      DEVICE_TIMEOUT_MS,
    )
    const { picture } = await alice.client.call('identity.setPicture', {
      image: seededJpeg(640, 480, 12).toString('base64'),
    })
    assert.ok(picture !== null && picture.jpeg !== before.picture.jpeg)
    assert.equal((await announced).setAt, picture.setAt)
    assert.deepEqual(await ownPicture(client), picture, 'device 2 shows the same picture')
    await atBob
    assert.equal(
      (await bob.client.call('contacts.picture', { userId: alice.userId })).picture?.jpeg,
      picture.jpeg,
    )

    // removed on device 1: removed on device 2
    const removed = waitForEvent(
      client,
      'contact.picture',
      (p) => p.userId === alice.userId && p.removed,
      DEVICE_TIMEOUT_MS,
    )
    await alice.client.call('identity.setPicture', { remove: true })
    await removed
    assert.equal(await ownPicture(client), null)
  })
})

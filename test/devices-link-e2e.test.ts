/**
 * Linking a second device between real daemons (issue 18). Alice's primary links a fresh profile
 * by its code: both daemons show the same confirmation number, a wrong number aborts, and once
 * both confirmed the new profile has Alice's identity, her contacts and history; Bob's daemon
 * pins her device list at version 2 with both devices.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

/** Time for a pushed list on a loaded 2-core machine. */
const PIN_TIMEOUT_MS = 45_000

describe('linking a second device between daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let second: SpawnedDaemon | undefined

  before(async () => {
    ;({ alice, bob } = await startPair())
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hello from bob')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hello from bob' })
    await atAlice
    await eventually(
      "alice's list v1 pinned at bob",
      async () =>
        (await bob.client.call('devices.list', { userId: alice.userId })).version === 1 ? true : undefined,
      PIN_TIMEOUT_MS,
    )
    second = await spawnDaemon({})
  })
  after(async () => {
    await second?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test('a wrong confirmation number aborts the link on the primary', async () => {
    assert.ok(second !== undefined)
    const { code } = await second.client.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    const failed = waitForEvent(second.client, 'device.linked', (p) => p.error !== undefined)
    const { confirmation } = await alice.client.call('devices.link', { code })
    const wrong = String((Number(confirmation) + 1) % 1_000_000).padStart(6, '0')
    await assert.rejects(
      alice.client.call('devices.confirm', { confirmation: wrong }),
      (e: RpcError) => e.errorName === 'INVALID_INPUT',
    )
    await failed
    assert.equal((await alice.client.call('devices.list', {})).version, 1)
  })

  test("both devices show the same number, and the linked profile has alice's identity, contacts and history", async () => {
    assert.ok(second !== undefined)
    const client = second.client
    const { code, qrSvg } = await client.call('devices.linkStart', { passphrase: TEST_PASSPHRASE })
    assert.match(code, /^wren-link:/)
    assert.match(qrSvg, /<svg/)
    const shown = waitForEvent(client, 'device.linkConfirm', (p) => p.role === 'new')
    const { confirmation } = await alice.client.call('devices.link', { code })
    const onNew = await shown
    assert.equal(onNew.confirmation, confirmation)
    const linked = waitForEvent(client, 'device.linked', (p) => p.role === 'new', PIN_TIMEOUT_MS)
    // each user types the number the other screen shows
    await client.call('devices.confirm', { confirmation: onNew.confirmation })
    const done = await alice.client.call('devices.confirm', { confirmation })
    assert.equal(done.linked, true)
    assert.equal(done.version, 2)
    const event = await linked
    assert.equal(event.error, undefined)
    assert.equal(event.userId, alice.userId)

    // devices.list answers once the linked device's node runs
    const own = await eventually(
      'the linked node started',
      async () => client.call('devices.list', {}).catch(() => undefined),
      PIN_TIMEOUT_MS,
    )
    assert.equal((await client.call('identity.get', {})).userId, alice.userId)
    const contacts = (await client.call('contacts.list', {})).contacts
    assert.deepEqual(
      contacts.map((c) => c.userId),
      [bob.userId],
    )
    const texts = (
      await client.call('messages.list', { conversationId: `dm:${bob.userId}`, limit: 100 })
    ).messages.map((m) => m.text)
    assert.ok(texts.includes('hello from bob'), texts.join(' | '))
    assert.equal(own.version, 2)
    assert.equal(own.devices.length, 2)
    assert.equal(own.devices.find((d) => d.current)?.deviceId, done.deviceId)
    const primaryList = await alice.client.call('devices.list', {})
    assert.equal(primaryList.version, 2)
  })

  test("bob's daemon pins alice's list at version 2 with both devices", async () => {
    const pinned = await eventually(
      'version 2 pinned at bob',
      async () => {
        const list = await bob.client.call('devices.list', { userId: alice.userId })
        return list.version === 2 ? list : undefined
      },
      PIN_TIMEOUT_MS,
    )
    assert.equal(pinned.devices.length, 2)
  })
})

/**
 * Device lists and backup/restore between real daemons (issue 18). Alice's daemon publishes her
 * device list (version 1, one device); Bob's daemon reads it when it looks Alice up and pins it.
 * Alice writes an encrypted backup, her daemon stops for good (a lost disk), and a fresh home
 * restores the backup: contacts, the group and the history are back, the restored profile is a
 * new device of the same identity (list version 2, pushed to Bob, who pins it), and Bob's next
 * message reaches it.
 */
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Message } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE, waitForEvent } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'

const BACKUP_PASSPHRASE = 'a different passphrase for the backup'
/** Time for a DHT lookup and a pushed list on a loaded 2-core machine. */
const PIN_TIMEOUT_MS = 45_000

async function history(client: WrenClient, peerUserId: string): Promise<Message[]> {
  return (await client.call('messages.list', { conversationId: `dm:${peerUserId}`, limit: 500 })).messages
}

describe('device lists and backup/restore between daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer
  let restored: SpawnedDaemon | undefined
  let groupId = ''
  let firstDeviceId = ''

  before(async () => {
    ;({ alice, bob } = await startPair())
  })
  after(async () => {
    await restored?.stop()
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  test("alice's daemon lists its one device at version 1, and bob's daemon pins that list", async () => {
    const own = await alice.client.call('devices.list', {})
    assert.equal(own.userId, alice.userId)
    assert.equal(own.version, 1)
    assert.equal(own.devices.length, 1)
    assert.equal(own.devices[0]?.current, true)
    firstDeviceId = own.devices[0]?.deviceId ?? ''
    // a message makes bob's daemon look alice up (her bundle, then her device list)
    const atAlice = waitForEvent(alice.client, 'message.received', (p) => p.message.text === 'hi alice')
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'hi alice' })
    await atAlice
    const pinned = await eventually(
      "alice's list pinned at bob",
      async () => {
        const list = await bob.client.call('devices.list', { userId: alice.userId })
        return list.version >= 1 ? list : undefined
      },
      PIN_TIMEOUT_MS,
    )
    assert.equal(pinned.version, 1)
    assert.deepEqual(
      pinned.devices.map((d) => d.deviceId),
      [firstDeviceId],
    )
  })

  test('a backup restored on a fresh home brings contacts, the group and history back as a new device', async () => {
    const invited = waitForEvent(bob.client, 'group.invited', () => true)
    const group = await alice.client.call('groups.create', { name: 'Ferns', members: [bob.userId] })
    groupId = group.groupId
    await invited
    await bob.client.call('groups.accept', { groupId })
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'before the backup')
    await alice.client.call('messages.send', {
      conversationId: `dm:${bob.userId}`,
      text: 'before the backup',
    })
    await atBob

    const path = join(alice.home, 'alice.wrenbackup')
    const written = await alice.client.call('backup.export', { path, passphrase: BACKUP_PASSPHRASE })
    assert.ok(written.records > 0 && written.bytes > 0)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    await assert.rejects(
      alice.client.call('backup.export', { path, passphrase: BACKUP_PASSPHRASE }),
      (e: RpcError) => e.errorName === 'ALREADY_EXISTS',
    )
    await alice.daemon.stop() // alice's first device is gone (its home stays for the backup file)

    restored = await spawnDaemon({ args: bob.addrs.flatMap((a) => ['--bootstrap', a]) })
    await assert.rejects(
      restored.client.call('backup.import', { path, passphrase: 'not the backup passphrase' }),
      (e: RpcError) => e.errorName === 'WRONG_PASSPHRASE',
    )
    const identity = await restored.client.call('backup.import', {
      path,
      passphrase: BACKUP_PASSPHRASE,
      profilePassphrase: TEST_PASSPHRASE,
    })
    assert.equal(identity.userId, alice.userId)
    const contacts = (await restored.client.call('contacts.list', {})).contacts
    assert.deepEqual(
      contacts.map((c) => c.userId),
      [bob.userId],
    )
    const texts = (await history(restored.client, bob.userId)).map((m) => m.text)
    assert.ok(texts.includes('hi alice') && texts.includes('before the backup'), texts.join(' | '))
    const groups = (await restored.client.call('groups.list', {})).groups
    assert.ok(groups.some((g) => g.groupId === groupId && g.status === 'member'))

    const own = await restored.client.call('devices.list', {})
    assert.equal(own.version, 2)
    assert.equal(own.devices.length, 2)
    const current = own.devices.find((d) => d.current)
    assert.ok(current !== undefined && current.deviceId !== firstDeviceId)
    assert.ok(own.devices.some((d) => d.deviceId === firstDeviceId && !d.current))
  })

  test("bob's daemon pins version 2 and bob's next message arrives at the restored device", async () => {
    assert.ok(restored !== undefined)
    const client = restored.client
    const pinned = await eventually(
      'version 2 pinned at bob',
      async () => {
        const list = await bob.client.call('devices.list', { userId: alice.userId })
        return list.version === 2 ? list : undefined
      },
      PIN_TIMEOUT_MS,
    )
    assert.equal(pinned.devices.length, 2)
    const arrived = waitForEvent(
      client,
      'message.received',
      (p) => p.message.text === 'welcome back',
      PIN_TIMEOUT_MS,
    )
    await bob.client.call('messages.send', { conversationId: `dm:${alice.userId}`, text: 'welcome back' })
    const { message } = await arrived
    assert.equal(message.sender, bob.userId)
    // and the restored device's reply reaches bob
    const atBob = waitForEvent(bob.client, 'message.received', (p) => p.message.text === 'thanks')
    await client.call('messages.send', { conversationId: `dm:${bob.userId}`, text: 'thanks' })
    await atBob
  })
})

/**
 * devices.rename (issue 18): a name for one of our devices, shown by devices.list, kept through a
 * daemon restart in the sealed store and found in no file in the clear; a device not on our list
 * is NOT_FOUND, an empty name removes the name. Real daemon, real LevelDB.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, test } from 'node:test'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { type ChatPeer, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { spawnDaemon } from './fixtures/daemon.ts'
import { filesUnder } from './fixtures/files-under.ts'

/** A name found nowhere else in a profile. */
const NAME = 'kestrelwindowlaptop'

describe('devices.rename', () => {
  let alice: ChatPeer

  before(async () => {
    alice = await startPeer('Alice')
  })

  after(async () => {
    await alice?.stop()
  })

  test('names our device, kept sealed across a restart; unknown devices and empty names', async () => {
    const list = await alice.client.call('devices.list', {})
    const own = list.devices.find((d) => d.current)
    assert.ok(own)
    assert.equal(own.name, undefined)
    const renamed = await alice.client.call('devices.rename', { deviceId: own.deviceId, name: `  ${NAME} ` })
    assert.deepEqual(renamed, { deviceId: own.deviceId, name: NAME })
    assert.equal((await alice.client.call('devices.list', {})).devices.find((d) => d.current)?.name, NAME)
    await assert.rejects(
      alice.client.call('devices.rename', { deviceId: 'ab'.repeat(32), name: 'phone' }),
      (error: RpcError) => error.errorName === 'NOT_FOUND',
    )

    // a restart reads the name back from the sealed store, where it is not in the clear
    await alice.daemon.stop()
    for (const file of await filesUnder(alice.home))
      assert.ok(!(await readFile(file)).includes(NAME), `${file} holds the device name in the clear`)
    const again = await spawnDaemon({ home: alice.home, profile: alice.daemon.profile, keepHome: true })
    try {
      await again.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
      assert.equal((await again.client.call('devices.list', {})).devices.find((d) => d.current)?.name, NAME)
      await again.client.call('devices.rename', { deviceId: own.deviceId, name: '' })
      assert.equal(
        (await again.client.call('devices.list', {})).devices.find((d) => d.current)?.name,
        undefined,
      )
    } finally {
      await again.stop()
    }
  })
})

/**
 * A real daemon process through its life: create an identity, restart, unlock (wrong passphrase
 * fails), profile file modes, clean stop, one daemon per profile.
 */
import assert from 'node:assert/strict'
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { spawnDaemon } from '../../test/fixtures/daemon.ts'
import { WrenClient } from '../src/rpc/client.ts'
import type { RpcError } from '../src/rpc/errors.ts'

const PASSPHRASE = 'a long enough passphrase'

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

describe('daemon lifecycle', () => {
  let home: string
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'wren-lifecycle-'))
  })
  after(async () => {
    await rm(home, { recursive: true, force: true })
  })

  test('identity.create, restart, unlock with the passphrase (wrong one fails), modes, clean stop', async () => {
    const profileDir = join(home, 'p')
    const first = await spawnDaemon({ home })
    let userId: string
    try {
      const created = await first.client.call('identity.create', {
        passphrase: PASSPHRASE,
        displayName: 'Alice',
      })
      userId = created.userId
      assert.match(created.userId, /^wu[a-z2-7]{26}$/)
      assert.match(created.identityKey, /^[0-9a-f]{64}$/)
      assert.equal(created.displayName, 'Alice')
      assert.match(created.cardQrSvg, /^<svg/)
      assert.deepEqual(await first.client.call('identity.get'), created)
      await assert.rejects(
        first.client.call('identity.create', { passphrase: PASSPHRASE, displayName: 'Again' }),
        (e: RpcError) => e.errorName === 'ALREADY_EXISTS',
      )
      const status = await first.client.call('node.status')
      assert.equal(status.unlocked, true)
      assert.equal(status.userId, created.userId)
      assert.equal(status.peerId, created.peerId)
      // A second daemon on the same profile is refused while the first runs.
      await assert.rejects(spawnDaemon({ home }), /exited before ready/)
    } finally {
      const { code } = await first.stop()
      assert.equal(code, 0)
    }
    assert.deepEqual((await readdir(profileDir)).sort(), ['db', 'keystore.json', 'network.json', 'rpc-token'])

    // Loosen modes behind the daemon's back: the next start must repair them.
    await chmod(profileDir, 0o755)
    await chmod(join(profileDir, 'keystore.json'), 0o644)

    const second = await spawnDaemon({ home })
    try {
      const status = await second.client.call('node.status')
      assert.equal(status.hasIdentity, true)
      assert.equal(status.unlocked, false)
      assert.equal(status.userId, null)
      for (const call of [
        () => second.client.call('identity.get'),
        () => second.client.call('messages.list', { conversationId: 'dm:x' }),
      ])
        await assert.rejects(call(), (e: RpcError) => e.errorName === 'LOCKED' && e.code === -32001)
      await assert.rejects(
        second.client.call('identity.unlock', { passphrase: 'not the passphrase' }),
        (e: RpcError) => e.errorName === 'WRONG_PASSPHRASE' && e.code === -32005,
      )
      assert.equal((await second.client.call('node.status')).unlocked, false)
      const unlocked = await second.client.call('identity.unlock', { passphrase: PASSPHRASE })
      assert.equal(unlocked.userId, userId)
      assert.equal(unlocked.displayName, 'Alice')
      assert.deepEqual(await second.client.call('contacts.list'), { contacts: [] })

      // Modes: folders 0700, files 0600, including LevelDB's own files.
      assert.equal(await modeOf(home), 0o700)
      assert.equal(await modeOf(profileDir), 0o700)
      for (const file of ['keystore.json', 'rpc-token', 'daemon.json', 'network.json'])
        assert.equal(await modeOf(join(profileDir, file)), 0o600, file)
      assert.equal(await modeOf(join(profileDir, 'db')), 0o700)
      for (const file of await readdir(join(profileDir, 'db')))
        assert.equal(await modeOf(join(profileDir, 'db', file)), 0o600, `db/${file}`)

      // connectProfile finds the daemon through daemon.json and rpc-token.
      const viaProfile = await WrenClient.connectProfile({ home, profile: 'p' })
      assert.equal((await viaProfile.call('identity.get')).userId, userId)
      await viaProfile.close()
    } finally {
      const { code } = await second.stop()
      assert.equal(code, 0)
    }
    await assert.rejects(stat(join(profileDir, 'daemon.json')), { code: 'ENOENT' })
    await assert.rejects(WrenClient.connectProfile({ home, profile: 'p' }), { name: 'DaemonNotRunningError' })
  })
})

/**
 * The lock policy on real daemons (issue 19): auto-lock after idle minutes (1 minute, the
 * smallest the setting allows, on the real clock: node.status polls meanwhile do not count as
 * activity), and the opt-in wipe: with it on, the Nth wrong passphrase in a row destroys the
 * keystore and the sealed store and the daemon says so; the setting is refused below its floor.
 */
import assert from 'node:assert/strict'
import { access, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { AUTO_LOCK_MIN_MINUTES, WIPE_MIN_FAILURES } from '../node/src/profile/lock-limits.ts'
import { LOCK_POLICY_FILE } from '../node/src/profile/lock-policy.ts'
import type { RpcError } from '../node/src/rpc/errors.ts'
import { FILE_CHUNKS_DIR_SUFFIX } from '../node/src/storage/layout.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'

/** How late the lock may come after the idle minute on a loaded 2-core machine. */
const AUTO_LOCK_SLACK_MS = 20_000
/** How often the test polls node.status (passive: must not keep the profile unlocked). */
const STATUS_POLL_MS = 5_000
/** Bound on the wipe run: the free attempts, then waits of 1 s and 2 s, each with Argon2id. */
const WIPE_RUN_TIMEOUT_MS = 30_000
const MINUTE_MS = 60_000

const errorName = (name: string) => (e: RpcError) => e.errorName === name
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

describe('lock policy on a real daemon', () => {
  let idle: ChatPeer
  let wiper: ChatPeer

  before(async () => {
    ;[idle, wiper] = await Promise.all([startPeer('Idle'), startPeer('Wiper')])
  })
  after(async () => {
    await Promise.allSettled([idle?.stop(), wiper?.stop()])
  })

  test('auto-lock: after one idle minute the daemon locks itself; status polls do not keep it awake', async () => {
    const { client } = idle
    const settings = await client.call('settings.set', { autoLockMinutes: AUTO_LOCK_MIN_MINUTES })
    assert.equal(settings.autoLockMinutes, AUTO_LOCK_MIN_MINUTES)
    assert.equal(settings.wipeAfterFailedUnlocks, null, 'the wipe is off by default')
    const lastActivity = Date.now() // settings.set was the last non-passive request
    const lockedAt = await eventually(
      'the profile locked itself',
      async () => {
        const status = await client.call('node.status')
        if (!status.unlocked) return Date.now()
        await new Promise((r) => setTimeout(r, STATUS_POLL_MS))
        return undefined
      },
      AUTO_LOCK_MIN_MINUTES * MINUTE_MS + AUTO_LOCK_SLACK_MS,
    )
    assert.ok(lockedAt - lastActivity >= AUTO_LOCK_MIN_MINUTES * MINUTE_MS - STATUS_POLL_MS, 'not before')
    await assert.rejects(client.call('conversations.list'), errorName('LOCKED'))
    await client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    assert.equal((await client.call('settings.get')).autoLockMinutes, AUTO_LOCK_MIN_MINUTES, 'kept')
    await client.call('settings.set', { autoLockMinutes: null })
  })

  test('wipe after failed unlocks: refused below its floor; when on, the Nth wrong passphrase destroys the profile', async () => {
    const { client, daemon } = wiper
    await assert.rejects(
      client.call('settings.set', { wipeAfterFailedUnlocks: WIPE_MIN_FAILURES - 1 }),
      (e: RpcError) => e.code === -32602,
    )
    const settings = await client.call('settings.set', { wipeAfterFailedUnlocks: WIPE_MIN_FAILURES })
    assert.equal(settings.wipeAfterFailedUnlocks, WIPE_MIN_FAILURES)
    const dir = join(daemon.home, daemon.profile)
    assert.ok(await exists(join(dir, LOCK_POLICY_FILE)))
    // the folder of file chunks beside the database, as a sent or received file leaves it
    const chunks = join(dir, `db${FILE_CHUNKS_DIR_SUFFIX}`)
    await mkdir(join(chunks, 'ab'), { recursive: true, mode: 0o700 })
    await writeFile(join(chunks, 'ab', '0'), 'sealed chunk', { mode: 0o600 })
    await client.call('identity.lock')

    let wrong = 0
    let wiped: RpcError | undefined
    const deadline = Date.now() + WIPE_RUN_TIMEOUT_MS
    while (wiped === undefined && Date.now() < deadline) {
      try {
        await client.call('identity.unlock', { passphrase: `wrong guess ${wrong}` })
        assert.fail('a wrong passphrase unlocked the profile')
      } catch (error) {
        const e = error as RpcError
        if (e.errorName === 'WRONG_PASSPHRASE') wrong++
        else if (e.errorName === 'UNAVAILABLE')
          await new Promise((r) => setTimeout(r, 250)) // the lockout's wait
        else wiped = e
      }
    }
    assert.ok(wiped, 'the wipe came within its bound')
    assert.equal(wiped.errorName, 'NO_IDENTITY')
    assert.match(wiped.message, new RegExp(`${WIPE_MIN_FAILURES} wrong passphrases in a row: .*destroyed`))
    assert.equal(wrong, WIPE_MIN_FAILURES - 1, 'the Nth failure wiped, not an earlier one')
    assert.equal(await exists(join(dir, 'keystore.json')), false, 'keystore removed')
    assert.equal(await exists(join(dir, 'db')), false, 'sealed store removed')
    assert.equal(await exists(chunks), false, 'file chunks removed')
    const status = await client.call('node.status')
    assert.equal(status.hasIdentity, false)
    assert.equal(status.unlocked, false)
    await assert.rejects(
      client.call('identity.unlock', { passphrase: TEST_PASSPHRASE }),
      errorName('NO_IDENTITY'),
      'the right passphrase opens nothing any more',
    )
  })
})

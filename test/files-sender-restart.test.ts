/**
 * Files, direct path: the SENDER is killed with SIGKILL half way through a transfer and started
 * again; the receiver's download goes on from what it holds once the sender's device is back,
 * and the file arrives with the same SHA-256 (test/files-e2e.test.ts kills the receiver).
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Attachment } from '../node/src/rpc/api.ts'
import { type ChatPeer, eventually, startPair, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { seededRandom } from './fixtures/seeded-random.ts'

const MIB = 1024 * 1024
/** Large enough that the kill lands while chunks are still missing. */
const FILE_BYTES = 24 * MIB
/** Bound on the transfer, the sender's restart included. */
const TRANSFER_TIMEOUT_MS = 90_000

let alice: ChatPeer
let bob: ChatPeer
let dir: string
let restarted: SpawnedDaemon | undefined

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wren-files-sender-'))
  ;({ alice, bob } = await startPair())
  // bob fetches files unasked, as a user turns it on in settings (the default asks)
  await bob.client.call('attachments.settings', { autoDownload: { files: true } })
})
after(async () => {
  await restarted?.stop()
  await Promise.allSettled([alice?.stop(), bob?.stop()])
  await rm(dir, { recursive: true, force: true })
})

test('a sender killed half way and started again: the receiver completes from what it held', async () => {
  const random = seededRandom('files-sender-restart')
  const data = Buffer.concat(Array.from({ length: FILE_BYTES / MIB }, () => random(MIB)))
  const source = join(dir, 'big.bin')
  await writeFile(source, data, { mode: 0o600 })
  const digest = createHash('sha256').update(data).digest('hex')
  // WrenClient.sendFile: attachments.send with the path made absolute
  const message = await alice.client.sendFile(`dm:${bob.userId}`, source)
  const at = () => bob.client.call('attachments.get', { messageId: message.id }).catch(() => undefined)
  const half = await eventually(
    'bob holding half of the file',
    async () => {
      const a = await at()
      return a !== undefined && a.chunks >= a.chunkCount / 2 ? a : undefined
    },
    TRANSFER_TIMEOUT_MS,
  )
  alice.daemon.child.kill('SIGKILL')
  await alice.daemon.stop()
  assert.ok(half.chunks < half.chunkCount, `killed before the end (${half.chunks}/${half.chunkCount})`)

  restarted = await spawnDaemon({ home: alice.daemon.home, profile: alice.daemon.profile, keepHome: true })
  await restarted.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
  const done: Attachment = await eventually(
    'the file complete at bob',
    async () => {
      const a = await at()
      return a?.state === 'complete' ? a : undefined
    },
    TRANSFER_TIMEOUT_MS,
  )
  assert.equal(done.chunks, done.chunkCount)
  const target = join(dir, 'saved.bin')
  await bob.client.call('attachments.save', { messageId: message.id, path: target })
  assert.equal(
    createHash('sha256')
      .update(await readFile(target))
      .digest('hex'),
    digest,
  )
  process.stdout.write(
    `# sender killed at ${half.chunks}/${half.chunkCount} chunks; completed after its restart\n`,
  )
})

/**
 * Files through relays (issue 16, offline path), between real daemons and two real relays on
 * loopback: the recipient is offline, the sender uploads the sealed chunks to both relays and
 * goes offline too, and the recipient, back, gets the file from the relays with the same SHA-256
 * and deletes the blobs; a corrupted chunk on one replica is refused and fetched from the other;
 * with one replica relay killed the file still arrives from the other.
 *
 * Sizes: 20 MiB (issue 16's figure) for the first transfer, 4 MiB for the two failure cases:
 * together they keep the file under a minute on two busy cores.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Attachment } from '../node/src/rpc/api.ts'
import type { WrenClient } from '../node/src/rpc/client.ts'
import { BLOB_DIR } from '../relay-node/src/constants.ts'
import { type ChatPeer, eventually, startPeer, TEST_PASSPHRASE } from './fixtures/chat.ts'
import { type SpawnedDaemon, spawnDaemon } from './fixtures/daemon.ts'
import { startTestRelay, type TestRelay } from './fixtures/relay.ts'
import { seededRandom } from './fixtures/seeded-random.ts'

const MIB = 1024 * 1024
const BIG_FILE_BYTES = 20 * MIB
const SMALL_FILE_BYTES = 4 * MIB
/** Bound on one upload or download over loopback (20 MiB takes a few seconds here). */
const TRANSFER_TIMEOUT_MS = 60_000
/** Blobs larger than this are chunks (a manifest of these files is 2.5 KiB at most). */
const CHUNK_BLOB_MIN_BYTES = 64 * 1024

function relayAddr(relay: TestRelay): string {
  const addr = relay.multiaddrs.find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  if (addr === undefined) throw new Error('relay has no TCP address')
  const text = addr.toString()
  return text.includes('/p2p/') ? text : `${text}/p2p/${relay.peerId.toString()}`
}

async function writeRandomFile(path: string, size: number, seed: string): Promise<string> {
  const bytes = seededRandom(seed)(size)
  await writeFile(path, bytes, { mode: 0o600 })
  return createHash('sha256').update(bytes).digest('hex')
}

const sha256File = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
const blobFiles = async (relay: TestRelay) => readdir(join(relay.dataDir, BLOB_DIR))

async function attachment(client: WrenClient, messageId: string): Promise<Attachment | undefined> {
  return client.call('attachments.get', { messageId }).catch(() => undefined)
}

async function inState(
  client: WrenClient,
  messageId: string,
  state: Attachment['state'],
): Promise<Attachment> {
  return eventually(
    `attachment ${messageId} ${state}`,
    async () => {
      const a = await attachment(client, messageId)
      if (a?.state === 'failed') throw new Error(`transfer failed: ${a.error}`)
      return a?.state === state ? a : undefined
    },
    TRANSFER_TIMEOUT_MS,
  )
}

describe('files through two relays while sender and recipient are never online together', () => {
  let relays: TestRelay[] = []
  let alice: ChatPeer
  let bob: ChatPeer
  let args: string[]
  let dir: string
  const running: SpawnedDaemon[] = []

  const restart = async (peer: ChatPeer, extra: string[] = []): Promise<SpawnedDaemon> => {
    const daemon = await spawnDaemon({
      home: peer.home,
      profile: peer.daemon.profile,
      keepHome: true,
      args: [...args, ...extra],
    })
    running.push(daemon)
    await daemon.client.call('identity.unlock', { passphrase: TEST_PASSPHRASE })
    return daemon
  }
  const stop = async (daemon: SpawnedDaemon) => {
    await daemon.stop()
    const at = running.indexOf(daemon)
    if (at >= 0) running.splice(at, 1)
  }

  /**
   * Bob offline; alice sends and waits for 'uploaded'; alice offline; bob back. Returns what bob
   * needs to finish, with alice stopped and bob running.
   */
  async function sendWhileBobIsAway(
    aliceNow: SpawnedDaemon,
    bobNow: SpawnedDaemon,
    name: string,
    size: number,
    beforeBobReturns: (uploaded: Attachment) => Promise<void> = async () => {},
  ) {
    const source = join(dir, name)
    const digest = await writeRandomFile(source, size, `files-offline-${name}`)
    await stop(bobNow)
    const started = Date.now()
    const { message } = await aliceNow.client.call('attachments.send', {
      conversationId: `dm:${bob.userId}`,
      path: source,
      caption: name,
    })
    const uploaded = await inState(aliceNow.client, message.id, 'uploaded')
    const uploadSeconds = (Date.now() - started) / 1000
    assert.equal(uploaded.relays.length, 2, 'two replicas')
    // the message itself waits in bob's mailboxes: alice may leave once it is stored there
    await eventually('the message stored at bob’s mailboxes', async () => {
      const page = await aliceNow.client.call('messages.list', { conversationId: `dm:${bob.userId}` })
      const sent = page.messages.find((m) => m.id === message.id)
      return sent?.status === 'stored' ? true : undefined
    })
    await stop(aliceNow)
    await beforeBobReturns(uploaded)
    const back = Date.now()
    const bobAgain = await restart(bob)
    const done = await inState(bobAgain.client, message.id, 'complete')
    const downloadSeconds = (Date.now() - back) / 1000
    const target = join(dir, `${name}.saved`)
    await bobAgain.client.call('attachments.save', { messageId: message.id, path: target })
    assert.equal(await sha256File(target), digest, 'the same SHA-256')
    process.stdout.write(
      `# ${name}: ${size / MIB} MiB uploaded to 2 relays in ${uploadSeconds.toFixed(1)} s; bob back to complete in ${downloadSeconds.toFixed(1)} s\n`,
    )
    return { message, uploaded, done, bobAgain }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-files-offline-'))
    relays = await Promise.all([startTestRelay(), startTestRelay()])
    args = [
      ...relays.flatMap((r) => ['--relay', relayAddr(r)]),
      '--mailbox-fetch-ms',
      '1000',
      '--retry-max-ms',
      '2000',
    ]
    alice = await startPeer('Alice', { args })
    bob = await startPeer('Bob', { args: [...args, ...alice.addrs.flatMap((a) => ['--bootstrap', a])] })
    await alice.client.call('contacts.add', { card: (await bob.client.call('identity.get', {})).card })
    await bob.client.call('contacts.add', { card: (await alice.client.call('identity.get', {})).card })
    // bob fetches files unasked, as a user turns it on in settings (the default asks)
    await bob.client.call('attachments.settings', { autoDownload: { files: true } })
    for (const peer of [alice, bob])
      await eventually('mailboxes registered and bundle published', async () => {
        const status = await peer.client.call('node.status', {})
        return status.mailboxes === 2 && status.bundlePublished ? true : undefined
      })
  })
  after(async () => {
    await Promise.allSettled(running.map((d) => d.stop()))
    await Promise.allSettled([alice?.stop(), bob?.stop(), ...relays.map((r) => r.stop())])
    await rm(dir, { recursive: true, force: true })
  })

  test('a 20 MiB file sent to an offline recipient by a sender who then leaves arrives from the relays, which then hold nothing', async () => {
    const { done, bobAgain, uploaded } = await sendWhileBobIsAway(
      alice.daemon,
      bob.daemon,
      'twenty.bin',
      BIG_FILE_BYTES,
      async (up) => {
        for (const relay of relays)
          assert.equal(
            (await blobFiles(relay)).length,
            up.chunkCount + 1,
            'every chunk and the manifest on each relay',
          )
      },
    )
    assert.equal(done.via, 'relay')
    assert.equal(done.refusedChunks, 0)
    assert.deepEqual([...done.relays].sort(), [...uploaded.relays].sort())
    await eventually('the recipient deleted every blob on both relays', async () => {
      const left = (await Promise.all(relays.map(blobFiles))).flat()
      return left.length === 0 ? true : undefined
    })
    await stop(bobAgain)
  })

  test('a corrupted chunk on the first replica is refused and fetched from the other', async () => {
    const aliceNow = await restart(alice)
    const bobNow = await restart(bob)
    const { done, bobAgain } = await sendWhileBobIsAway(
      aliceNow,
      bobNow,
      'corrupt.bin',
      SMALL_FILE_BYTES,
      async (up) => {
        const first = relays.find((r) => r.peerId.toString() === up.relays[0])
        assert.ok(first, 'the first replica is one of ours')
        const names = await blobFiles(first)
        let corrupted = 0
        for (const name of names) {
          const path = join(first.dataDir, BLOB_DIR, name)
          if ((await stat(path)).size < CHUNK_BLOB_MIN_BYTES || corrupted > 0) continue
          const bytes = await readFile(path)
          for (let i = bytes.length - 64; i < bytes.length; i++) bytes[i] = (bytes[i] as number) ^ 0xff
          await writeFile(path, bytes)
          corrupted++
        }
        assert.equal(corrupted, 1)
      },
    )
    assert.equal(done.refusedChunks, 1, 'the garbage chunk was refused once')
    assert.equal(done.via, 'relay')
    await stop(bobAgain)
  })

  test('with the first replica relay killed after the upload, the file still arrives from the other', async () => {
    const aliceNow = await restart(alice)
    const bobNow = await restart(bob)
    const { done, bobAgain } = await sendWhileBobIsAway(
      aliceNow,
      bobNow,
      'killed.bin',
      SMALL_FILE_BYTES,
      async (up) => {
        const first = relays.find((r) => r.peerId.toString() === up.relays[0])
        assert.ok(first)
        await first.handle?.stop()
      },
    )
    assert.equal(done.via, 'relay')
    assert.equal(done.chunks, done.chunkCount)
    await stop(bobAgain)
  })
})

/**
 * Files at rest on a real wren-relay process: after a deposit every folder under its data dir is
 * 0700 and every file 0600, and a data dir left with loose modes is narrowed on the next start.
 */
import assert from 'node:assert/strict'
import { chmod, lstat, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateInboxKeyPair } from '../../core/src/mailbox/index.ts'
import { MailboxClient } from '../../node/src/mailbox/mailbox-client.ts'
import { MAILBOX_DB_DIR } from '../../relay-node/src/constants.ts'
import { startTestNode, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay, testEnvelope } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('relay-file-modes')
const random = seededRandom('relay-file-modes-bytes')

/** Every entry under `dir` (the folder included) with its permission bits, sorted by path. */
async function modes(dir: string): Promise<Array<{ path: string; kind: 'dir' | 'file'; mode: number }>> {
  const out: Array<{ path: string; kind: 'dir' | 'file'; mode: number }> = []
  const walk = async (path: string) => {
    const info = await lstat(path)
    out.push({ path, kind: info.isDirectory() ? 'dir' : 'file', mode: info.mode & 0o777 })
    if (info.isDirectory()) for (const entry of await readdir(path)) await walk(join(path, entry))
  }
  await walk(dir)
  return out.sort((a, b) => a.path.localeCompare(b.path))
}

function assertOwnerOnly(entries: Awaited<ReturnType<typeof modes>>): void {
  const loose = entries.filter((e) => e.mode !== (e.kind === 'dir' ? 0o700 : 0o600))
  assert.deepEqual(
    loose.map((e) => `${e.path} ${e.mode.toString(8)}`),
    [],
    'every folder 0700, every file 0600',
  )
}

describe('relay files at rest', () => {
  let node: TestNode
  let dataDir: string
  const relays: TestRelay[] = []

  before(async () => {
    node = await startTestNode()
    dataDir = await mkdtemp(join(tmpdir(), 'wren-relay-modes-'))
  })

  after(async () => {
    await node?.stop()
    for (const relay of relays) await relay.stop().catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  })

  async function depositOne(relay: TestRelay): Promise<void> {
    const client = new MailboxClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })
    const reg = await client.register(generateInboxKeyPair(suite))
    assert.ok(reg.ok, JSON.stringify(reg))
    assert.ok((await client.deposit(reg.value.inboxId, testEnvelope(random))).ok)
  }

  test('after a deposit every folder under the data dir is 0700 and every file 0600', async () => {
    const relay = await startTestRelay({ dataDir, mode: 'process' })
    relays.push(relay)
    await depositOne(relay)
    const running = await modes(dataDir)
    assert.ok(
      running.some((e) => e.path.includes(MAILBOX_DB_DIR) && e.kind === 'file'),
      'LevelDB files exist',
    )
    assertOwnerOnly(running)
    await relay.stop()
    assertOwnerOnly(await modes(dataDir))
  })

  test('a mailbox store left group- and world-readable is narrowed on the next start', async () => {
    for (const e of await modes(join(dataDir, MAILBOX_DB_DIR)))
      await chmod(e.path, e.kind === 'dir' ? 0o755 : 0o644)
    await chmod(dataDir, 0o755)
    const relay = await startTestRelay({ dataDir, mode: 'process' })
    relays.push(relay)
    await depositOne(relay)
    assertOwnerOnly(await modes(dataDir))
    await relay.stop()
  })
})

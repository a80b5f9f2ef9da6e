/**
 * The node's side of the offline path (node/src/files: offline-uploads.ts, relay-blobs.ts) against
 * real in-process relays and real sealed stores: a pointer names two distinct relays, never for a
 * file over the offline cap or with fewer than two relays (typed errors); a sealed file uploaded
 * to both replicas is pulled into another store from the relays alone and checks out, then the
 * acknowledgement deletes every blob; a relay that refuses for good (its quota) makes the upload
 * give up instead of retrying.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { MAX_OFFLINE_FILE_BYTES } from '../../core/src/file/constants.ts'
import type { FilePointer } from '../../core/src/file/pointer.ts'
import { BLOB_DIR } from '../../relay-node/src/constants.ts'
import { startTestNodes, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { pullFile } from '../src/files/download.ts'
import { NoOfflineRelaysError, OfflineFileTooLargeError } from '../src/files/errors.ts'
import { FileStore } from '../src/files/file-store.ts'
import { OfflineUploads } from '../src/files/offline-uploads.ts'
import { ackReplicas, relayRemote, replicasOf, uploadToReplicas } from '../src/files/relay-blobs.ts'
import { saveFile } from '../src/files/save-file.ts'
import { sealFile } from '../src/files/seal-file.ts'
import { silentLogger } from '../src/log.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()
/** 1 MiB + 3 bytes: five chunks, the last one short. */
const FILE_BYTES = 1024 * 1024 + 3

describe('offline path: replicas on two relays', () => {
  let dir: string
  let relays: TestRelay[]
  let nodes: TestNode[]
  const stores: SealedStore[] = []
  const addrOf = (r: TestRelay) => `${r.multiaddrs[0]?.toString()}`

  async function files(name: string): Promise<FileStore> {
    const s = await SealedStore.open(join(dir, name), randomBytes(32))
    stores.push(s)
    return new FileStore(s)
  }
  function uploads(node: TestNode, store: FileStore, relayAddrs: string[]): OfflineUploads {
    return new OfflineUploads({
      suite,
      libp2p: node,
      files: store,
      log: silentLogger,
      now: Date.now,
      relays: relayAddrs,
      setState: async () => {},
      progress: () => {},
    })
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-offline-blobs-'))
    relays = await Promise.all([
      startTestRelay(),
      startTestRelay(),
      startTestRelay({ config: { blob: { maxBlobsPerSender: 2 } } }),
    ])
    nodes = await startTestNodes(2)
    await writeFile(join(dir, 'source.bin'), seededRandom('offline-relay-blobs')(FILE_BYTES), { mode: 0o600 })
  })
  after(async () => {
    await stopTestNodes(nodes)
    await Promise.allSettled(relays.map((r) => r.stop()))
    await Promise.allSettled(stores.map((s) => s.close()))
    await rm(dir, { recursive: true, force: true })
  })

  test('two distinct relays with fresh seeds; typed errors over the cap and with one relay', async () => {
    const store = await files('plan')
    const [a, b] = relays as [TestRelay, TestRelay]
    const planner = uploads(nodes[0] as TestNode, store, [addrOf(a), addrOf(a), addrOf(b)])
    const replicas = planner.plan(FILE_BYTES)
    assert.equal(replicas.length, 2)
    assert.notDeepEqual(replicas[0]?.relayPeerId, replicas[1]?.relayPeerId)
    assert.deepEqual(new Set(replicas.map((r) => r.capSeed.length)), new Set([32]))
    assert.notDeepEqual(replicas[0]?.capSeed, replicas[1]?.capSeed)
    assert.throws(() => planner.plan(MAX_OFFLINE_FILE_BYTES + 1), OfflineFileTooLargeError)
    assert.throws(
      () => uploads(nodes[0] as TestNode, store, [addrOf(a), addrOf(a)]).plan(10),
      NoOfflineRelaysError,
    )
  })

  test('a file uploaded to both replicas is pulled from the relays alone, checks out, and the ack deletes every blob', async () => {
    const senderFiles = await files('sender')
    const [a, b] = relays as [TestRelay, TestRelay]
    const sealed = await sealFile(suite, senderFiles, join(dir, 'source.bin'))
    const pointer: FilePointer = {
      ...sealed.pointer,
      replicas: uploads(nodes[0] as TestNode, senderFiles, [addrOf(a), addrOf(b)]).plan(FILE_BYTES),
    }
    let stored = 0
    const up = await uploadToReplicas(
      {
        suite,
        libp2p: nodes[0] as TestNode,
        files: senderFiles,
        signal: AbortSignal.timeout(20_000),
        onStored: () => stored++,
      },
      pointer,
      sealed.fileIdHex,
    )
    assert.deepEqual(up, { ok: true })
    assert.equal(stored, 2 * (pointer.chunkCount + 1))
    // an upload run again (after a restart) finds its blobs there and succeeds
    assert.deepEqual(
      await uploadToReplicas(
        {
          suite,
          libp2p: nodes[0] as TestNode,
          files: senderFiles,
          signal: AbortSignal.timeout(20_000),
          onStored() {},
        },
        pointer,
        sealed.fileIdHex,
      ),
      { ok: true },
    )

    const receiver = nodes[1] as TestNode
    const receiverFiles = await files('receiver')
    const deps = {
      suite,
      files: receiverFiles,
      libp2p: receiver,
      signal: AbortSignal.timeout(20_000),
      onChunk() {},
      onRefused() {},
    }
    const outcome = await pullFile(
      deps,
      relayRemote(deps, pointer, replicasOf(deps, pointer)),
      pointer,
      sealed.fileIdHex,
    )
    assert.deepEqual(outcome, { ok: true })
    const target = join(dir, 'received.bin')
    const saved = await saveFile(suite, receiverFiles, pointer, sealed.fileIdHex, {
      path: target,
      overwrite: false,
    })
    assert.equal(saved.bytes, FILE_BYTES)
    assert.equal(saved.corruptChunk, undefined)

    assert.equal(await ackReplicas({ suite, libp2p: receiver }, pointer), 2 * (pointer.chunkCount + 1))
    for (const relay of [a, b]) assert.deepEqual(await readdir(join(relay.dataDir, BLOB_DIR)), [])
  })

  test('a relay that refuses for good (the sender is over its quota) ends the upload without a retry', async () => {
    const senderFiles = await files('quota')
    const [a, , small] = relays as [TestRelay, TestRelay, TestRelay]
    const sealed = await sealFile(suite, senderFiles, join(dir, 'source.bin'))
    const pointer: FilePointer = {
      ...sealed.pointer,
      replicas: uploads(nodes[0] as TestNode, senderFiles, [addrOf(a), addrOf(small)]).plan(FILE_BYTES),
    }
    const up = await uploadToReplicas(
      {
        suite,
        libp2p: nodes[0] as TestNode,
        files: senderFiles,
        signal: AbortSignal.timeout(20_000),
        onStored() {},
      },
      pointer,
      sealed.fileIdHex,
    )
    assert.equal(up.ok, false)
    assert.equal(!up.ok && up.retry, false)
    assert.match(!up.ok ? up.reason : '', /quota_count/)
    await ackReplicas({ suite, libp2p: nodes[0] as TestNode }, pointer)
  })
})

/**
 * /wren/file/1.0.0 between real libp2p nodes with real LevelDB stores (node/src/files): a chunk
 * that does not match the manifest (served by a modified sender) is refused, never written, and
 * fetched again; a sender that keeps serving bad bytes gets nothing written; a peer the file was
 * not sent to learns nothing; a stored chunk corrupted at the receiver is caught when the file is
 * saved; a pointer with a wrong manifest hash ends the download for good with nothing stored. The request and response decoders are fuzzed and reject what they must.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { toHex } from '../../core/src/bytes.ts'
import { DecodeError } from '../../core/src/errors.ts'
import { encodeFilePointer } from '../../core/src/file/pointer.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { startTestNodes, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { MAX_FILE_REQUEST_BYTES, MAX_FILE_RESPONSE_BYTES } from '../src/files/constants.ts'
import { runDownload } from '../src/files/download.ts'
import { type ChunkSource, FileStore, hasChunk } from '../src/files/file-store.ts'
import { saveFile } from '../src/files/save-file.ts'
import { sealFile } from '../src/files/seal-file.ts'
import { startFileServer } from '../src/files/serve.ts'
import {
  decodeFileRequest,
  decodeFileResponse,
  encodeFileRequest,
  encodeFileResponse,
  FILE_REQUEST_CHUNK,
  FILE_REQUEST_MANIFEST,
  FILE_STATUS_NOT_FOUND,
  FILE_STATUS_OK,
} from '../src/files/wire.ts'
import { silentLogger } from '../src/log.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()
const KIB = 1024
/** 1 MiB + 1 KiB: five chunks, the last one short. */
const FILE_BYTES = 1024 * KIB + KIB
const BOB = 'wu-bob-test-user'

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('file transfer over /wren/file/1.0.0', () => {
  let dir: string
  let nodes: TestNode[]
  let alice: TestNode
  let bob: TestNode
  let carol: TestNode
  const stores: SealedStore[] = []
  let source: string
  let digest: string

  async function store(name: string): Promise<FileStore> {
    const s = await SealedStore.open(join(dir, name), randomBytes(32))
    stores.push(s)
    return new FileStore(s)
  }

  /** Alice seals the file for bob and serves it through `serve` (default: her store as it is). */
  async function aliceSends(name: string, serve?: (files: FileStore) => ChunkSource) {
    const files = await store(name)
    const { pointer, fileIdHex } = await sealFile(suite, files, source)
    await files.store.batch(
      files.newAttachmentOps({
        fileId: fileIdHex,
        messageId: toHex(randomBytes(16)),
        conversationId: `dm:${BOB}`,
        peerUserId: BOB,
        direction: 'out',
        pointer: encodeFilePointer(pointer),
        state: 'available',
        createdAt: 0,
        updatedAt: 0,
      }),
    )
    return { files, pointer, fileIdHex, source: serve ? serve(files) : files }
  }

  function download(
    files: FileStore,
    by: TestNode,
    pointer: Parameters<typeof runDownload>[2],
    fileIdHex: string,
  ) {
    const refused: number[] = []
    const outcome = runDownload(
      {
        suite,
        files,
        libp2p: by,
        signal: AbortSignal.timeout(20_000),
        onChunk: () => {},
        onRefused: (i) => refused.push(i),
      },
      alice.peerId,
      pointer,
      fileIdHex,
    )
    return { outcome, refused }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-file-transfer-'))
    source = join(dir, 'source.bin')
    const bytes = seededRandom('file-transfer')(FILE_BYTES)
    await writeFile(source, bytes)
    digest = sha256(bytes)
    nodes = await startTestNodes(3, { connect: false })
    ;[alice, bob, carol] = nodes as [TestNode, TestNode, TestNode]
    for (const peer of [bob, carol]) await peer.dial(alice.getMultiaddrs())
  })
  after(async () => {
    await alice?.unhandle('/wren/file/1.0.0').catch(() => {})
    await stopTestNodes(nodes ?? [])
    for (const s of stores) await s.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('a chunk that does not match the manifest is refused, not written, fetched again, and the file completes', async () => {
    // a modified sender: chunk 2 has one bit flipped the first time it is served
    let served = 0
    const sent = await aliceSends('alice-1', (files) => ({
      attachment: (id) => files.attachment(id),
      manifest: (id) => files.manifest(id),
      chunk: async (id, index) => {
        const chunk = await files.chunk(id, index)
        if (chunk === undefined || index !== 2 || served++ > 0) return chunk
        const bad = Uint8Array.from(chunk)
        bad[10] = (bad[10] ?? 0) ^ 1
        return bad
      },
    }))
    await startFileServer({
      libp2p: alice,
      source: sent.source,
      mayFetch: async (record, peer) => record.peerUserId === BOB && peer.equals(bob.peerId),
      log: silentLogger,
    })
    try {
      const bobFiles = await store('bob-1')
      const { outcome, refused } = download(bobFiles, bob, sent.pointer, sent.fileIdHex)
      assert.deepEqual(await outcome, { ok: true })
      assert.deepEqual(refused, [2], 'the bad copy of chunk 2 was refused')
      const target = join(dir, 'saved-1.bin')
      assert.deepEqual(
        await saveFile(suite, bobFiles, sent.pointer, sent.fileIdHex, { path: target, overwrite: false }),
        {
          bytes: FILE_BYTES,
        },
      )
      assert.equal(sha256(await readFile(target)), digest)

      // a peer the file was not sent to gets nothing, not even the manifest
      const carolFiles = await store('carol-1')
      const carolRun = runDownload(
        {
          suite,
          files: carolFiles,
          libp2p: carol,
          signal: AbortSignal.timeout(20_000),
          onChunk() {},
          onRefused() {},
        },
        alice.peerId,
        sent.pointer,
        sent.fileIdHex,
      )
      const carolOutcome = await carolRun
      assert.equal(carolOutcome.ok, false)
      assert.match(carolOutcome.ok ? '' : carolOutcome.reason, new RegExp(`status ${FILE_STATUS_NOT_FOUND}`))
      assert.equal(await carolFiles.manifest(sent.fileIdHex), undefined)
      assert.equal(await carolFiles.chunk(sent.fileIdHex, 0), undefined)

      // a stored chunk corrupted at the receiver is caught when the file is saved
      await bobFiles.writeChunks(sent.fileIdHex, [{ index: 1, ciphertext: randomBytes(256 * KIB + 16) }])
      const again = await saveFile(suite, bobFiles, sent.pointer, sent.fileIdHex, {
        path: join(dir, 'saved-corrupt.bin'),
        overwrite: false,
      })
      assert.equal(again.corruptChunk, 1)
    } finally {
      await alice.unhandle('/wren/file/1.0.0')
    }
  })

  test('a sender that keeps serving a bad chunk gets it refused every time and never written', async () => {
    const sent = await aliceSends('alice-2', (files) => ({
      attachment: (id) => files.attachment(id),
      manifest: (id) => files.manifest(id),
      chunk: async (id, index) => {
        const chunk = await files.chunk(id, index)
        return chunk === undefined || index !== 3 ? chunk : randomBytes(chunk.length)
      },
    }))
    await startFileServer({
      libp2p: alice,
      source: sent.source,
      mayFetch: async (record, peer) => record.peerUserId === BOB && peer.equals(bob.peerId),
      log: silentLogger,
    })
    try {
      const bobFiles = await store('bob-2')
      const { outcome, refused } = download(bobFiles, bob, sent.pointer, sent.fileIdHex)
      const result = await outcome
      assert.equal(result.ok, false)
      assert.equal(result.ok === false && result.retry, true, 'a later run may try again')
      assert.ok(refused.length >= 2 && refused.every((i) => i === 3))
      assert.equal(await bobFiles.chunk(sent.fileIdHex, 3), undefined, 'the bad chunk was never written')
      const bitmap = await bobFiles.bitmap(sent.fileIdHex)
      assert.ok(bitmap !== undefined && !hasChunk(bitmap, 3) && hasChunk(bitmap, 4))
    } finally {
      await alice.unhandle('/wren/file/1.0.0')
    }
  })

  test('a pointer whose manifest hash is wrong ends the download for good, with nothing stored', async () => {
    const sent = await aliceSends('alice-3')
    await startFileServer({
      libp2p: alice,
      source: sent.source,
      mayFetch: async (record, peer) => record.peerUserId === BOB && peer.equals(bob.peerId),
      log: silentLogger,
    })
    try {
      const bobFiles = await store('bob-3')
      const forged = Uint8Array.from(sent.pointer.manifestHash)
      forged[0] = (forged[0] ?? 0) ^ 1
      const { outcome, refused } = download(
        bobFiles,
        bob,
        { ...sent.pointer, manifestHash: forged },
        sent.fileIdHex,
      )
      const result = await outcome
      assert.equal(result.ok, false)
      assert.equal(
        result.ok === false && result.retry,
        false,
        'no later run: the pointer will not get better',
      )
      assert.match(result.ok ? '' : result.reason, /manifest does not match the pointer/)
      assert.deepEqual(refused, [])
      assert.equal(await bobFiles.manifest(sent.fileIdHex), undefined)
      assert.equal(await bobFiles.bitmap(sent.fileIdHex), undefined)
      assert.equal(await bobFiles.chunk(sent.fileIdHex, 0), undefined)
    } finally {
      await alice.unhandle('/wren/file/1.0.0')
    }
  })
})

describe('/wren/file/1.0.0 frames', () => {
  const fileId = new Uint8Array(16).fill(7)
  const samples = [
    encodeFileRequest({ kind: FILE_REQUEST_CHUNK, fileId, index: 3 }),
    encodeFileRequest({ kind: FILE_REQUEST_MANIFEST, fileId, index: 0, count: 12 }),
  ]

  test('requests round-trip; oversize, wrong version, bad ids, counts and kinds are refused', () => {
    assert.deepEqual(decodeFileRequest(samples[0] as Uint8Array), {
      kind: FILE_REQUEST_CHUNK,
      fileId,
      index: 3,
    })
    assert.throws(() => decodeFileRequest(new Uint8Array(MAX_FILE_REQUEST_BYTES + 1)), DecodeError)
    assert.throws(
      () => decodeFileRequest(encodeFileRequest({ kind: FILE_REQUEST_MANIFEST, fileId, index: 0, count: 0 })),
      DecodeError,
    )
    assert.throws(
      () =>
        decodeFileRequest(
          encodeFileRequest({ kind: FILE_REQUEST_CHUNK, fileId: new Uint8Array(15), index: 0 }),
        ),
      DecodeError,
    )
    assert.throws(() => decodeFileRequest(Uint8Array.of(0x08, 0x02)), /version/)
  })

  test('responses round-trip; oversize, unknown status and data in a refusal are refused', () => {
    const ok = encodeFileResponse({ status: FILE_STATUS_OK, data: Uint8Array.of(1, 2, 3) })
    assert.deepEqual(decodeFileResponse(ok), { status: FILE_STATUS_OK, data: Uint8Array.of(1, 2, 3) })
    assert.throws(() => decodeFileResponse(new Uint8Array(MAX_FILE_RESPONSE_BYTES + 1)), DecodeError)
    assert.throws(
      () => decodeFileResponse(encodeFileResponse({ status: 9, data: new Uint8Array(0) })),
      DecodeError,
    )
    assert.throws(
      () => decodeFileResponse(encodeFileResponse({ status: FILE_STATUS_NOT_FOUND, data: Uint8Array.of(1) })),
      DecodeError,
    )
  })

  test('fuzzed requests and responses only ever throw typed errors, and most are rejected', () => {
    const req = fuzzDecoder(decodeFileRequest, { seed: 'file-request', samples, maxLength: 96 })
    assert.ok(req.rejected > req.accepted, `requests: ${req.rejected} rejected, ${req.accepted} accepted`)
    const res = fuzzDecoder(decodeFileResponse, {
      seed: 'file-response',
      samples: [encodeFileResponse({ status: FILE_STATUS_OK, data: new Uint8Array(300).fill(9) })],
    })
    assert.ok(res.rejected > 0, `responses: ${res.rejected} rejected`)
  })
})

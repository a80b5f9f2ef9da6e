/**
 * Range requests on /wren/file/1.0.0 between real libp2p nodes with real LevelDB stores: the
 * sender streams a range's chunks back to back on one stream; a tampered chunk inside a range is
 * refused, never written, and fetched again by itself while the rest of the range is kept; a
 * range longer than MAX_RANGE_CHUNKS is refused and counted against the peer; a sender that does
 * not know ranges (answers BAD_REQUEST) is asked chunk by chunk; the range frame is fuzzed.
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
import {
  FILE_PROTOCOL,
  MAX_FILE_RESPONSE_BYTES,
  MAX_RANGE_CHUNKS,
  RANGE_CHUNKS,
} from '../src/files/constants.ts'
import { runDownload } from '../src/files/download.ts'
import { type ChunkSource, FileStore } from '../src/files/file-store.ts'
import { saveFile } from '../src/files/save-file.ts'
import { sealFile } from '../src/files/seal-file.ts'
import { startFileServer } from '../src/files/serve.ts'
import {
  decodeFileRequest,
  decodeFileResponse,
  encodeFileRequest,
  FILE_REQUEST_RANGE,
  FILE_STATUS_BAD_REQUEST,
  FILE_STATUS_OK,
  type FileRequest,
} from '../src/files/wire.ts'
import { silentLogger } from '../src/log.ts'
import { peerGuardOf } from '../src/p2p/peer-guard.ts'
import { openFrames } from '../src/p2p/request-frames.ts'
import { sendRequest } from '../src/p2p/request-response.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()
const KIB = 1024
/** Ten chunks of 256 KiB, the last one short: ranges [0,4) [4,8) [8,10). */
const FILE_BYTES = 9 * 256 * KIB + 3 * KIB
const CHUNKS = 10
const BOB = 'wu-bob-range-user'
const RUN_TIMEOUT_MS = 20_000

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('range requests on /wren/file/1.0.0', () => {
  let dir: string
  let nodes: TestNode[]
  let alice: TestNode
  let bob: TestNode
  const stores: SealedStore[] = []
  let source: string
  let digest: string

  async function store(name: string): Promise<FileStore> {
    const s = await SealedStore.open(join(dir, name), randomBytes(32))
    stores.push(s)
    return new FileStore(s)
  }

  /** Alice seals the file for bob and serves it from `serve(files)` (default: her store). */
  async function aliceServes(name: string, serve?: (files: FileStore) => ChunkSource) {
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
    const served: number[] = []
    await startFileServer({
      libp2p: alice,
      source: serve ? serve(files) : files,
      mayFetch: async (record, peer) => record.peerUserId === BOB && peer.equals(bob.peerId),
      log: silentLogger,
      onServed: (_id, chunks) => served.push(chunks),
    })
    return { pointer, fileIdHex, served }
  }

  async function bobDownloads(sent: Awaited<ReturnType<typeof aliceServes>>, name: string) {
    const files = await store(name)
    const refused: number[] = []
    const outcome = await runDownload(
      {
        suite,
        files,
        libp2p: bob,
        signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
        onChunk: () => {},
        onRefused: (i) => refused.push(i),
      },
      alice.peerId,
      sent.pointer,
      sent.fileIdHex,
    )
    return { files, outcome, refused }
  }

  async function savedDigest(files: FileStore, sent: Awaited<ReturnType<typeof aliceServes>>, name: string) {
    const target = join(dir, name)
    await saveFile(suite, files, sent.pointer, sent.fileIdHex, { path: target, overwrite: false })
    return sha256(await readFile(target))
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-file-range-'))
    source = join(dir, 'source.bin')
    const bytes = seededRandom('file-range')(FILE_BYTES)
    await writeFile(source, bytes)
    digest = sha256(bytes)
    nodes = await startTestNodes(2, { connect: false })
    ;[alice, bob] = nodes as [TestNode, TestNode]
    await bob.dial(alice.getMultiaddrs())
  })
  after(async () => {
    await alice?.unhandle(FILE_PROTOCOL).catch(() => {})
    await stopTestNodes(nodes ?? [])
    for (const s of stores) await s.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('a range streams its chunks back to back on one stream, in order, each a frame of its own', async () => {
    const sent = await aliceServes('alice-stream')
    try {
      const request = encodeFileRequest({
        kind: FILE_REQUEST_RANGE,
        fileId: sent.pointer.fileId,
        index: 2,
        count: 4,
      })
      const opened = await openFrames(bob, alice.peerId, FILE_PROTOCOL, request, {
        maxFrameBytes: MAX_FILE_RESPONSE_BYTES,
        signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
      })
      assert.ok(opened.ok, 'the range stream opened')
      const aliceFiles = new FileStore(stores.at(-1) as SealedStore)
      for (let index = 2; index < 6; index++) {
        const frame = await opened.frames.next()
        assert.ok(frame.ok, `frame of chunk ${index}`)
        const response = decodeFileResponse(frame.frame)
        assert.equal(response.status, FILE_STATUS_OK)
        assert.deepEqual(response.data, await aliceFiles.chunk(sent.fileIdHex, index))
      }
      assert.deepEqual(sent.served, [1, 1, 1, 1], 'four chunks served, counted one by one')
    } finally {
      await alice.unhandle(FILE_PROTOCOL)
    }
  })

  test('a tampered chunk inside a range is refused, never written, and fetched again by itself; the file completes', async () => {
    // a modified sender: chunk 5 (inside the second range) has a bit flipped the first time
    const reads = new Map<number, number>()
    const sent = await aliceServes('alice-tamper', (files) => ({
      attachment: (id) => files.attachment(id),
      manifest: (id) => files.manifest(id),
      chunk: async (id, index) => {
        const chunk = await files.chunk(id, index)
        reads.set(index, (reads.get(index) ?? 0) + 1)
        if (chunk === undefined || index !== 5 || reads.get(index) !== 1) return chunk
        const bad = Uint8Array.from(chunk)
        bad[100] = (bad[100] ?? 0) ^ 1
        return bad
      },
    }))
    try {
      const { files, outcome, refused } = await bobDownloads(sent, 'bob-tamper')
      assert.deepEqual(outcome, { ok: true })
      assert.deepEqual(refused, [5], 'the bad copy of chunk 5 was refused')
      for (let i = 0; i < CHUNKS; i++)
        assert.equal(reads.get(i), i === 5 ? 2 : 1, `chunk ${i} read ${reads.get(i)} times`)
      assert.equal(await savedDigest(files, sent, 'saved-tamper.bin'), digest)
      // served: 10 chunks in ranges, chunk 5 once more on its own
      assert.equal(
        sent.served.reduce((a, b) => a + b, 0),
        CHUNKS + 1,
      )
    } finally {
      await alice.unhandle(FILE_PROTOCOL)
    }
  })

  test('a range longer than MAX_RANGE_CHUNKS is refused unserved and counted as malformed', async () => {
    const sent = await aliceServes('alice-long')
    try {
      const guard = peerGuardOf(alice)
      assert.ok(guard !== undefined, 'test nodes carry the peer guard')
      const malformed = () =>
        guard.stats().protocols.find((p) => p.protocol === FILE_PROTOCOL)?.malformed ?? 0
      const before = malformed()
      // encoded by hand: encodeFileRequest would write it, decodeFileRequest must refuse it
      const tooLong = encodeFileRequest({
        kind: FILE_REQUEST_RANGE,
        fileId: sent.pointer.fileId,
        index: 0,
        count: MAX_RANGE_CHUNKS + 1,
      })
      const result = await sendRequest(bob, alice.peerId, FILE_PROTOCOL, tooLong, {
        maxResponseBytes: MAX_FILE_RESPONSE_BYTES,
      })
      assert.ok(result.ok, 'answered with a refusal')
      assert.equal(decodeFileResponse(result.response).status, FILE_STATUS_BAD_REQUEST)
      assert.equal(malformed(), before + 1)
      assert.deepEqual(sent.served, [], 'nothing served')
      // a range past the file's last chunk: refused too, nothing served
      const past = encodeFileRequest({
        kind: FILE_REQUEST_RANGE,
        fileId: sent.pointer.fileId,
        index: 8,
        count: 4,
      })
      const pastResult = await sendRequest(bob, alice.peerId, FILE_PROTOCOL, past, {
        maxResponseBytes: MAX_FILE_RESPONSE_BYTES,
      })
      assert.ok(pastResult.ok)
      assert.equal(decodeFileResponse(pastResult.response).status, FILE_STATUS_BAD_REQUEST)
      assert.deepEqual(sent.served, [])
    } finally {
      await alice.unhandle(FILE_PROTOCOL)
    }
  })

  test('a sender that refuses ranges (one from before them) is asked chunk by chunk and the file completes', async () => {
    const sent = await aliceServes('alice-old')
    // replace the handler by one that answers ranges as an old sender does: BAD_REQUEST
    await alice.unhandle(FILE_PROTOCOL)
    const kinds: number[] = []
    const aliceFiles = new FileStore(stores.at(-1) as SealedStore)
    await startFileServer({
      libp2p: alice,
      source: {
        attachment: (id) => aliceFiles.attachment(id),
        manifest: (id) => aliceFiles.manifest(id),
        chunk: (id, index) => aliceFiles.chunk(id, index),
      },
      mayFetch: async (record, peer) => record.peerUserId === BOB && peer.equals(bob.peerId),
      log: silentLogger,
      onServed: (_id, chunks) => kinds.push(chunks),
      ranges: false,
    })
    try {
      const { files, outcome } = await bobDownloads(sent, 'bob-old')
      assert.deepEqual(outcome, { ok: true })
      assert.equal(kinds.filter((k) => k === 1).length, CHUNKS, 'every chunk asked for once')
      assert.equal(await savedDigest(files, sent, 'saved-old.bin'), digest)
    } finally {
      await alice.unhandle(FILE_PROTOCOL)
    }
  })
})

describe('the range request frame', () => {
  const fileId = new Uint8Array(16).fill(3)
  const range = (index: number, count: number): FileRequest => ({
    kind: FILE_REQUEST_RANGE,
    fileId,
    index,
    count,
  })

  test('round-trips; an empty range or one longer than MAX_RANGE_CHUNKS is refused', () => {
    assert.deepEqual(decodeFileRequest(encodeFileRequest(range(7, RANGE_CHUNKS))), range(7, RANGE_CHUNKS))
    assert.deepEqual(
      decodeFileRequest(encodeFileRequest(range(0, MAX_RANGE_CHUNKS))),
      range(0, MAX_RANGE_CHUNKS),
    )
    assert.throws(() => decodeFileRequest(encodeFileRequest(range(0, 0))), DecodeError)
    assert.throws(() => decodeFileRequest(encodeFileRequest(range(0, MAX_RANGE_CHUNKS + 1))), DecodeError)
    assert.throws(() => decodeFileRequest(encodeFileRequest(range(0, 2 ** 31))), DecodeError)
  })

  test('fuzzed range requests only ever throw typed errors, most are rejected, and none decodes past the cap', () => {
    const samples = [range(0, 1), range(12, RANGE_CHUNKS), range(4000, MAX_RANGE_CHUNKS)].map(
      encodeFileRequest,
    )
    let longest = 0
    const result = fuzzDecoder(
      (bytes) => {
        const request = decodeFileRequest(bytes)
        if (request.kind === FILE_REQUEST_RANGE) longest = Math.max(longest, request.count)
        return request
      },
      { seed: 'file-range-request', samples, maxLength: 96, runs: 2000 },
    )
    assert.ok(result.rejected > result.accepted, `${result.rejected} rejected, ${result.accepted} accepted`)
    assert.ok(longest <= MAX_RANGE_CHUNKS, `a range of ${longest} chunks decoded`)
  })
})

/**
 * Where a file's chunks live (node/src/files/file-store.ts): files beside the profile database,
 * owner-only, read back as written, removed with the file; chunks an older build stored in the
 * database are still read and dropped; a chunk buffer released once written. Real LevelDB, real
 * files in a temp folder.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { toHex } from '../../core/src/bytes.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { FileStore } from '../src/files/file-store.ts'
import { RELEASE_MIN_BYTES, releaseBytes } from '../src/files/release-bytes.ts'
import { sealFile } from '../src/files/seal-file.ts'
import {
  decodeFileResponse,
  encodeFileResponse,
  FILE_STATUS_OK,
  OK_FRAME_HEADROOM,
  okFrameInPlace,
} from '../src/files/wire.ts'
import { fileChunksDir } from '../src/storage/layout.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()
const KIB = 1024
/** Three chunks of 256 KiB, the last one short. */
const FILE_BYTES = 600 * KIB

describe('file chunks beside the profile database', () => {
  let dir: string
  const random = seededRandom(16)
  const stores: SealedStore[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-file-store-'))
  })
  after(async () => {
    await Promise.allSettled(stores.map((s) => s.close()))
    await rm(dir, { recursive: true, force: true })
  })

  async function open(name: string): Promise<FileStore> {
    const store = await SealedStore.open(join(dir, name), random(32))
    stores.push(store)
    return new FileStore(store)
  }

  test('a sealed file is stored as owner-only chunk files, read back as written, and removed with it', async () => {
    const files = await open('sender')
    const source = join(dir, 'source.bin')
    await writeFile(source, random(FILE_BYTES))
    const { pointer, fileIdHex } = await sealFile(suite, files, source)
    assert.equal(files.chunksDir, fileChunksDir(join(dir, 'sender')))
    const folder = join(files.chunksDir, fileIdHex)
    assert.equal((await stat(folder)).mode & 0o777, 0o700)
    assert.deepEqual((await readdir(folder)).sort(), ['0', '1', '2'])
    for (let index = 0; index < pointer.chunkCount; index++) {
      const chunk = await files.chunk(fileIdHex, index)
      assert.ok(chunk !== undefined)
      assert.equal((await stat(join(folder, String(index)))).mode & 0o777, 0o600)
      // the stored bytes are the sealed chunk: plaintext length + the 16-byte AES-GCM tag
      const plain = Math.min(pointer.chunkBytes, pointer.size - index * pointer.chunkBytes)
      assert.equal(chunk.length, plain + 16)
    }
    assert.equal(await files.chunk(fileIdHex, pointer.chunkCount), undefined)
    await files.dropContents(fileIdHex, pointer.chunkCount)
    await assert.rejects(stat(folder), { code: 'ENOENT' })
    assert.equal(await files.chunk(fileIdHex, 0), undefined)
    assert.equal(await files.manifest(fileIdHex), undefined)
  })

  test('a chunk an older build stored in the database is still read, and dropped with the file', async () => {
    const files = await open('older')
    const fileIdHex = toHex(random(16))
    const legacy = random(1000)
    await files.store.batch([{ type: 'putBytes', key: files.chunkKey(fileIdHex, 0), value: legacy }])
    assert.deepEqual(await files.chunk(fileIdHex, 0), legacy)
    await files.dropContents(fileIdHex, 1)
    assert.equal(await files.chunk(fileIdHex, 0), undefined)
  })

  test('releaseBytes frees a whole buffer it is handed, and leaves slices and small buffers alone', () => {
    const whole = random(RELEASE_MIN_BYTES)
    releaseBytes(whole)
    assert.equal(whole.byteLength, 0, 'detached: its memory is given back')
    const shared = random(4 * RELEASE_MIN_BYTES)
    const slice = shared.subarray(16, 16 + RELEASE_MIN_BYTES)
    releaseBytes(slice)
    assert.equal(slice.byteLength, RELEASE_MIN_BYTES, 'a view inside a larger buffer is kept')
    assert.equal(shared.byteLength, 4 * RELEASE_MIN_BYTES)
    const small = random(RELEASE_MIN_BYTES - 1)
    releaseBytes(small)
    assert.equal(small.byteLength, RELEASE_MIN_BYTES - 1)
  })

  test('a chunk read after the frame headroom is framed in place: the same bytes as an encoded response', async () => {
    const files = await open('framed')
    const fileIdHex = toHex(random(16))
    // lengths whose varint takes 1, 2, 3 bytes, and a sealed 256 KiB chunk
    const chunks = [1, 127, 128, 16_383, 16_384, 256 * KIB + 16].map((length, index) => ({
      index,
      ciphertext: random(length),
    }))
    await files.writeChunks(fileIdHex, chunks)
    for (const { index, ciphertext } of chunks) {
      const read = await files.chunkAfter(fileIdHex, index, OK_FRAME_HEADROOM)
      assert.ok(read !== undefined)
      assert.deepEqual(read.subarray(OK_FRAME_HEADROOM), ciphertext)
      const frame = okFrameInPlace(read)
      assert.deepEqual(frame, encodeFileResponse({ status: FILE_STATUS_OK, data: ciphertext }))
      assert.deepEqual(decodeFileResponse(frame).data, ciphertext)
    }
    // an older build's chunk in the database, read with headroom too
    const legacy = random(1000)
    await files.store.batch([{ type: 'putBytes', key: files.chunkKey(fileIdHex, 99), value: legacy }])
    const read = await files.chunkAfter(fileIdHex, 99, OK_FRAME_HEADROOM)
    assert.ok(read !== undefined)
    assert.deepEqual(okFrameInPlace(read), encodeFileResponse({ status: FILE_STATUS_OK, data: legacy }))
    assert.equal(await files.chunkAfter(fileIdHex, 100, OK_FRAME_HEADROOM), undefined)
  })

  test('a write after the folder was removed makes it again, owner-only', async () => {
    const files = await open('again')
    const fileIdHex = toHex(random(16))
    await files.writeChunks(fileIdHex, [{ index: 0, ciphertext: random(64) }])
    await files.dropContents(fileIdHex, 1)
    const again = random(64)
    await files.writeChunks(fileIdHex, [{ index: 0, ciphertext: again }])
    assert.equal((await stat(join(files.chunksDir, fileIdHex))).mode & 0o777, 0o700)
    assert.deepEqual(await files.chunk(fileIdHex, 0), again)
  })

  test('a file id that is not lowercase hex never names a path', async () => {
    const files = await open('ids')
    await assert.rejects(files.chunk('../sender', 0), TypeError)
    await assert.rejects(files.writeChunks('AB/..', [{ index: 0, ciphertext: random(4) }]), TypeError)
  })
})

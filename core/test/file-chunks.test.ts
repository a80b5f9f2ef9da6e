/**
 * Files encrypted once, in chunks (core/src/file): round trips at the chunk boundaries, every
 * chunk bound to its place, its file and its key; manifests checked; pointers round-trip and
 * their decoder, fed random and mutated bytes, only ever throws typed errors.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { concatBytes } from '../src/bytes.ts'
import { AeadError, DecodeError, FileLayoutError } from '../src/errors.ts'
import {
  type ChunkLayout,
  chunkCountFor,
  chunkHash,
  chunkMatches,
  chunkPlainLength,
  manifestHash,
  newFileSecrets,
  openChunk,
  readManifest,
  sealChunk,
} from '../src/file/chunks.ts'
import {
  FILE_CHUNK_BYTES,
  MAX_FILE_POINTER_BYTES,
  MAX_OFFLINE_FILE_BYTES,
  MAX_THUMBNAIL_BYTES,
} from '../src/file/constants.ts'
import {
  type BlobReplica,
  decodeFilePointer,
  encodeFilePointer,
  type FilePointer,
} from '../src/file/pointer.ts'

const suite = seededSuite('file-chunks')
const random = seededRandom('file-chunks-bytes')
/** A small chunk size keeps the tests fast; the code takes any size up to MAX_FILE_CHUNK_BYTES. */
const CHUNK = 1024

function encryptFile(plain: Uint8Array, chunkBytes = CHUNK) {
  const { fileId, fileKey } = newFileSecrets(suite)
  const layout: ChunkLayout = {
    fileId,
    size: plain.length,
    chunkBytes,
    chunkCount: chunkCountFor(plain.length, chunkBytes),
  }
  const chunks: Uint8Array[] = []
  for (let i = 0; i < layout.chunkCount; i++) {
    const start = i * chunkBytes
    chunks.push(
      sealChunk(suite, fileKey, layout, i, plain.subarray(start, start + chunkPlainLength(layout, i))),
    )
  }
  const manifest = concatBytes(...chunks.map((c) => chunkHash(suite, c)))
  return { fileKey, layout, chunks, manifest }
}

describe('file chunks', () => {
  test('files of every size around the chunk boundaries round-trip', () => {
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]) {
      const plain = random(size)
      const { fileKey, layout, chunks } = encryptFile(plain)
      assert.equal(layout.chunkCount, Math.max(1, Math.ceil(size / CHUNK)))
      const opened = chunks.map((c, i) => openChunk(suite, fileKey, layout, i, c))
      assert.deepEqual(concatBytes(...opened), plain, `size ${size}`)
    }
  })

  test('a chunk opens only at its own index, in its own file, under its key, untampered', () => {
    const { fileKey, layout, chunks } = encryptFile(random(3 * CHUNK + 5))
    const [c0, c1] = chunks as [Uint8Array, Uint8Array]
    assert.throws(() => openChunk(suite, fileKey, layout, 1, c0), AeadError, 'moved to another index')
    const other = encryptFile(random(3 * CHUNK + 5))
    assert.throws(() => openChunk(suite, other.fileKey, other.layout, 1, c1), AeadError, 'into another file')
    assert.throws(
      () => openChunk(suite, fileKey, { ...layout, fileId: other.layout.fileId }, 1, c1),
      AeadError,
    )
    const flipped = c1.slice()
    flipped[7] = (flipped[7] as number) ^ 1
    assert.throws(() => openChunk(suite, fileKey, layout, 1, flipped), AeadError, 'tampered')
  })

  test('a truncated file is detected: its new last chunk was not sealed as the last', () => {
    const { fileKey, layout, chunks } = encryptFile(random(4 * CHUNK))
    const truncated: ChunkLayout = { ...layout, size: 2 * CHUNK, chunkCount: 2 }
    assert.throws(() => openChunk(suite, fileKey, truncated, 1, chunks[1] as Uint8Array), AeadError)
  })

  test('the manifest names each chunk; a wrong manifest or chunk is refused before opening', () => {
    const { layout, chunks, manifest } = encryptFile(random(2 * CHUNK + 9))
    const expected = manifestHash(suite, manifest)
    const hashes = readManifest(suite, layout, expected, manifest)
    assert.equal(hashes.length, 3)
    assert.ok(chunks.every((c, i) => chunkMatches(suite, hashes[i] as Uint8Array, c)))
    assert.equal(chunkMatches(suite, hashes[0] as Uint8Array, chunks[1] as Uint8Array), false)
    const bad = manifest.slice()
    bad[0] = (bad[0] as number) ^ 1
    assert.throws(() => readManifest(suite, layout, expected, bad), DecodeError)
    assert.throws(() => readManifest(suite, layout, expected, manifest.subarray(32)), DecodeError)
  })

  test('misuse is a FileLayoutError: wrong plaintext length, index out of range, negative size', () => {
    const { fileKey, layout } = encryptFile(random(2 * CHUNK))
    assert.throws(() => sealChunk(suite, fileKey, layout, 0, random(CHUNK - 1)), FileLayoutError)
    assert.throws(() => sealChunk(suite, fileKey, layout, 2, random(CHUNK)), FileLayoutError)
    assert.throws(() => chunkCountFor(-1, CHUNK), FileLayoutError)
    assert.throws(() => chunkCountFor(10, 0), FileLayoutError)
  })
})

describe('file pointers', () => {
  const { fileId, fileKey } = newFileSecrets(suite)
  const size = 5 * FILE_CHUNK_BYTES + 3
  const pointer: FilePointer = {
    fileId,
    size,
    mediaType: 'image/png',
    name: 'holiday 🏖.png',
    fileKey,
    chunkBytes: FILE_CHUNK_BYTES,
    chunkCount: chunkCountFor(size, FILE_CHUNK_BYTES),
    manifestHash: suite.sha256(random(10)),
    thumbnail: random(MAX_THUMBNAIL_BYTES),
    width: 1920,
    height: 1080,
    replicas: [],
  }
  /** A replica as large as a pointer allows: a 64-byte id, 4 addresses of 256 bytes. */
  const replica = (fill: number): BlobReplica => ({
    relayPeerId: new Uint8Array(64).fill(fill),
    addrs: Array.from({ length: 4 }, () => random(256)),
    capSeed: random(32),
  })
  const offline: FilePointer = { ...pointer, replicas: [replica(1), replica(2)] }

  test('round-trip, within the size cap even with the largest thumbnail and two replicas', () => {
    const bytes = encodeFilePointer(pointer)
    assert.ok(bytes.length <= MAX_FILE_POINTER_BYTES)
    assert.deepEqual(decodeFilePointer(bytes), pointer)
    const withReplicas = encodeFilePointer(offline)
    assert.ok(withReplicas.length <= MAX_FILE_POINTER_BYTES, `${withReplicas.length} bytes`)
    assert.deepEqual(decodeFilePointer(withReplicas), offline)
  })

  test('replicas: exactly two, on distinct relays, with seeds and capped addresses, for files under the offline cap', () => {
    const bad: Array<[string, FilePointer]> = [
      ['one replica', { ...pointer, replicas: [replica(1)] }],
      ['three replicas', { ...pointer, replicas: [replica(1), replica(2), replica(3)] }],
      ['the same relay twice', { ...pointer, replicas: [replica(1), replica(1)] }],
      ['a short seed', { ...pointer, replicas: [replica(1), { ...replica(2), capSeed: random(31) }] }],
      [
        'five addresses',
        { ...pointer, replicas: [replica(1), { ...replica(2), addrs: [...replica(2).addrs, random(8)] }] },
      ],
      [
        'an empty relay id',
        { ...pointer, replicas: [replica(1), { ...replica(2), relayPeerId: random(0) }] },
      ],
      [
        'a manifest larger than a blob (tiny chunks)',
        { ...offline, chunkBytes: 64, chunkCount: chunkCountFor(offline.size, 64) },
      ],
      [
        'a file over the offline cap',
        {
          ...offline,
          size: MAX_OFFLINE_FILE_BYTES + 1,
          chunkCount: chunkCountFor(MAX_OFFLINE_FILE_BYTES + 1, FILE_CHUNK_BYTES),
        },
      ],
    ]
    for (const [what, p] of bad) assert.throws(() => encodeFilePointer(p), FileLayoutError, what)
    // the decoder refuses the same, built by hand past the encoder's checks: three replicas
    const three = encodeFilePointer({ ...pointer, replicas: [replica(1), replica(2)] })
    const extra = encodeFilePointer({ ...pointer, replicas: [replica(3), replica(4)] })
    const tail = extra.subarray(encodeFilePointer(pointer).length)
    assert.throws(() => decodeFilePointer(concatBytes(three, tail)), DecodeError)
  })

  test('inconsistent pointers are refused on both sides', () => {
    assert.throws(() => encodeFilePointer({ ...pointer, chunkCount: 2 }), FileLayoutError)
    assert.throws(
      () => encodeFilePointer({ ...pointer, thumbnail: random(MAX_THUMBNAIL_BYTES + 1) }),
      FileLayoutError,
    )
    assert.throws(() => encodeFilePointer({ ...pointer, name: 'x'.repeat(256) }), FileLayoutError)
    assert.throws(() => encodeFilePointer({ ...pointer, chunkBytes: 4 * 1024 * 1024 }), FileLayoutError)
  })

  test('the decoder only throws typed errors on random, truncated and mutated input', () => {
    const result = fuzzDecoder(decodeFilePointer, {
      seed: 'file-pointer',
      maxLength: MAX_FILE_POINTER_BYTES + 64,
      samples: [
        encodeFilePointer(pointer),
        encodeFilePointer({ ...pointer, thumbnail: new Uint8Array(0) }),
        encodeFilePointer({ ...offline, thumbnail: new Uint8Array(0) }),
      ],
    })
    assert.ok(result.rejected > 0)
    assert.ok(result.accepted > 0)
  })
})

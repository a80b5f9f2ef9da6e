/**
 * The relay blob service's frames and capabilities (core/src/blob): requests and responses
 * round-trip; the parsers, fed random bytes (fast-check, seeded) and mutations of valid frames,
 * only ever throw typed errors and refuse what breaks a rule; capabilities are deterministic per
 * seed and slot and differ across both.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { blobCaps, manifestSlot, newCapSeed, tokenHash } from '../src/blob/caps.ts'
import { MAX_BLOB_BYTES, MAX_BLOB_REQUEST_BYTES, MAX_BLOB_RESPONSE_BYTES } from '../src/blob/constants.ts'
import {
  BLOB_DELETE,
  BLOB_GET,
  BLOB_PUT,
  BLOB_STATUS_DENIED,
  BLOB_STATUS_OK,
  type BlobRequest,
  decodeBlobRequest,
  decodeBlobResponse,
  encodeBlobRequest,
  encodeBlobResponse,
} from '../src/blob/wire.ts'
import { toHex } from '../src/bytes.ts'
import { DecodeError, WrenCoreError } from '../src/errors.ts'
import { BlobRequest as BlobRequestProto } from '../src/proto/blob.ts'

const suite = seededSuite('blob-wire')
const random = seededRandom('blob-wire-bytes')

describe('blob frames', () => {
  const put: BlobRequest = {
    kind: BLOB_PUT,
    blobId: random(16),
    readTokenHash: random(32),
    deleteTokenHash: random(32),
    data: random(MAX_BLOB_BYTES),
  }
  const get: BlobRequest = { kind: BLOB_GET, blobId: random(16), token: random(32) }
  const del: BlobRequest = { kind: BLOB_DELETE, blobId: random(16), token: random(32) }

  test('requests and responses round-trip; the largest put fits its frame cap', () => {
    for (const r of [put, get, del]) assert.deepEqual(decodeBlobRequest(encodeBlobRequest(r)), r)
    assert.ok(encodeBlobRequest(put).length <= MAX_BLOB_REQUEST_BYTES)
    const ok = { status: BLOB_STATUS_OK, data: random(MAX_BLOB_BYTES), expiresAt: 0 }
    assert.deepEqual(decodeBlobResponse(encodeBlobResponse(ok)), ok)
    assert.ok(encodeBlobResponse(ok).length <= MAX_BLOB_RESPONSE_BYTES)
  })

  test('frames that break a rule are refused: over the cap, wrong lengths, unknown kind, data in a refusal', () => {
    const raw = (fields: Partial<Parameters<typeof BlobRequestProto.encode>[0]>) =>
      BlobRequestProto.encode({
        version: 1,
        kind: BLOB_GET,
        blobId: random(16) as Uint8Array<ArrayBuffer>,
        token: random(32) as Uint8Array<ArrayBuffer>,
        readTokenHash: new Uint8Array(0),
        deleteTokenHash: new Uint8Array(0),
        data: new Uint8Array(0),
        ...fields,
      })
    const bad: Array<[string, Uint8Array]> = [
      ['over the cap', new Uint8Array(MAX_BLOB_REQUEST_BYTES + 1)],
      ['version 2', raw({ version: 2 })],
      ['short id', raw({ blobId: random(15) as Uint8Array<ArrayBuffer> })],
      ['short token', raw({ token: random(31) as Uint8Array<ArrayBuffer> })],
      ['unknown kind', raw({ kind: 9 })],
      ['a get with data', raw({ data: random(4) as Uint8Array<ArrayBuffer> })],
      ['a put with a token', raw({ kind: BLOB_PUT, readTokenHash: random(32) as Uint8Array<ArrayBuffer> })],
    ]
    for (const [what, bytes] of bad) assert.throws(() => decodeBlobRequest(bytes), DecodeError, what)
    const refusal = encodeBlobResponse({ status: BLOB_STATUS_DENIED, data: random(3), expiresAt: 0 })
    assert.throws(() => decodeBlobResponse(refusal), DecodeError)
    assert.throws(() => decodeBlobResponse(encodeBlobResponse({ status: 99, data: random(0), expiresAt: 0 })))
  })

  test('the request parser only throws typed errors on arbitrary bytes (fast-check, seeded)', () => {
    let rejected = 0
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        try {
          decodeBlobRequest(bytes)
        } catch (err) {
          assert.ok(err instanceof WrenCoreError, `untyped ${(err as Error)?.name}`)
          rejected++
        }
      }),
      { seed: 16, numRuns: 2000 },
    )
    assert.ok(rejected > 0)
  })

  test('both parsers only throw typed errors on truncated and mutated frames', () => {
    const requests = fuzzDecoder(decodeBlobRequest, {
      seed: 'blob-request',
      samples: [
        encodeBlobRequest(get),
        encodeBlobRequest(del),
        encodeBlobRequest({ ...put, data: random(300) }),
      ],
    })
    assert.ok(requests.rejected > 0 && requests.accepted > 0)
    const responses = fuzzDecoder(decodeBlobResponse, {
      seed: 'blob-response',
      samples: [
        encodeBlobResponse({ status: BLOB_STATUS_OK, data: random(300), expiresAt: 1_700_000_000_000 }),
      ],
    })
    assert.ok(responses.rejected > 0 && responses.accepted > 0)
  })
})

describe('blob capabilities', () => {
  test('ids and tokens are fixed per seed and slot, and differ across slots, seeds and roles', () => {
    const seed = newCapSeed(suite)
    const a = blobCaps(suite, seed, 0)
    assert.deepEqual(blobCaps(suite, seed, 0), a)
    const seen = new Set<string>()
    for (const seedBytes of [seed, newCapSeed(suite)])
      for (const slot of [0, 1, manifestSlot(400)]) {
        const caps = blobCaps(suite, seedBytes, slot)
        for (const v of [caps.blobId, caps.readToken, caps.deleteToken]) seen.add(toHex(v))
      }
    assert.equal(seen.size, 2 * 3 * 3)
    assert.equal(a.blobId.length, 16)
    assert.equal(tokenHash(suite, a.readToken).length, 32)
    assert.throws(() => blobCaps(suite, random(31), 0))
  })
})

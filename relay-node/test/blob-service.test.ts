/**
 * The relay's blob service (/wren/blob/1.0.0) on a real in-process relay with its blob store on
 * disk, driven by real libp2p nodes through the node's BlobClient: a blob round-trips only with
 * its read token; a wrong token is refused; the delete token (the recipient's ack) removes it
 * and its file; per-sender quotas refuse with typed statuses while other senders still store;
 * the TTL sweep removes expired blobs; blobs survive a restart; malformed frames get MALFORMED.
 */
import assert from 'node:assert/strict'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { blobCaps, newCapSeed } from '../../core/src/blob/caps.ts'
import { BLOB_PROTOCOL, BLOB_TTL_MS, MAX_BLOB_BYTES } from '../../core/src/blob/constants.ts'
import { BLOB_STATUS_MALFORMED, decodeBlobResponse } from '../../core/src/blob/wire.ts'
import { BlobClient } from '../../node/src/files/blob-client.ts'
import { sendRequest } from '../../node/src/p2p/request-response.ts'
import { startTestNode, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import { BLOB_DIR } from '../src/constants.ts'

const suite = seededSuite('blob-service')
const random = seededRandom('blob-service-bytes')
/** Per-sender quota of the test relay: 3 blobs, or 3 full-size blobs' worth of bytes. */
const MAX_BLOBS = 3
const MAX_BYTES = 2 * MAX_BLOB_BYTES + 1000

describe('relay blob service', () => {
  let relay: TestRelay
  let now = 1_700_000_000_000
  const nodes: TestNode[] = []
  const client = (node: TestNode) =>
    new BlobClient({ libp2p: node, suite, relay: relay.peerId, addrs: relay.multiaddrs })
  const blobFiles = async () => (await readdir(join(relay.dataDir, BLOB_DIR))).sort()

  before(async () => {
    relay = await startTestRelay({
      clock: () => now,
      config: { blob: { maxBlobsPerSender: MAX_BLOBS, maxBytesPerSender: MAX_BYTES, sweepIntervalMs: 0 } },
    })
    for (let i = 0; i < 3; i++) nodes.push(await startTestNode())
  })
  after(async () => {
    await stopTestNodes(nodes)
    await relay?.stop()
    // the restarted relay reuses the first one's folder, which the fixture then leaves in place
    if (relay !== undefined) await rm(relay.dataDir, { recursive: true, force: true })
  })

  test('a blob comes back only with its read token, and its delete token removes it and its file', async () => {
    const sender = client(nodes[0] as TestNode)
    const reader = client(nodes[1] as TestNode)
    const caps = blobCaps(suite, newCapSeed(suite), 0)
    const data = random(MAX_BLOB_BYTES)
    const put = await sender.put(caps, data)
    assert.ok(put.ok)
    assert.equal(put.value, now + BLOB_TTL_MS)
    assert.deepEqual(await blobFiles(), [Buffer.from(caps.blobId).toString('hex')])

    const got = await reader.get(caps)
    assert.ok(got.ok)
    assert.deepEqual(got.value, data)
    const wrongRead = await reader.get({ ...caps, readToken: random(32) })
    assert.deepEqual(wrongRead, { ok: false, reason: 'denied' })
    // the read token does not delete, nor does a random one
    assert.deepEqual(await reader.delete({ ...caps, deleteToken: caps.readToken }), {
      ok: false,
      reason: 'denied',
    })
    assert.deepEqual(await sender.put(caps, data), { ok: false, reason: 'exists' })

    assert.ok((await reader.delete(caps)).ok)
    assert.deepEqual(await reader.get(caps), { ok: false, reason: 'not_found' })
    assert.deepEqual(await blobFiles(), [])
  })

  test('a sender over its quota is refused by count and by bytes; another sender still stores', async () => {
    const seed = newCapSeed(suite)
    const greedy = client(nodes[0] as TestNode)
    for (let slot = 0; slot < 2; slot++)
      assert.ok((await greedy.put(blobCaps(suite, seed, slot), random(MAX_BLOB_BYTES))).ok)
    assert.deepEqual(await greedy.put(blobCaps(suite, seed, 2), random(MAX_BLOB_BYTES)), {
      ok: false,
      reason: 'quota_bytes',
    })
    assert.ok((await greedy.put(blobCaps(suite, seed, 3), random(100))).ok)
    assert.deepEqual(await greedy.put(blobCaps(suite, seed, 4), random(1)), {
      ok: false,
      reason: 'quota_count',
    })
    const other = client(nodes[2] as TestNode)
    const otherCaps = blobCaps(suite, newCapSeed(suite), 0)
    assert.ok((await other.put(otherCaps, random(MAX_BLOB_BYTES))).ok)
    assert.ok((await other.delete(otherCaps)).ok)
    // deleting frees the quota
    assert.ok((await greedy.delete(blobCaps(suite, seed, 3))).ok)
    assert.ok((await greedy.put(blobCaps(suite, seed, 5), random(100))).ok)
    for (const slot of [0, 1, 5]) assert.ok((await greedy.delete(blobCaps(suite, seed, slot))).ok)
  })

  test('a blob over the size cap and a malformed frame are refused with their statuses', async () => {
    const sender = client(nodes[0] as TestNode)
    assert.deepEqual(await sender.put(blobCaps(suite, newCapSeed(suite), 0), random(MAX_BLOB_BYTES + 1)), {
      ok: false,
      reason: 'too_large',
    })
    const raw = await sendRequest(nodes[0] as TestNode, relay.multiaddrs, BLOB_PROTOCOL, random(40))
    assert.ok(raw.ok)
    assert.equal(decodeBlobResponse(raw.response).status, BLOB_STATUS_MALFORMED)
  })

  test('blobs past the TTL are not served and the sweep removes them; younger ones stay', async () => {
    const sender = client(nodes[1] as TestNode)
    const old = blobCaps(suite, newCapSeed(suite), 0)
    assert.ok((await sender.put(old, random(1000))).ok)
    now += BLOB_TTL_MS / 2
    const young = blobCaps(suite, newCapSeed(suite), 0)
    assert.ok((await sender.put(young, random(1000))).ok)
    const before = (await blobFiles()).length
    now += BLOB_TTL_MS / 2
    assert.deepEqual(await sender.get(old), { ok: false, reason: 'not_found' })
    assert.equal(await relay.handle?.blob.sweep(), 1)
    assert.equal((await blobFiles()).length, before - 1)
    assert.ok((await sender.get(young)).ok)
  })

  test('stored blobs survive a relay restart (indexed again from their files)', async () => {
    const sender = client(nodes[1] as TestNode)
    const caps = blobCaps(suite, newCapSeed(suite), 7)
    const data = random(5000)
    assert.ok((await sender.put(caps, data)).ok)
    const dataDir = relay.dataDir
    await relay.handle?.stop()
    relay = await startTestRelay({
      dataDir,
      clock: () => now,
      config: {
        blob: { maxBlobsPerSender: MAX_BLOBS, maxBytesPerSender: MAX_BYTES, sweepIntervalMs: 0 },
      },
    })
    const again = client(nodes[1] as TestNode)
    const got = await again.get(caps)
    assert.ok(got.ok)
    assert.deepEqual(got.value, data)
  })
})

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { bytesEqual } from '../../core/src/bytes.ts'
import { userIdFromIdentityKey } from '../../core/src/identity.ts'
import { type PrekeyBundle, signPrekeyBundle, verifyPrekeyBundle } from '../../core/src/prekey-bundle.ts'
import { decodePrekeyBundle, encodePrekeyBundle } from '../../core/src/prekey-bundle-codec.ts'
import { makeDevice, NOW, type TestDevice } from '../../core/test/identity-fixtures.ts'
import {
  connectNodes,
  routingTableSize,
  startTestNode,
  startTestNodes,
  stopTestNodes,
  type TestNode,
  waitFor,
} from '../../test/fixtures/libp2p.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { type BundlePublisher, bundlePublisher, type PublishedRecord } from '../src/p2p/bundle-publisher.ts'
import { BUNDLE_NAMESPACE, MAX_BUNDLE_RECORD_BYTES } from '../src/p2p/constants.ts'
import {
  type BundleRecordRules,
  bundleKey,
  getBundle,
  putBundle,
  userIdFromBundleKey,
  wrenRecordRules,
} from '../src/p2p/dht-records.ts'
import { InvalidRecordError } from '../src/p2p/errors.ts'

const suite = seededSuite('p2p-dht')
/** The validators' clock: fixed, so the fixture bundles (dated NOW) are always fresh. */
const CLOCK = NOW + 60_000
/** Bound on every DHT operation in these tests. */
const OP_TIMEOUT_MS = 5000

/** The real rules the messaging layer plugs in: core's decoder and verifier, newest createdAt wins. */
const rules: BundleRecordRules = {
  async validateBundleRecord(key, value) {
    const bundle = decodePrekeyBundle(value)
    if (!bytesEqual(userIdFromIdentityKey(suite, bundle.identityKey), userIdFromBundleKey(key))) {
      throw new Error('bundle belongs to another user id')
    }
    verifyPrekeyBundle(suite, bundle, { now: CLOCK })
  },
  selectNewestBundle(_key, values) {
    let best = 0
    let bestAt = -1
    values.forEach((v, i) => {
      const createdAt = decodePrekeyBundle(v).createdAt
      if (createdAt > bestAt) {
        best = i
        bestAt = createdAt
      }
    })
    return best
  },
}

/**
 * A node that stores and forwards anything and lets every write replace the stored record:
 * stands in for a faulty or malicious peer.
 */
const permissive = {
  validators: { [BUNDLE_NAMESPACE]: async () => {} },
  selectors: { [BUNDLE_NAMESPACE]: (_key: Uint8Array, values: Uint8Array[]) => values.length - 1 },
}

function userOf(device: TestDevice): Uint8Array {
  return userIdFromIdentityKey(suite, device.identity.publicKey)
}

function resigned(device: TestDevice, createdAt: number): PrekeyBundle {
  const b = device.bundle
  return signPrekeyBundle(suite, device.identity, {
    deviceCertificate: b.deviceCertificate,
    signedPrekey: b.signedPrekey,
    kemPrekey: b.kemPrekey,
    mailboxes: b.mailboxes,
    createdAt,
  })
}

const opts = () => ({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })

describe('DHT bundle records on a 5-node loopback DHT', () => {
  let nodes: TestNode[] = []
  let mallory: TestNode | undefined
  let a: TestNode
  let d: TestNode
  let m: TestNode

  before(async () => {
    nodes = await startTestNodes(4, { records: wrenRecordRules(rules) })
    mallory = await startTestNode({ records: permissive })
    for (const n of nodes) await connectNodes(mallory, n)
    for (const n of [...nodes, mallory]) await waitFor(() => routingTableSize(n) >= 4, 'full routing tables')
    a = nodes[0] as TestNode
    d = nodes[3] as TestNode
    m = mallory
  })

  after(async () => {
    await stopTestNodes([...nodes, mallory])
  })

  test('a bundle put from node A is found from node D', async () => {
    const alice = makeDevice(suite)
    const bytes = encodePrekeyBundle(alice.bundle)
    const put = await putBundle(a, userOf(alice), bytes, opts())
    assert.equal(put.ok, true)
    assert.ok(put.ok && put.peers >= 3, 'several peers accepted the record')
    const got = await getBundle(d, userOf(alice), opts())
    assert.ok(got.ok, 'record found')
    assert.deepEqual(got.value, bytes)
  })

  test('a bundle failing validation is refused by honest peers and never returned', async () => {
    const alice = makeDevice(suite)
    const tampered = encodePrekeyBundle({ ...alice.bundle, createdAt: alice.bundle.createdAt + 1 })
    // an honest node refuses to publish it at all
    await assert.rejects(putBundle(a, userOf(alice), tampered, opts()), InvalidRecordError)
    // a permissive node publishes it: every honest peer refuses to store it
    const put = await putBundle(m, userOf(alice), tampered, opts())
    assert.deepEqual(put.ok ? 'accepted' : put.reason, 'refused')
    // D asks everyone, mallory included: the invalid copy is dropped
    assert.deepEqual(await getBundle(d, userOf(alice), opts()), { ok: false, reason: 'not-found' })
  })

  test("another user's valid bundle under Alice's key is refused", async () => {
    const alice = makeDevice(suite)
    const bob = makeDevice(suite)
    const bobs = encodePrekeyBundle(bob.bundle)
    await assert.rejects(putBundle(a, userOf(alice), bobs, opts()), InvalidRecordError)
    const put = await putBundle(m, userOf(alice), bobs, opts())
    assert.equal(put.ok, false)
    assert.deepEqual(await getBundle(d, userOf(alice), opts()), { ok: false, reason: 'not-found' })
  })

  test('an oversized record is refused before any parsing', async () => {
    const alice = makeDevice(suite)
    const huge = new Uint8Array(MAX_BUNDLE_RECORD_BYTES + 1)
    await assert.rejects(putBundle(a, userOf(alice), huge, opts()), /exceeds/)
    const put = await putBundle(m, userOf(alice), huge, opts())
    assert.equal(put.ok, false)
    assert.deepEqual(await getBundle(d, userOf(alice), opts()), { ok: false, reason: 'not-found' })
  })

  test('a newer bundle replaces an older one, and replaying the older one does not roll it back', async () => {
    const alice = makeDevice(suite)
    const older = encodePrekeyBundle(alice.bundle)
    const newer = encodePrekeyBundle(resigned(alice, NOW + 1000))
    assert.equal((await putBundle(a, userOf(alice), older, opts())).ok, true)
    assert.equal((await putBundle(a, userOf(alice), newer, opts())).ok, true)
    assert.deepEqual((await getBundle(d, userOf(alice), opts())) as unknown, { ok: true, value: newer })
    // an honest node will not publish a bundle older than the one it holds
    const own = await putBundle(nodes[1] as TestNode, userOf(alice), older, opts())
    assert.deepEqual(own.ok ? 'accepted' : own.reason, 'stale')
    // anyone may replay the older (validly signed) bundle: honest servers refuse and keep the newer
    const replay = await putBundle(m, userOf(alice), older, opts())
    assert.deepEqual(replay.ok ? 'accepted' : replay.reason, 'refused')
    const got = await getBundle(d, userOf(alice), opts())
    assert.ok(got.ok)
    assert.deepEqual(got.value, newer)
  })

  test('getBundle of a key nobody stored ends with not-found or timeout within its bound', async () => {
    const nobody = makeDevice(suite)
    const got = await getBundle(d, userOf(nobody), { timeoutMs: 3000 })
    assert.equal(got.ok, false)
    assert.ok(!got.ok && (got.reason === 'not-found' || got.reason === 'timeout'))
  })

  test('bundle keys are the namespace prefix followed by the 16 raw user-id bytes', () => {
    const userId = new Uint8Array(16).fill(0x2f) // '/' bytes must not confuse the namespace
    const key = bundleKey(userId)
    assert.equal(new TextDecoder().decode(key.subarray(0, 13)), '/wren-bundle/')
    assert.deepEqual(userIdFromBundleKey(key), userId)
    assert.throws(() => bundleKey(new Uint8Array(15)), InvalidRecordError)
    assert.throws(() => userIdFromBundleKey(key.subarray(1)), InvalidRecordError)
  })
})

describe('bundle publisher service', () => {
  test('publishes on start, on publish(), and again after its interval', async () => {
    const alice = makeDevice(suite)
    let current: PublishedRecord = { userId: userOf(alice), bundle: encodePrekeyBundle(alice.bundle) }
    let reads = 0
    const nodes = await startTestNodes<{ publisher: BundlePublisher }>(3, {
      records: wrenRecordRules(rules),
      extraServices: (i) =>
        i === 0
          ? {
              publisher: bundlePublisher({
                currentRecord: async () => {
                  reads++
                  return current
                },
                republishIntervalMs: 300,
                // the WAN DHT never takes it here (loopback peers are LAN peers): its retries
                // back off from 100 ms to 200 ms
                retryMs: 100,
                retryMaxMs: 200,
              }),
            }
          : undefined,
    })
    try {
      const [a, , c] = nodes as [TestNode<{ publisher: BundlePublisher }>, TestNode, TestNode]
      const publisher = a.services.publisher
      await waitFor(() => publisher.lastResult?.ok === true, 'the start-up publish to succeed')
      const first = await getBundle(c, userOf(alice), opts())
      assert.ok(first.ok)
      assert.deepEqual(first.value, current.bundle)

      current = { userId: userOf(alice), bundle: encodePrekeyBundle(resigned(alice, NOW + 5000)) }
      const result = await publisher.publish()
      assert.equal(result?.ok, true)
      const second = await getBundle(c, userOf(alice), opts())
      assert.ok(second.ok)
      assert.deepEqual(second.value, current.bundle)

      const readsBefore = reads
      await waitFor(() => reads >= readsBefore + 2, 'two more publishes')
    } finally {
      await stopTestNodes(nodes)
    }
  })

  test('a DHT that does not take the bundle is retried alone, backing off, and sooner on a new connection', async () => {
    const alice = makeDevice(suite)
    const record: PublishedRecord = { userId: userOf(alice), bundle: encodePrekeyBundle(alice.bundle) }
    let reads = 0
    const nodes: TestNode[] = []
    try {
      // mDNS off: alone means alone (test nodes on one machine would find each other)
      const a = await startTestNode<{ publisher: BundlePublisher }>({
        records: wrenRecordRules(rules),
        mdns: false,
        extraServices: {
          publisher: bundlePublisher({
            currentRecord: async () => {
              reads++
              return record
            },
            retryMs: 40,
            retryMaxMs: 160,
          }),
        },
      })
      nodes.push(a)
      const publisher = a.services.publisher
      // alone, neither DHT has a peer: each publish fails, and the next waits twice as long, to the cap
      const delays: number[] = []
      let seen = publisher.lastPublishedAt
      await waitFor(() => {
        const at = publisher.lastPublishedAt
        if (at !== undefined && at !== seen && publisher.nextPublishAt !== undefined) {
          seen = at
          delays.push(publisher.nextPublishAt - at)
        }
        return delays.length >= 4
      }, 'four failed publishes')
      // the test sees the publishes from whenever its polling starts (the first may be over)
      const rounded = delays.map((d) =>
        d >= 40 && d < 60 ? 40 : d >= 80 && d < 100 ? 80 : d >= 160 && d < 180 ? 160 : d,
      )
      const doubling = [40, 80, 160, 160, 160, 160]
      const from = doubling.indexOf(rounded[0] as number)
      assert.ok(from >= 0, `first delay seen ${delays[0]} ms`)
      assert.deepEqual(rounded, doubling.slice(from, from + rounded.length))
      assert.equal(publisher.lastResults.lan?.ok, false)
      assert.equal(publisher.lastResults.wan?.ok, false)

      // a connection while the DHTs had no peers brings the retry forward (well before the 160 ms
      // cap); the LAN DHT then takes the bundle, and only the WAN DHT (loopback peers are not on
      // it) keeps being tried
      const b = await startTestNode({ records: wrenRecordRules(rules), mdns: false })
      nodes.push(b)
      await connectNodes(a, b)
      assert.ok((publisher.nextPublishAt ?? 0) - Date.now() <= 40, 'the retry is brought forward')
      await waitFor(() => publisher.lastResults.lan?.ok === true, 'the LAN DHT to take the bundle')
      const got = await getBundle(b, userOf(alice), opts())
      assert.ok(got.ok)
      const lan = publisher.lastResults.lan
      const readsBefore = reads
      await waitFor(() => reads >= readsBefore + 2, 'two more retries')
      assert.equal(publisher.lastResults.lan, lan, 'the LAN DHT, which has the bundle, is not put to again')
      assert.equal(publisher.lastResults.wan?.ok, false)
    } finally {
      await stopTestNodes(nodes)
    }
  })
})

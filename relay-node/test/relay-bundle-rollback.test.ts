/**
 * A real relay (in-process startRelay, its kad-dht server on loopback) receiving real PUT_VALUE
 * requests from a libp2p node: a newer bundle replaces an older one, and a replay of the older,
 * validly signed bundle is refused, so the relay keeps serving the newer one.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { userIdFromIdentityKey } from '../../core/src/identity.ts'
import { type PrekeyBundle, signPrekeyBundle } from '../../core/src/prekey-bundle.ts'
import { encodePrekeyBundle } from '../../core/src/prekey-bundle-codec.ts'
import { makeDevice, NOW, type TestDevice } from '../../core/test/identity-fixtures.ts'
import { BUNDLE_NAMESPACE } from '../../node/src/p2p/constants.ts'
import { getBundle, putBundle } from '../../node/src/p2p/dht-records.ts'
import {
  routingTableSize,
  startTestNode,
  stopTestNodes,
  type TestNode,
  waitFor,
} from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('relay-bundle-rollback')
/** The relay's clock: fixed, so the fixture bundles (dated NOW) are inside their validity window. */
const CLOCK = NOW + 60_000
/** Bound on every DHT operation in these tests. */
const OP_TIMEOUT_MS = 5000

/**
 * Stores and sends whatever it is given and lets every write replace the stored record: the
 * replaying peer (its own datastore must not stop it from sending the old bundle).
 */
const permissive = {
  validators: { [BUNDLE_NAMESPACE]: async () => {} },
  selectors: { [BUNDLE_NAMESPACE]: (_key: Uint8Array, values: Uint8Array[]) => values.length - 1 },
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

describe('a relay holding prekey bundles', () => {
  let relay: TestRelay
  let writer: TestNode | undefined

  before(async () => {
    relay = await startTestRelay({ clock: () => CLOCK })
    // the writer's only DHT peer is the relay: every put goes to it
    writer = await startTestNode({ records: permissive })
    await writer.dial(relay.multiaddrs, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
    const w = writer
    await waitFor(() => routingTableSize(w) >= 1, 'the relay in the routing table')
  })

  after(async () => {
    await stopTestNodes([writer])
    await relay?.stop()
  })

  test('refuses a PUT of an older, validly signed bundle and keeps serving the newer one', async () => {
    const alice = makeDevice(suite)
    const userId = userIdFromIdentityKey(suite, alice.identity.publicKey)
    const older = encodePrekeyBundle(alice.bundle)
    const newer = encodePrekeyBundle(resigned(alice, NOW + 1000))

    const w = writer as TestNode
    assert.deepEqual(await putBundle(w, userId, older, opts()), { ok: true, peers: 1 })
    assert.deepEqual(await putBundle(w, userId, newer, opts()), { ok: true, peers: 1 })
    const replay = await putBundle(w, userId, older, opts())
    assert.equal(replay.ok ? 'accepted' : replay.reason, 'refused')

    // what the relay itself holds: with the writer gone its lookup has only its own record
    await stopTestNodes([writer])
    writer = undefined
    const handle = relay.handle
    assert.ok(handle !== undefined)
    const got = await getBundle(handle.libp2p, userId, opts())
    assert.ok(got.ok, JSON.stringify(got))
    assert.deepEqual(got.value, newer)
  })
})

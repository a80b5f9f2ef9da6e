/**
 * A real relay (in-process startRelay, its kad-dht server on loopback) holding device lists
 * (issue 18): it accepts a signed `/wren-devices/<userId>` record, replaces it with a higher
 * version, refuses a replay of the lower, validly signed version and a forged one, and serves the
 * highest it holds.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { signDeviceCertificate } from '../../core/src/device-certificate.ts'
import { encodeDeviceList, signDeviceList } from '../../core/src/device-list.ts'
import { DEVICE_LIST_NAMESPACE } from '../../core/src/device-list-record.ts'
import {
  generateIdentityKeyPair,
  type IdentityKeyPair,
  userIdFromIdentityKey,
} from '../../core/src/identity.ts'
import { fakePeerId, NOW } from '../../core/test/identity-fixtures.ts'
import { getDeviceList, putDeviceList } from '../../node/src/p2p/device-list-records.ts'
import {
  routingTableSize,
  startTestNode,
  stopTestNodes,
  type TestNode,
  waitFor,
} from '../../test/fixtures/libp2p.ts'
import { startTestRelay, type TestRelay } from '../../test/fixtures/relay.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('relay-device-lists')
/** Bound on every DHT operation in these tests. */
const OP_TIMEOUT_MS = 5000

/** The writer stores and sends whatever it is given: the relay alone judges. */
const permissive = {
  validators: { [DEVICE_LIST_NAMESPACE]: async () => {} },
  selectors: { [DEVICE_LIST_NAMESPACE]: (_key: Uint8Array, values: Uint8Array[]) => values.length - 1 },
}

const opts = () => ({ signal: AbortSignal.timeout(OP_TIMEOUT_MS) })

function listOf(signer: IdentityKeyPair, userId: Uint8Array, listVersion: number): Uint8Array {
  const device = suite.ed25519Generate()
  const cert = signDeviceCertificate(suite, signer, {
    devicePeerId: fakePeerId(device.publicKey),
    deviceKey: device.publicKey,
    createdAt: NOW,
  })
  return encodeDeviceList(
    signDeviceList(suite, signer, {
      userId,
      succession: null,
      listVersion,
      devices: [cert],
      revocations: [],
      createdAt: NOW,
    }),
  )
}

describe('a relay holding device lists', () => {
  let relay: TestRelay
  let writer: TestNode | undefined

  before(async () => {
    relay = await startTestRelay({})
    writer = await startTestNode({ records: permissive })
    await writer.dial(relay.multiaddrs, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) })
    const w = writer
    await waitFor(() => routingTableSize(w) >= 1, 'the relay in the routing table')
  })

  after(async () => {
    await stopTestNodes([writer])
    await relay?.stop()
  })

  test('accepts a list, takes a higher version, refuses a rollback and a forgery, serves the highest', async () => {
    const alice = generateIdentityKeyPair(suite)
    const userId = userIdFromIdentityKey(suite, alice.publicKey)
    const v1 = listOf(alice, userId, 1)
    const v2 = listOf(alice, userId, 2)
    const forged = listOf(generateIdentityKeyPair(suite), userId, 7)

    const w = writer as TestNode
    assert.deepEqual(await putDeviceList(w, userId, v1, opts()), { ok: true, peers: 1 })
    assert.deepEqual(await putDeviceList(w, userId, v2, opts()), { ok: true, peers: 1 })
    const replay = await putDeviceList(w, userId, v1, opts())
    assert.equal(replay.ok ? 'accepted' : replay.reason, 'refused')
    const forgery = await putDeviceList(w, userId, forged, opts())
    assert.equal(forgery.ok ? 'accepted' : forgery.reason, 'refused')

    await stopTestNodes([writer])
    writer = undefined
    const handle = relay.handle
    assert.ok(handle !== undefined)
    const got = await getDeviceList(handle.libp2p, userId, opts())
    assert.ok(got.ok, JSON.stringify(got))
    assert.deepEqual(got.value, v2)
  })
})

/**
 * Device lists read back from a real DHT (issue 18, node/src/devices/device-list-refresh.ts): two
 * real libp2p hosts with the device-list validator and selector; one puts lists, the other reads
 * them. A contact's older list found in the DHT is refused as a rollback and the pinned one stays;
 * a newer one is pinned (also through a session error). Our own list: an older one is refused, a
 * newer one that adds a device is adopted (stored, not pushed again), a newer one that revokes
 * this device locks it.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { bytesEqual } from '../../core/src/bytes.ts'
import { type DeviceCertificate, signDeviceCertificate } from '../../core/src/device-certificate.ts'
import {
  type DeviceList,
  decodeDeviceList,
  encodeDeviceList,
  signDeviceList,
} from '../../core/src/device-list.ts'
import {
  formatUserId,
  generateIdentityKeyPair,
  type IdentityKeyPair,
  userIdFromIdentityKey,
} from '../../core/src/identity.ts'
import { fakePeerId, NOW } from '../../core/test/identity-fixtures.ts'
import { startTestNodes, stopTestNodes, type TestNode } from '../../test/fixtures/libp2p.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { ContactDeviceLists } from '../src/devices/contact-device-lists.ts'
import { DeviceListRefresh, ownListOutcome } from '../src/devices/device-list-refresh.ts'
import { adoptOwnDeviceList, type OwnDeviceList, readOwnDeviceList } from '../src/devices/own-device-list.ts'
import { silentLogger } from '../src/log.ts'
import type { ContactRecord } from '../src/messaging/records.ts'
import { deviceListRecordRules, putDeviceList } from '../src/p2p/device-list-records.ts'
import { wrenRecordRules } from '../src/p2p/dht-records.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = seededSuite('device-list-refresh')
/** Bound on every DHT put in these tests. */
const OP_TIMEOUT_MS = 5000

interface User {
  readonly identity: IdentityKeyPair
  readonly userId: Uint8Array
  readonly certs: DeviceCertificate[]
  readonly deviceKeys: Uint8Array[]
}

function user(devices: number): User {
  const identity = generateIdentityKeyPair(suite)
  const deviceKeys = Array.from({ length: devices }, () => suite.ed25519Generate().publicKey)
  const certs = deviceKeys.map((deviceKey, i) =>
    signDeviceCertificate(suite, identity, {
      devicePeerId: fakePeerId(deviceKey),
      deviceKey,
      createdAt: NOW + i,
    }),
  )
  return { identity, userId: userIdFromIdentityKey(suite, identity.publicKey), certs, deviceKeys }
}

function listOf(u: User, listVersion: number, devices: number[], revoked: number[] = []): Uint8Array {
  return encodeDeviceList(
    signDeviceList(suite, u.identity, {
      userId: u.userId,
      succession: null,
      listVersion,
      devices: devices.map((i) => u.certs[i] as DeviceCertificate),
      revocations: revoked.map((i) => ({ deviceKey: u.deviceKeys[i] as Uint8Array, revokedAt: NOW + 10 })),
      createdAt: NOW + listVersion,
    }),
  )
}

describe('device lists read back from the DHT', () => {
  let nodes: TestNode[] = []
  let dir = ''
  let store: SealedStore
  const rules = wrenRecordRules(
    {
      validateBundleRecord: () => {
        throw new Error('no bundles in this test')
      },
      selectNewestBundle: () => 0,
    },
    deviceListRecordRules(suite),
  )

  before(async () => {
    nodes = await startTestNodes(2, { records: rules })
    dir = await mkdtemp(join(tmpdir(), 'wren-list-refresh-'))
    store = await SealedStore.open(join(dir, 'store'), suite.randomBytes(32))
  })
  after(async () => {
    await store?.close()
    await stopTestNodes(nodes)
    if (dir !== '') await rm(dir, { recursive: true, force: true })
  })

  test("a contact's older list in the DHT is refused and the pinned one stays; a newer one is pinned, also on a session error", async () => {
    const [publisher, reader] = nodes as [TestNode, TestNode]
    const carol = user(3)
    const carolId = formatUserId(carol.userId)
    const pinned = decodeDeviceList(listOf(carol, 5, [0, 1]))
    let record: ContactRecord = {
      userId: carolId,
      displayName: 'Carol',
      identityKey: carol.identity.publicKey,
      verified: false,
      keyChanged: false,
      pendingIdentityKey: null,
      addedAt: NOW,
      devicePeerId: null,
      addrs: [],
      deviceList: {
        version: 5,
        devices: pinned.devices.map((d) => ({ ...d })),
        revoked: [],
        checkedAt: 0,
      },
    }
    const changes: string[] = []
    const pinnedVersion = (): number | undefined => record.deviceList?.version
    const contacts = new ContactDeviceLists({
      suite,
      libp2p: reader,
      getContact: async (id) => (id === carolId ? record : undefined),
      updateContact: async (id, change) => {
        if (id !== carolId) return null
        const next = change(record)
        if (next !== null) record = next
        return next
      },
      onPinned: async (_id, change) => void changes.push(JSON.stringify(change)),
      log: silentLogger,
      now: () => NOW,
    })
    try {
      assert.equal(
        (await putDeviceList(publisher, carol.userId, listOf(carol, 4, [0]), { timeoutMs: OP_TIMEOUT_MS }))
          .ok,
        true,
      )
      assert.equal(await contacts.refresh(carolId, true), 'rollback')
      assert.equal(record.deviceList?.version, 5)
      assert.equal(record.deviceList?.devices.length, 2)
      assert.deepEqual(changes, [])
      // a newer list, found on a session error (not on the schedule: the list was read just now)
      await putDeviceList(publisher, carol.userId, listOf(carol, 6, [0, 2], [1]), {
        timeoutMs: OP_TIMEOUT_MS,
      })
      const refresh = new DeviceListRefresh({
        suite,
        libp2p: reader,
        userId: suite.randomBytes(16),
        deviceKey: suite.randomBytes(32),
        store,
        own: { current: undefined as unknown as OwnDeviceList },
        contacts,
        listContacts: async () => [record],
        onRevoked: () => assert.fail('not ours'),
        log: silentLogger,
        now: () => NOW,
      })
      refresh.sessionError(carolId)
      // the refresh runs in the background: wait (bounded) for its pin
      const deadline = Date.now() + OP_TIMEOUT_MS
      while (pinnedVersion() !== 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
      assert.equal(pinnedVersion(), 6)
      assert.ok(
        bytesEqual(record.deviceList?.revoked[0] ?? new Uint8Array(0), carol.deviceKeys[1] as Uint8Array),
      )
      assert.deepEqual(changes, [JSON.stringify({ added: true, revoked: true })])
      refresh.stop()
    } finally {
      contacts.stop()
    }
  })

  test('our own list: an older one is refused, a newer one with a device added is adopted, one revoking this device locks it', async () => {
    const [publisher, reader] = nodes as [TestNode, TestNode]
    const me = user(3)
    // this device is device 1; it holds version 2 (devices 0 and 1)
    const v2 = listOf(me, 2, [0, 1])
    await adoptOwnDeviceList(store, v2)
    const own = {
      current: {
        list: decodeDeviceList(v2),
        bytes: v2,
        certificate: me.certs[1] as DeviceCertificate,
        pushedVersion: 2,
      },
    }
    let revoked = 0
    const refresh = new DeviceListRefresh({
      suite,
      libp2p: reader,
      userId: me.userId,
      deviceKey: me.deviceKeys[1] as Uint8Array,
      store,
      own,
      contacts: new ContactDeviceLists({
        suite,
        libp2p: reader,
        getContact: async () => undefined,
        updateContact: async () => null,
        log: silentLogger,
        now: () => NOW,
      }),
      listContacts: async () => [],
      onRevoked: () => void revoked++,
      log: silentLogger,
      now: () => NOW,
    })
    try {
      await putDeviceList(publisher, me.userId, listOf(me, 1, [0]), { timeoutMs: OP_TIMEOUT_MS })
      assert.equal(await refresh.refreshOwn(), 'rollback')
      assert.equal(own.current.list.listVersion, 2)
      assert.ok(bytesEqual((await readOwnDeviceList(store))?.list ?? new Uint8Array(0), v2))

      const v3 = listOf(me, 3, [0, 1, 2])
      await putDeviceList(publisher, me.userId, v3, { timeoutMs: OP_TIMEOUT_MS })
      assert.equal(await refresh.refreshOwn(), 'adopted')
      assert.equal(own.current.list.listVersion, 3)
      assert.equal(own.current.list.devices.length, 3)
      const stored = await readOwnDeviceList(store)
      assert.ok(bytesEqual(stored?.list ?? new Uint8Array(0), v3))
      assert.equal(stored?.pushedVersion, 3)
      assert.equal(revoked, 0)
      // the sweep reads it too, and finds nothing new
      await refresh.sweep()
      assert.equal(own.current.list.listVersion, 3)

      await putDeviceList(publisher, me.userId, listOf(me, 4, [0, 2], [1]), { timeoutMs: OP_TIMEOUT_MS })
      assert.equal(await refresh.refreshOwn(), 'revoked')
      assert.equal(revoked, 1)
      assert.equal(own.current.list.listVersion, 3)
    } finally {
      refresh.stop()
    }
  })

  test('the own-list rule, pure: rollback, unchanged, revoked, not listed, another identity key', () => {
    const me = user(2)
    const list = (bytes: Uint8Array): DeviceList => decodeDeviceList(bytes)
    const current = list(listOf(me, 3, [0, 1]))
    const mine = me.deviceKeys[1] as Uint8Array
    assert.equal(ownListOutcome(current, list(listOf(me, 2, [0, 1])), mine), 'rollback')
    assert.equal(ownListOutcome(current, list(listOf(me, 3, [0, 1])), mine), 'unchanged')
    assert.equal(ownListOutcome(current, list(listOf(me, 4, [0, 1])), mine), 'adopted')
    assert.equal(ownListOutcome(current, list(listOf(me, 4, [0], [1])), mine), 'revoked')
    assert.equal(ownListOutcome(current, list(listOf(me, 4, [0])), mine), 'not-listed')
    const other = { ...me, identity: generateIdentityKeyPair(suite) }
    assert.equal(ownListOutcome(current, list(listOf(other, 4, [0, 1])), mine), 'other-key')
  })
})

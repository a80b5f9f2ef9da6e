/**
 * Device lists (issue 18): signing and verification, the canonical codec with its caps, the DHT
 * record's selector (highest valid version wins) and the contacts' pin rule (rollback refused),
 * plus the decoder under fuzzing.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import type { CryptoSuite } from '../src/crypto/suite.ts'
import { signDeviceCertificate } from '../src/device-certificate.ts'
import {
  type DeviceList,
  decodeDeviceList,
  encodeDeviceList,
  MAX_DEVICE_LIST_BYTES,
  MAX_LIST_DEVICES,
  signDeviceList,
  verifyDeviceList,
} from '../src/device-list.ts'
import {
  checkDeviceListRecord,
  checkNotRolledBack,
  deviceListRecordKey,
  highestDeviceListIndex,
  userIdOfDeviceListKey,
} from '../src/device-list-record.ts'
import { DecodeError, InvalidSignatureError, StaleRecordError, TooLargeError } from '../src/errors.ts'
import { generateIdentityKeyPair, type IdentityKeyPair, userIdFromIdentityKey } from '../src/identity.ts'
import { signIdentitySuccession } from '../src/identity-succession.ts'
import { fakePeerId, NOW } from './identity-fixtures.ts'

function certFor(suite: CryptoSuite, identity: IdentityKeyPair, createdAt = NOW) {
  const device = suite.ed25519Generate()
  return signDeviceCertificate(suite, identity, {
    devicePeerId: fakePeerId(device.publicKey),
    deviceKey: device.publicKey,
    createdAt,
  })
}

function user(seed: string) {
  const suite = seededSuite(seed)
  const identity = generateIdentityKeyPair(suite)
  const userId = userIdFromIdentityKey(suite, identity.publicKey)
  const first = certFor(suite, identity)
  const list = (listVersion: number, extra: DeviceList['devices'] = [], createdAt = NOW) =>
    signDeviceList(suite, identity, {
      userId,
      succession: null,
      listVersion,
      devices: [first, ...extra],
      revocations: [],
      createdAt,
    })
  return { suite, identity, userId, first, list }
}

describe('device list', () => {
  test('a signed list round-trips through the codec and verifies for its user only', () => {
    const alice = user('dl-roundtrip')
    const second = certFor(alice.suite, alice.identity, NOW + 5)
    const list = alice.list(2, [second])
    const decoded = decodeDeviceList(encodeDeviceList(list))
    assert.equal(decoded.listVersion, 2)
    assert.equal(decoded.devices.length, 2)
    verifyDeviceList(alice.suite, decoded, alice.userId)
    const bob = user('dl-roundtrip-bob')
    assert.throws(() => verifyDeviceList(alice.suite, decoded, bob.userId), InvalidSignatureError)
  })

  test('a changed version, a foreign certificate or a bad signature is refused', () => {
    const alice = user('dl-tamper')
    const list = alice.list(3)
    assert.throws(
      () => verifyDeviceList(alice.suite, { ...list, listVersion: 4 }, alice.userId),
      InvalidSignatureError,
    )
    const mallory = generateIdentityKeyPair(alice.suite)
    const foreign = signDeviceList(alice.suite, alice.identity, {
      userId: alice.userId,
      succession: null,
      listVersion: 1,
      devices: [certFor(alice.suite, mallory)],
      revocations: [],
      createdAt: NOW,
    })
    assert.throws(() => verifyDeviceList(alice.suite, foreign, alice.userId), InvalidSignatureError)
    const forged = signDeviceList(alice.suite, mallory, {
      userId: alice.userId,
      succession: null,
      listVersion: 9,
      devices: [certFor(alice.suite, mallory)],
      revocations: [],
      createdAt: NOW,
    })
    assert.throws(() => verifyDeviceList(alice.suite, forged, alice.userId), InvalidSignatureError)
  })

  test('after identity rotation a list signed by the new key verifies with the succession proof', () => {
    const alice = user('dl-rotation')
    const next = generateIdentityKeyPair(alice.suite)
    const succession = signIdentitySuccession(alice.suite, alice.identity, next.publicKey)
    const list = signDeviceList(alice.suite, next, {
      userId: alice.userId,
      succession,
      listVersion: 5,
      devices: [certFor(alice.suite, next)],
      revocations: [],
      createdAt: NOW,
    })
    verifyDeviceList(alice.suite, decodeDeviceList(encodeDeviceList(list)), alice.userId)
  })

  test('shape rules: at least one device, no key twice, listed and revoked exclusive, caps', () => {
    const alice = user('dl-shape')
    const sign = (fields: Partial<Parameters<typeof signDeviceList>[2]>) =>
      signDeviceList(alice.suite, alice.identity, {
        userId: alice.userId,
        succession: null,
        listVersion: 1,
        devices: [alice.first],
        revocations: [],
        createdAt: NOW,
        ...fields,
      })
    assert.throws(() => sign({ devices: [] }), DecodeError)
    assert.throws(() => sign({ listVersion: 0 }), DecodeError)
    assert.throws(() => sign({ devices: [alice.first, alice.first] }), DecodeError)
    assert.throws(
      () => sign({ revocations: [{ deviceKey: alice.first.deviceKey, revokedAt: NOW }] }),
      DecodeError,
    )
    const many = Array.from({ length: MAX_LIST_DEVICES + 1 }, () => certFor(alice.suite, alice.identity))
    assert.throws(() => sign({ devices: many }), DecodeError)
    const full = sign({ devices: many.slice(0, MAX_LIST_DEVICES) })
    assert.ok(encodeDeviceList(full).length < MAX_DEVICE_LIST_BYTES)
  })

  test('the record key carries the raw user id; a value over the cap is refused before parsing', () => {
    const alice = user('dl-key')
    const key = deviceListRecordKey(alice.userId)
    assert.deepEqual(userIdOfDeviceListKey(key), alice.userId)
    assert.throws(() => userIdOfDeviceListKey(key.subarray(1)), DecodeError)
    assert.throws(
      () => checkDeviceListRecord(alice.suite, alice.userId, new Uint8Array(MAX_DEVICE_LIST_BYTES + 1)),
      TooLargeError,
    )
  })

  test('the selector keeps the highest valid version, whatever the order, and never an invalid one', () => {
    const alice = user('dl-select')
    const key = deviceListRecordKey(alice.userId)
    const v1 = encodeDeviceList(alice.list(1))
    const v2 = encodeDeviceList(alice.list(2))
    const v3 = encodeDeviceList(alice.list(3))
    assert.equal(highestDeviceListIndex(alice.suite, key, [v1, v3, v2]), 1)
    assert.equal(highestDeviceListIndex(alice.suite, key, [v3, v1]), 0)
    // a forged v9 (wrong key) loses to the genuine v2
    const mallory = generateIdentityKeyPair(alice.suite)
    const forged = encodeDeviceList(
      signDeviceList(alice.suite, mallory, {
        userId: alice.userId,
        succession: null,
        listVersion: 9,
        devices: [certFor(alice.suite, mallory)],
        revocations: [],
        createdAt: NOW,
      }),
    )
    assert.equal(highestDeviceListIndex(alice.suite, key, [forged, v2]), 1)
    // same version: the later one wins
    const v2later = encodeDeviceList(alice.list(2, [], NOW + 1000))
    assert.equal(highestDeviceListIndex(alice.suite, key, [v2, v2later]), 1)
  })

  test('a contact that pinned version 3 refuses version 2 (rollback) and accepts 3 and 4', () => {
    const alice = user('dl-pin')
    assert.throws(() => checkNotRolledBack(3, alice.list(2)), StaleRecordError)
    checkNotRolledBack(3, alice.list(3))
    checkNotRolledBack(3, alice.list(4))
    checkNotRolledBack(undefined, alice.list(1))
  })

  test('the decoder under fuzzing throws only typed errors and rejects every mutation', () => {
    const alice = user('dl-fuzz')
    const sample = encodeDeviceList(alice.list(2, [certFor(alice.suite, alice.identity)]))
    const result = fuzzDecoder(decodeDeviceList, { seed: 'device-list', samples: [sample], runs: 400 })
    assert.ok(result.rejected > 400)
    // no mutation of a signed list passes the full record check
    let passed = 0
    for (let i = 0; i < sample.length; i++) {
      const mutated = sample.slice()
      mutated[i] = (mutated[i] as number) ^ 0x01
      try {
        checkDeviceListRecord(alice.suite, alice.userId, mutated)
        passed++
      } catch (err) {
        assert.ok(err instanceof Error && /Error$/.test(err.name))
      }
    }
    assert.equal(passed, 0)
  })
})

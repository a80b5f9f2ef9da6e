/**
 * Which session a contact's device speaks through (node/src/messaging/device-slots.ts) and which
 * devices get copies, as a contact's pinned device list changes (issue 18): a second listed device
 * has a slot of its own, a revoked one gets nothing and stays revoked when an older list (a
 * rollback) shows it again, and the revocation notice (devices/revocation-notice.ts) is accepted
 * only for a newer list of the same identity that revokes this very device.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { signDeviceCertificate } from '../../core/src/device-certificate.ts'
import { encodeDeviceList, signDeviceList } from '../../core/src/device-list.ts'
import { formatUserId, generateIdentityKeyPair, userIdFromIdentityKey } from '../../core/src/identity.ts'
import { fakePeerId, NOW } from '../../core/test/identity-fixtures.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { pinnedContact } from '../src/devices/contact-device-lists.ts'
import { revokesDevice } from '../src/devices/revocation-notice.ts'
import {
  deviceSlot,
  isDeviceSlot,
  otherDevices,
  parseDeviceSlot,
  sessionKeyFor,
} from '../src/messaging/device-slots.ts'
import type { ContactRecord } from '../src/messaging/records.ts'

const suite = seededSuite('device-slots')
const identity = generateIdentityKeyPair(suite)
const userId = userIdFromIdentityKey(suite, identity.publicKey)
const user = formatUserId(userId)
const [first, second, stranger] = [suite.ed25519Generate(), suite.ed25519Generate(), suite.ed25519Generate()]
const certOf = (key: Uint8Array, signer = identity) =>
  signDeviceCertificate(suite, signer, { devicePeerId: fakePeerId(key), deviceKey: key, createdAt: NOW })
const v2 = signDeviceList(suite, identity, {
  userId,
  succession: null,
  listVersion: 2,
  devices: [certOf(first.publicKey), certOf(second.publicKey)],
  revocations: [],
  createdAt: NOW,
})
const v3 = signDeviceList(suite, identity, {
  userId,
  succession: null,
  listVersion: 3,
  devices: [certOf(first.publicKey)],
  revocations: [{ deviceKey: second.publicKey, revokedAt: NOW + 1 }],
  createdAt: NOW + 1,
})
const contact: ContactRecord = {
  userId: user,
  displayName: 'Alice',
  identityKey: identity.publicKey,
  verified: false,
  keyChanged: false,
  pendingIdentityKey: null,
  addedAt: NOW,
  devicePeerId: null,
  addrs: [],
}

describe('device slots of a contact', () => {
  test('a slot names its user and device, and a user id is no slot', () => {
    const slot = deviceSlot(user, second.publicKey)
    assert.ok(isDeviceSlot(slot))
    assert.ok(!isDeviceSlot(user))
    assert.equal(parseDeviceSlot(user), null)
    const parsed = parseDeviceSlot(slot)
    assert.equal(parsed?.userId, user)
    assert.deepEqual(parsed?.deviceKey, second.publicKey)
  })

  test('with two listed devices the second has its own slot and gets copies', () => {
    const pinned = pinnedContact(contact, v2, NOW).contact
    assert.deepEqual(
      otherDevices(pinned, first.publicKey).map((d) => d.deviceKey),
      [second.publicKey],
    )
    assert.equal(sessionKeyFor(pinned, user, first.publicKey, first.publicKey), user)
    assert.equal(
      sessionKeyFor(pinned, user, first.publicKey, second.publicKey),
      deviceSlot(user, second.publicKey),
    )
    // a device not on the list (a restored profile before its list arrives) takes the main session
    assert.equal(sessionKeyFor(pinned, user, first.publicKey, stranger.publicKey), user)
    // no list pinned yet: one session per contact, as before issue 18
    assert.deepEqual(otherDevices(contact, first.publicKey), [])
    assert.equal(sessionKeyFor(contact, user, first.publicKey, second.publicKey), user)
  })

  test('a revoked device gets no copies, and a rolled-back list does not bring it back', () => {
    const atV2 = pinnedContact(contact, v2, NOW).contact
    const atV3 = pinnedContact(atV2, v3, NOW + 1)
    assert.equal(atV3.outcome, 'pinned')
    assert.deepEqual(otherDevices(atV3.contact, first.publicKey), [])
    const rolledBack = pinnedContact(atV3.contact, v2, NOW + 2)
    assert.equal(rolledBack.outcome, 'rollback')
    assert.deepEqual(rolledBack.contact.deviceList?.revoked, [second.publicKey])
    assert.deepEqual(otherDevices(rolledBack.contact, first.publicKey), [])
  })

  test('a revocation notice counts only for a newer list of the same identity revoking this device', () => {
    const bytes = encodeDeviceList(v3)
    assert.equal(revokesDevice(suite, userId, v2, second.publicKey, bytes), true)
    assert.equal(revokesDevice(suite, userId, v2, first.publicKey, bytes), false)
    assert.equal(revokesDevice(suite, userId, v3, second.publicKey, bytes), false)
    assert.equal(revokesDevice(suite, userId, v2, second.publicKey, encodeDeviceList(v2)), false)
    const other = generateIdentityKeyPair(suite)
    const forged = signDeviceList(suite, other, {
      userId,
      succession: null,
      listVersion: 9,
      devices: [certOf(first.publicKey, other)],
      revocations: [{ deviceKey: second.publicKey, revokedAt: NOW }],
      createdAt: NOW,
    })
    assert.equal(revokesDevice(suite, userId, v2, second.publicKey, encodeDeviceList(forged)), false)
    assert.equal(revokesDevice(suite, userId, v2, second.publicKey, suite.randomBytes(200)), false)
  })
})

/**
 * The pin rule a contact's daemon applies to the device lists it reads (node/src/devices): the
 * highest version seen is pinned in the contact record, a lower one later is a rollback and
 * leaves the record as it was, and a list under another identity key is not pinned.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { signDeviceCertificate } from '../../core/src/device-certificate.ts'
import { signDeviceList } from '../../core/src/device-list.ts'
import { formatUserId, generateIdentityKeyPair, userIdFromIdentityKey } from '../../core/src/identity.ts'
import { fakePeerId, NOW } from '../../core/test/identity-fixtures.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { deviceListChange, pinnedContact } from '../src/devices/contact-device-lists.ts'
import type { ContactRecord } from '../src/messaging/records.ts'

const suite = seededSuite('contact-device-lists')
const identity = generateIdentityKeyPair(suite)
const userId = userIdFromIdentityKey(suite, identity.publicKey)
const device = suite.ed25519Generate()
const cert = signDeviceCertificate(suite, identity, {
  devicePeerId: fakePeerId(device.publicKey),
  deviceKey: device.publicKey,
  createdAt: NOW,
})
const list = (listVersion: number, signer = identity) =>
  signDeviceList(suite, signer, {
    userId,
    succession: null,
    listVersion,
    devices: [signer === identity ? cert : signDeviceCertificate(suite, signer, { ...cert })],
    revocations: [],
    createdAt: NOW,
  })
const contact: ContactRecord = {
  userId: formatUserId(userId),
  displayName: 'Alice',
  identityKey: identity.publicKey,
  verified: false,
  keyChanged: false,
  pendingIdentityKey: null,
  addedAt: NOW,
  devicePeerId: null,
  addrs: [],
}

describe('pinning a contact device list', () => {
  test('the highest version is pinned; a lower one later is refused as a rollback', () => {
    const v3 = pinnedContact(contact, list(3), NOW)
    assert.equal(v3.outcome, 'pinned')
    assert.equal(v3.contact.deviceList?.version, 3)
    const v2 = pinnedContact(v3.contact, list(2), NOW + 1)
    assert.equal(v2.outcome, 'rollback')
    assert.equal(v2.contact.deviceList?.version, 3)
    assert.equal(pinnedContact(v3.contact, list(3), NOW + 2).outcome, 'unchanged')
    assert.equal(pinnedContact(v3.contact, list(4), NOW + 3).contact.deviceList?.version, 4)
  })

  test('a list signed by another identity key than the pinned one is not pinned', () => {
    const other = generateIdentityKeyPair(suite)
    const result = pinnedContact(contact, list(9, other), NOW)
    assert.equal(result.outcome, 'other-key')
    assert.equal(result.contact.deviceList, undefined)
  })

  test('what a newer list changed: a device added, a device revoked (what the groups rekey on)', () => {
    const second = suite.ed25519Generate()
    const cert2 = signDeviceCertificate(suite, identity, {
      devicePeerId: fakePeerId(second.publicKey),
      deviceKey: second.publicKey,
      createdAt: NOW + 1,
    })
    const signed = (listVersion: number, devices: (typeof cert)[], revoked: Uint8Array[]) =>
      signDeviceList(suite, identity, {
        userId,
        succession: null,
        listVersion,
        devices,
        revocations: revoked.map((deviceKey) => ({ deviceKey, revokedAt: NOW + 2 })),
        createdAt: NOW,
      })
    const v1 = pinnedContact(contact, signed(1, [cert], []), NOW).contact
    const v2 = pinnedContact(v1, signed(2, [cert, cert2], []), NOW).contact
    const v3 = pinnedContact(v2, signed(3, [cert], [second.publicKey]), NOW).contact
    // the first list pinned: one device is the one already spoken with, two add one
    assert.deepEqual(deviceListChange(undefined, signed(1, [cert], [])), { added: false, revoked: false })
    assert.deepEqual(deviceListChange(undefined, signed(2, [cert, cert2], [])), {
      added: true,
      revoked: false,
    })
    assert.deepEqual(deviceListChange(v1.deviceList, signed(2, [cert, cert2], [])), {
      added: true,
      revoked: false,
    })
    assert.deepEqual(deviceListChange(v2.deviceList, signed(3, [cert], [second.publicKey])), {
      added: false,
      revoked: true,
    })
    // a revocation already pinned is no new one
    assert.deepEqual(deviceListChange(v3.deviceList, signed(4, [cert], [second.publicKey])), {
      added: false,
      revoked: false,
    })
    // a first list that revokes a device counts as revoking (it may be the one spoken with)
    assert.deepEqual(deviceListChange(undefined, signed(3, [cert], [second.publicKey])).revoked, true)
  })
})

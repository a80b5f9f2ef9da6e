import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MAX_BUNDLE_BYTES } from '../../core/src/constants.ts'
import { userIdFromIdentityKey } from '../../core/src/identity.ts'
import { encodePrekeyBundle } from '../../core/src/prekey-bundle-codec.ts'
import { makeDevice, NOW } from '../../core/test/identity-fixtures.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'
import {
  BUNDLE_NAMESPACE,
  bundleRecordRules,
  InvalidBundleRecordError,
  selectNewestBundle,
} from '../src/bundle-records.ts'

const suite = seededSuite('relay-bundle-records')
const rules = bundleRecordRules(suite, () => NOW)
const validate = rules.validators[BUNDLE_NAMESPACE] as (key: Uint8Array, value: Uint8Array) => Promise<void>
const device = makeDevice(suite)
const userId = userIdFromIdentityKey(suite, device.identity.publicKey)
const value = encodePrekeyBundle(device.bundle)

function keyFor(id: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`/${BUNDLE_NAMESPACE}/`)
  const key = new Uint8Array(prefix.length + id.length)
  key.set(prefix)
  key.set(id, prefix.length)
  return key
}

async function refused(key: Uint8Array, bytes: Uint8Array): Promise<void> {
  await assert.rejects(validate(key, bytes), InvalidBundleRecordError)
}

describe('relay DHT rules for prekey bundles', () => {
  test('a signed bundle under its own user id is accepted', async () => {
    await validate(keyFor(userId), value)
  })

  test('a bundle under another user id, a malformed key, or an oversized value is refused', async () => {
    const other = userId.slice()
    other[0] = (other[0] ?? 0) ^ 1
    await refused(keyFor(other), value)
    await refused(keyFor(userId.slice(0, 15)), value)
    await refused(new TextEncoder().encode('/wren-bundlX/0123456789abcdef'), value)
    await refused(keyFor(userId), new Uint8Array(MAX_BUNDLE_BYTES + 1))
  })

  test('a bundle outside its validity window is refused', async () => {
    const stale = bundleRecordRules(suite, () => NOW + 365 * 24 * 3600 * 1000).validators[BUNDLE_NAMESPACE]
    await assert.rejects((stale as typeof validate)(keyFor(userId), value), InvalidBundleRecordError)
  })

  test('fuzz: random, truncated and bit-flipped values give only InvalidBundleRecordError', async () => {
    const random = seededRandom('relay-bundle-fuzz')
    const key = keyFor(userId)
    for (let i = 0; i < 200; i++) {
      const length = (random(2)[0] ?? 0) * 8 + ((random(1)[0] ?? 0) % 8)
      await refused(key, random(length))
    }
    for (let cut = 0; cut < value.length; cut += 97) await refused(key, value.subarray(0, cut))
    for (let i = 0; i < 100; i++) {
      const flipped = value.slice()
      const at = ((random(1)[0] ?? 0) * 256 + (random(1)[0] ?? 0)) % flipped.length
      flipped[at] = (flipped[at] ?? 0) ^ (1 << ((random(1)[0] ?? 0) % 8))
      await refused(key, flipped)
    }
  })

  test('the selector keeps the newest bundle and never an undecodable value', () => {
    const older = encodePrekeyBundle(makeDevice(suite, NOW - 1000).bundle)
    const key = keyFor(userId)
    assert.equal(selectNewestBundle(key, [older, value]), 1)
    assert.equal(selectNewestBundle(key, [value, older]), 0)
    assert.equal(selectNewestBundle(key, [Uint8Array.of(1, 2, 3), older]), 1)
  })
})

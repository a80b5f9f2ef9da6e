/**
 * The sealed queue of a locked profile (core/src/locked-queue.ts): items open with the key pair
 * derived from the device key seed and with nothing else; an altered item, another version or a
 * short or oversized one is refused with a typed error; fuzzed bytes never open.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededSuite } from '../../test/fixtures/seeded-random.ts'
import { DecodeError, TooLargeError, UnsupportedVersionError } from '../src/errors.ts'
import {
  LOCKED_QUEUE_VERSION,
  lockedQueueKeyPair,
  MAX_LOCKED_QUEUE_ITEM_BYTES,
  MAX_LOCKED_QUEUE_PLAINTEXT_BYTES,
  openLockedQueueItem,
  sealToLockedQueue,
} from '../src/locked-queue.ts'

const suite = seededSuite('locked-queue')
const seed = suite.randomBytes(32)
const queue = lockedQueueKeyPair(suite, seed)
const envelope = suite.randomBytes(1200)

describe('locked queue', () => {
  test('the key pair follows from the device key seed; an item opens with it and reveals nothing', () => {
    assert.deepEqual(lockedQueueKeyPair(suite, seed), queue)
    const item = sealToLockedQueue(suite, queue.publicKey, envelope)
    assert.equal(item[0], LOCKED_QUEUE_VERSION)
    assert.equal(Buffer.from(item).indexOf(Buffer.from(envelope.subarray(0, 16))), -1)
    assert.deepEqual(openLockedQueueItem(suite, queue, item), envelope)
    const again = sealToLockedQueue(suite, queue.publicKey, envelope)
    assert.notDeepEqual(again, item, 'a fresh ephemeral key per item')
  })

  test('another key, an altered byte, another version, short or oversized items are refused', () => {
    const item = sealToLockedQueue(suite, queue.publicKey, envelope)
    const other = lockedQueueKeyPair(suite, suite.randomBytes(32))
    assert.throws(() => openLockedQueueItem(suite, other, item), DecodeError)
    for (const at of [1, 20, 40, item.length - 1]) {
      const altered = item.slice()
      altered[at] = (altered[at] as number) ^ 1
      assert.throws(() => openLockedQueueItem(suite, queue, altered), DecodeError, `byte ${at}`)
    }
    const versioned = item.slice()
    versioned[0] = 2
    assert.throws(() => openLockedQueueItem(suite, queue, versioned), UnsupportedVersionError)
    assert.throws(() => openLockedQueueItem(suite, queue, item.subarray(0, 40)), DecodeError)
    assert.throws(
      () => openLockedQueueItem(suite, queue, new Uint8Array(MAX_LOCKED_QUEUE_ITEM_BYTES + 1)),
      DecodeError,
    )
    assert.throws(
      () => sealToLockedQueue(suite, queue.publicKey, new Uint8Array(MAX_LOCKED_QUEUE_PLAINTEXT_BYTES + 1)),
      TooLargeError,
    )
  })

  test('random, truncated and mutated items give only typed errors and never open', () => {
    const item = sealToLockedQueue(suite, queue.publicKey, envelope)
    const result = fuzzDecoder((bytes) => openLockedQueueItem(suite, queue, bytes), {
      seed: 'locked-queue',
      runs: 300,
      samples: [item],
    })
    assert.ok(result.rejected > 0)
    assert.equal(result.accepted, 0)
  })
})

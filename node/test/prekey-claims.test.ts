import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { generateIdentityKeyPair } from '../../core/src/identity.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import {
  ClaimLimiter,
  MAX_PREKEY_CLAIM_PEERS,
  PREKEY_CLAIM_PEER_BURST,
  PREKEY_CLAIM_PEER_INTERVAL_MS,
  PREKEY_CLAIM_TOTAL_BURST,
  PREKEY_CLAIM_TOTAL_INTERVAL_MS,
} from '../src/messaging/claim-limiter.ts'
import {
  MAX_CLAIMED_PREKEY_PAIRS,
  MemoryOneTimePrekeyStore,
  ONE_TIME_PREKEY_POOL,
  PrekeyManager,
} from '../src/messaging/prekeys.ts'

const suite = createNodeSuite()

describe('one-time prekey claim limits', () => {
  test('one peer gets its burst, then one claim per interval; the total bucket bounds every peer together', () => {
    let now = 1_000_000
    const limiter = new ClaimLimiter(() => now)
    let granted = 0
    for (let i = 0; i < 10_000; i++) if (limiter.allow('flooder')) granted++
    assert.equal(granted, PREKEY_CLAIM_PEER_BURST)
    now += PREKEY_CLAIM_PEER_INTERVAL_MS
    assert.equal(limiter.allow('flooder'), true)
    assert.equal(limiter.allow('flooder'), false)
    // many peers: what is left of the total burst (refilled over the 10 min), then one per interval
    let total = 0
    for (let i = 0; i < 5_000; i++) if (limiter.allow(`peer-${i}`)) total++
    assert.equal(total, PREKEY_CLAIM_TOTAL_BURST - 1)
    now += PREKEY_CLAIM_TOTAL_INTERVAL_MS
    assert.equal(limiter.allow('someone-new'), true)
    assert.equal(limiter.allow('someone-else'), false)
  })

  test('a peer forgotten past MAX_PREKEY_CLAIM_PEERS is still held by the total bucket', () => {
    const now = 5_000
    const limiter = new ClaimLimiter(() => now)
    let granted = 0
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i <= MAX_PREKEY_CLAIM_PEERS; i++) if (limiter.allow(`p${i}`)) granted++
    }
    assert.equal(granted, PREKEY_CLAIM_TOTAL_BURST)
  })
})

describe('one-time prekey pool', () => {
  async function manager(store = new MemoryOneTimePrekeyStore()) {
    const longTermWrites: number[] = []
    const prekeys = await PrekeyManager.open({
      suite,
      identity: generateIdentityKeyPair(suite),
      longTerm: [],
      persistLongTerm: async (next) => {
        longTermWrites.push(next.length)
      },
      oneTimeStore: store,
    })
    return { prekeys, store, longTermWrites }
  }

  test('claims and hand-outs keep at most the pool unclaimed and MAX_CLAIMED_PREKEY_PAIRS claimed; the keystore is never rewritten for them', async () => {
    const { prekeys, store, longTermWrites } = await manager()
    await prekeys.maintain(1)
    assert.equal(longTermWrites.length, 1, 'the signed and last-resort prekeys, once')
    const seen = new Set<string>()
    for (let i = 0; i < MAX_CLAIMED_PREKEY_PAIRS + 100; i++) {
      const claimed = await prekeys.claim(10 + i)
      assert.ok(claimed !== null, 'the pool refills itself')
      const key = Buffer.from(claimed.oneTimePrekey).toString('hex')
      assert.ok(!seen.has(key), 'never handed out twice')
      seen.add(key)
    }
    await prekeys.handOut(50, 10_000)
    assert.equal(prekeys.claimedPairs, MAX_CLAIMED_PREKEY_PAIRS)
    assert.ok(prekeys.available('one-time') <= ONE_TIME_PREKEY_POOL)
    assert.ok(prekeys.oneTimeCount <= 2 * (MAX_CLAIMED_PREKEY_PAIRS + ONE_TIME_PREKEY_POOL))
    assert.equal(store.records.size, prekeys.oneTimeCount)
    assert.equal(longTermWrites.length, 1, 'no keystore write for one-time prekeys')
    // a reopened manager sees the same records and never reuses an id
    const again = await manager(store)
    assert.equal(again.prekeys.oneTimeCount, prekeys.oneTimeCount)
    const next = await again.prekeys.claim(20_000)
    assert.ok(next !== null)
    assert.ok(!seen.has(Buffer.from(next.oneTimePrekey).toString('hex')))
  })
})

/**
 * The RPC's user-id schema is exactly the language of core's parser: every id the schema accepts
 * parses (and is the canonical spelling), every id the parser would print passes the schema, and
 * a non-canonical id reaching a real daemon is refused as invalid params, not as an internal error.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { formatUserId, parseUserId } from '../../core/src/identity.ts'
import { type SpawnedDaemon, spawnDaemon } from '../../test/fixtures/daemon.ts'
import { methods, USER_ID_PATTERN } from '../src/rpc/api.ts'
import type { RpcError } from '../src/rpc/errors.ts'

const SEED = 0x5eed12
const RUNS = 5_000
/** A valid-looking group id: groups.remove parses the user id before it looks the group up. */
const GROUP_ID = '0'.repeat(32)
/** 'wu' + 25 × 'a' + 'b': 26 base32 characters whose last one has a non-zero trailing bit. */
const NON_CANONICAL = `wu${'a'.repeat(25)}b`

const removeParams = methods['groups.remove'].params
const schemaAccepts = (userId: string) => removeParams.safeParse({ groupId: GROUP_ID, userId }).success

function parsesCanonically(s: string): boolean {
  try {
    return formatUserId(parseUserId(s)) === s
  } catch {
    return false
  }
}

/**
 * Candidates around the language: 25..27 characters after 'wu', mostly lowercase base32 (so about
 * half are well-formed and a quarter canonical), sometimes upper case or a digit outside base32.
 */
const nearUserId = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz234567'), weight: 60 },
      { arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0189'), weight: 1 },
    ),
    { minLength: 25, maxLength: 27 },
  )
  .map((chars) => `wu${chars.join('')}`)

describe('the RPC user-id schema is the parser language', () => {
  test('every id the schema pattern generates parses and prints back unchanged', () => {
    fc.assert(
      fc.property(fc.stringMatching(USER_ID_PATTERN), (s) => {
        assert.ok(schemaAccepts(s), s)
        assert.equal(formatUserId(parseUserId(s)), s)
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test('every printed user id passes the schema', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        assert.ok(schemaAccepts(formatUserId(bytes)))
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test('near misses: the schema accepts a string exactly when it parses to its own canonical form', () => {
    let canonical = 0
    fc.assert(
      fc.property(nearUserId, (s) => {
        const accepted = schemaAccepts(s)
        assert.equal(accepted, parsesCanonically(s), s)
        if (accepted) canonical++
      }),
      { seed: SEED, numRuns: RUNS },
    )
    assert.ok(canonical > RUNS / 20, `only ${canonical} canonical candidates: the generator drifted`)
    for (const s of [NON_CANONICAL, `WU${'A'.repeat(26)}`, `wu${'a'.repeat(25)}7`]) {
      assert.equal(schemaAccepts(s), false, s)
    }
  })
})

describe('a non-canonical user id against a real daemon', () => {
  let d: SpawnedDaemon
  before(async () => {
    d = await spawnDaemon()
    await d.client.call('identity.create', { passphrase: 'correct horse', displayName: 'Ada' })
  })
  after(async () => {
    await d?.stop()
  })

  test('groups.remove and groups.setRole answer INVALID_PARAMS (-32602), and the daemon stays up', async () => {
    const invalidParams = (e: RpcError) => e.code === -32602 && /userId/.test(e.message)
    await assert.rejects(
      d.client.call('groups.remove', { groupId: GROUP_ID, userId: NON_CANONICAL }),
      invalidParams,
    )
    await assert.rejects(
      d.client.call('groups.setRole', { groupId: GROUP_ID, userId: NON_CANONICAL, role: 'admin' }),
      invalidParams,
    )
    assert.equal((await d.client.call('node.status')).hasIdentity, true)
  })
})

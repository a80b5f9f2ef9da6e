/**
 * The bounds of held actions (node/src/messaging/held-actions.ts) on a real SealedStore, with the
 * clock injected: at most MAX_HELD_PER_MESSAGE per message and MAX_HELD_ACTIONS in all, each
 * dropped after HELD_ACTION_TTL_MS (a held delete for a message that arrives later than that
 * deletes nothing; an expired record frees its place; the periodic sweep drops the ones nobody
 * touches again). Held in order, taken once. The overtaking
 * itself, between real daemons, is test/held-actions-e2e.test.ts.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { HELD_ACTION_TTL_MS, MAX_HELD_ACTIONS, MAX_HELD_PER_MESSAGE } from '../src/messaging/constants.ts'
import { dropExpiredHeld, holdAction, takeHeld } from '../src/messaging/held-actions.ts'
import { type InboundInit, newPending, type Pending } from '../src/messaging/inbound-batch.ts'
import { Vault } from '../src/messaging/vault.ts'
import { PREFIXES } from '../src/storage/layout.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const random = seededRandom('held-actions')
const T0 = 1_760_000_000_000
const ALICE = 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa'
const idHex = (n: number) => n.toString(16).padStart(32, '0')
const action = (n: number) => new Uint8Array([n & 0xff, n >> 8])

describe('held actions: bounds', () => {
  let dir: string
  let store: SealedStore
  let vault: Vault
  let now = T0
  // holdAction and takeHeld use the store and the clock of the receiving side, nothing else
  let init: InboundInit

  async function keysOf(iterable: AsyncIterable<[string, unknown]>): Promise<string[]> {
    const keys: string[] = []
    for await (const [key] of iterable) keys.push(key)
    return keys
  }

  /** One delivery batch: `work` fills it, then it is written like the inbound pipeline does. */
  async function batch<T>(work: (pending: Pending) => Promise<T>): Promise<T> {
    const pending = newPending('mailbox')
    pending.storedHeld = new Set(await keysOf(vault.heldActions()))
    const result = await work(pending)
    await store.batch(pending.ops)
    return result
  }
  const hold = (id: string, n: number) =>
    batch((p) => holdAction(init, p, ALICE, id, { sender: ALICE, action: action(n) }))
  const take = (id: string) => batch((p) => takeHeld(init, p, ALICE, id))
  const heldKeys = async () => (await keysOf(store.iterate({ prefix: PREFIXES.heldActions }))).length

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-held-'))
    const storageKey = random(32)
    store = await SealedStore.open(join(dir, 'db'), storageKey)
    vault = new Vault(store, storageKey)
    init = { vault, now: () => now } as unknown as InboundInit
  })
  beforeEach(async () => {
    now = T0
    const keys = await keysOf(store.iterate({ prefix: PREFIXES.heldActions }))
    await store.batch(keys.map((key) => ({ type: 'del' as const, key })))
  })
  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('held in order, taken once with the message, then gone', async () => {
    for (const n of [1, 2, 3]) assert.equal(await hold(idHex(1), n), true)
    const taken = await take(idHex(1))
    assert.deepEqual(
      taken.map((h) => [...h.action]),
      [
        [1, 0],
        [2, 0],
        [3, 0],
      ],
    )
    assert.equal(await heldKeys(), 0)
    assert.deepEqual(await take(idHex(1)), [], 'taken once')
  })

  test(`at most ${MAX_HELD_PER_MESSAGE} per message: the next one is dropped, others still held`, async () => {
    for (let n = 0; n < MAX_HELD_PER_MESSAGE; n++) assert.equal(await hold(idHex(2), n), true)
    assert.equal(await hold(idHex(2), 99), false, 'over the per-message cap')
    assert.equal(await hold(idHex(3), 1), true, 'another message still takes actions')
    assert.equal((await take(idHex(2))).length, MAX_HELD_PER_MESSAGE)
  })

  test(`at most ${MAX_HELD_ACTIONS} in all, across messages`, async () => {
    for (let n = 0; n < MAX_HELD_ACTIONS; n++) assert.equal(await hold(idHex(1000 + n), n), true)
    assert.equal(await hold(idHex(5000), 1), false, 'over the total cap')
    assert.equal(await heldKeys(), MAX_HELD_ACTIONS)
    // taking one frees a place
    assert.equal((await take(idHex(1000))).length, 1)
    assert.equal(await hold(idHex(5000), 1), true)
  })

  test('a held delete for a message that arrives after the bound is dropped: the message keeps its text', async () => {
    assert.equal(await hold(idHex(7), 7), true)
    now = T0 + HELD_ACTION_TTL_MS + 1
    assert.deepEqual(await take(idHex(7)), [], 'expired: nothing applies')
    assert.equal(await heldKeys(), 0, 'and the record is gone')
  })

  test('expired records free their places: a full store takes actions again after the bound', async () => {
    for (let n = 0; n < MAX_HELD_ACTIONS; n++) assert.equal(await hold(idHex(1000 + n), n), true)
    assert.equal(await hold(idHex(5000), 1), false)
    now = T0 + HELD_ACTION_TTL_MS + 1
    assert.equal(await hold(idHex(5000), 1), true, 'the expired ones were dropped')
    assert.equal(await heldKeys(), 1, 'only the new one is left')
  })

  test('the sweep drops expired actions nobody touches again, and keeps the live ones', async () => {
    assert.equal(await hold(idHex(8), 1), true)
    now = T0 + HELD_ACTION_TTL_MS / 2
    assert.equal(await hold(idHex(8), 2), true)
    assert.equal(await hold(idHex(9), 3), true)
    assert.equal(await dropExpiredHeld(vault, now), 0, 'nothing expired yet')
    now = T0 + HELD_ACTION_TTL_MS + 1
    assert.equal(await dropExpiredHeld(vault, now), 1, 'the first action of message 8')
    assert.equal(await heldKeys(), 2)
    assert.deepEqual(
      (await take(idHex(8))).map((h) => [...h.action]),
      [[2, 0]],
    )
    now = T0 + HELD_ACTION_TTL_MS * 2
    assert.equal(await dropExpiredHeld(vault, now), 1)
    assert.equal(await heldKeys(), 0, 'a record left empty goes')
  })
})

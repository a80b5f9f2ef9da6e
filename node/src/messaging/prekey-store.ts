/**
 * One-time prekey secrets in the profile's sealed LevelDB, one record each (storage/layout.ts):
 *
 *   pk/<orderedCounter(id)>   OneTimePrekeyRecord (sealed like every value of the store)
 *   meta/prekey-next-id       the next unused prekey id
 *
 * A claim, a refill or a use writes only the records it changes, in one atomic batch; the
 * passphrase-sealed keystore keeps only the long-term prekeys. Older profiles kept one-time
 * prekeys in the keystore and the claimed ids under meta/claimed-prekeys: `migrateOneTimePrekeys`
 * moves them here once.
 */
import { z } from 'zod'
import type { PrekeySecret } from '../storage/keystore.ts'
import { FIXED_KEYS, PREFIXES } from '../storage/layout.ts'
import { type BatchOp, orderedCounter, putRecord, type SealedStore } from '../storage/sealed-store.ts'
import { plainRecord, recordBytes, versionedRecord } from '../storage/stored-record.ts'
import type { OneTimePrekeyRecord, OneTimePrekeyStore } from './prekeys.ts'

export const ONE_TIME_PREKEY_PREFIX = PREFIXES.oneTimePrekey
const NEXT_ID_KEY = FIXED_KEYS.prekeyNextId
/** Where profiles before this store kept the claimed one-time prekey ids. */
export const LEGACY_CLAIMED_PREKEYS_KEY = FIXED_KEYS.legacyClaimedPrekeys

const id = z.number().int().min(0)
/** pk/: one one-time prekey (X25519 or ML-KEM), version 1. */
const ONE_TIME_PREKEY = versionedRecord(
  'one-time prekey',
  z.object({
    kind: z.enum(['one-time', 'kem-one-time']),
    id,
    publicKey: recordBytes,
    secretKey: recordBytes,
    createdAt: z.number(),
    lastResort: z.boolean().optional(),
    claimedAt: z.number().optional(),
  }) satisfies z.ZodType<OneTimePrekeyRecord>,
)
const NEXT_ID = plainRecord('next prekey id', id)
const LEGACY_CLAIMED = plainRecord('claimed prekey ids', z.array(id))

const recordKey = (id: number) => `${ONE_TIME_PREKEY_PREFIX}${orderedCounter(id)}`

export class SealedOneTimePrekeyStore implements OneTimePrekeyStore {
  readonly #store: SealedStore

  constructor(store: SealedStore) {
    this.#store = store
  }

  async load(): Promise<{ records: OneTimePrekeyRecord[]; nextId: number }> {
    const records: OneTimePrekeyRecord[] = []
    for await (const [, value] of this.#store.scan(ONE_TIME_PREKEY, { prefix: ONE_TIME_PREKEY_PREFIX }))
      records.push(value)
    return { records, nextId: (await this.#store.read(NEXT_ID_KEY, NEXT_ID)) ?? 0 }
  }

  async write(put: readonly OneTimePrekeyRecord[], del: readonly number[], nextId: number): Promise<void> {
    const ops: BatchOp[] = [
      ...del.map((id) => ({ type: 'del' as const, key: recordKey(id) })),
      ...put.map((record) => putRecord(recordKey(record.id), ONE_TIME_PREKEY, record)),
      putRecord(NEXT_ID_KEY, NEXT_ID, nextId),
    ]
    await this.#store.batch(ops)
  }
}

/**
 * Move one-time prekeys found in the keystore into the store (claimed ones stay claimed), then
 * return the long-term prekeys the keystore should keep. The caller rewrites the keystore with
 * them; until it does, a second run finds the records already there and writes the same again.
 */
export async function migrateOneTimePrekeys(
  store: SealedStore,
  prekeys: readonly PrekeySecret[],
  now: number,
): Promise<{ longTerm: PrekeySecret[]; moved: number }> {
  const oneTime = prekeys.filter((p) => p.kind === 'one-time' || p.kind === 'kem-one-time')
  const longTerm = prekeys.filter((p) => p.kind === 'signed' || p.kind === 'kem')
  if (oneTime.length === 0) return { longTerm, moved: 0 }
  const claimed = new Set((await store.read(LEGACY_CLAIMED_PREKEYS_KEY, LEGACY_CLAIMED)) ?? [])
  let max = 0
  for (const p of prekeys) if (p.id > max) max = p.id
  const ops: BatchOp[] = oneTime.map((p) =>
    putRecord(
      recordKey(p.id),
      ONE_TIME_PREKEY,
      (claimed.has(p.id) ? { ...p, claimedAt: now } : p) as OneTimePrekeyRecord,
    ),
  )
  ops.push(putRecord(NEXT_ID_KEY, NEXT_ID, max + 1))
  ops.push({ type: 'del', key: LEGACY_CLAIMED_PREKEYS_KEY })
  await store.batch(ops)
  return { longTerm, moved: oneTime.length }
}

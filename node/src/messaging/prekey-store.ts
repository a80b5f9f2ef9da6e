/**
 * One-time prekey secrets in the profile's sealed LevelDB, one record each (layout in vault.ts):
 *
 *   pk/<orderedCounter(id)>   OneTimePrekeyRecord (sealed like every value of the store)
 *   meta/prekey-next-id       the next unused prekey id
 *
 * A claim, a refill or a use writes only the records it changes, in one atomic batch; the
 * passphrase-sealed keystore keeps only the long-term prekeys. Older profiles kept one-time
 * prekeys in the keystore and the claimed ids under meta/claimed-prekeys: `migrateOneTimePrekeys`
 * moves them here once.
 */
import type { PrekeySecret } from '../storage/keystore.ts'
import { type BatchOp, orderedCounter, type SealedStore } from '../storage/sealed-store.ts'
import type { OneTimePrekeyRecord, OneTimePrekeyStore } from './prekeys.ts'

export const ONE_TIME_PREKEY_PREFIX = 'pk/'
const NEXT_ID_KEY = 'meta/prekey-next-id'
/** Where profiles before this store kept the claimed one-time prekey ids. */
export const LEGACY_CLAIMED_PREKEYS_KEY = 'meta/claimed-prekeys'

const recordKey = (id: number) => `${ONE_TIME_PREKEY_PREFIX}${orderedCounter(id)}`

export class SealedOneTimePrekeyStore implements OneTimePrekeyStore {
  readonly #store: SealedStore

  constructor(store: SealedStore) {
    this.#store = store
  }

  async load(): Promise<{ records: OneTimePrekeyRecord[]; nextId: number }> {
    const records: OneTimePrekeyRecord[] = []
    for await (const [, value] of this.#store.iterate<OneTimePrekeyRecord>({
      prefix: ONE_TIME_PREKEY_PREFIX,
    }))
      records.push(value)
    return { records, nextId: (await this.#store.get<number>(NEXT_ID_KEY)) ?? 0 }
  }

  async write(put: readonly OneTimePrekeyRecord[], del: readonly number[], nextId: number): Promise<void> {
    const ops: BatchOp[] = [
      ...del.map((id) => ({ type: 'del' as const, key: recordKey(id) })),
      ...put.map((record) => ({ type: 'put' as const, key: recordKey(record.id), value: record })),
      { type: 'put', key: NEXT_ID_KEY, value: nextId },
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
  const claimed = new Set((await store.get<number[]>(LEGACY_CLAIMED_PREKEYS_KEY)) ?? [])
  let max = 0
  for (const p of prekeys) if (p.id > max) max = p.id
  const ops: BatchOp[] = oneTime.map((p) => ({
    type: 'put' as const,
    key: recordKey(p.id),
    value: (claimed.has(p.id) ? { ...p, claimedAt: now } : p) as OneTimePrekeyRecord,
  }))
  ops.push({ type: 'put', key: NEXT_ID_KEY, value: max + 1 })
  ops.push({ type: 'del', key: LEGACY_CLAIMED_PREKEYS_KEY })
  await store.batch(ops)
  return { longTerm, moved: oneTime.length }
}

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { generateIdentityKeyPair } from '../../core/src/identity.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import {
  LEGACY_CLAIMED_PREKEYS_KEY,
  migrateOneTimePrekeys,
  SealedOneTimePrekeyStore,
} from '../src/messaging/prekey-store.ts'
import { PrekeyManager } from '../src/messaging/prekeys.ts'
import type { PrekeySecret } from '../src/storage/keystore.ts'
import { SealedStore } from '../src/storage/sealed-store.ts'

const suite = createNodeSuite()

describe('one-time prekeys in the profile store', () => {
  test('one-time prekeys of an older keystore move to sealed records, claimed ones stay claimed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wren-prekey-store-'))
    const store = await SealedStore.open(join(dir, 'db'), suite.randomBytes(32))
    try {
      const x = suite.x25519Generate()
      const kem = suite.mlkemGenerate()
      const legacy: PrekeySecret[] = [
        { kind: 'signed', id: 1, publicKey: x.publicKey, secretKey: x.secretKey, createdAt: 1 },
        {
          kind: 'kem',
          id: 2,
          publicKey: kem.publicKey,
          secretKey: kem.secretKey,
          createdAt: 1,
          lastResort: true,
        },
        { kind: 'one-time', id: 3, publicKey: x.publicKey, secretKey: x.secretKey, createdAt: 1 },
        { kind: 'kem-one-time', id: 4, publicKey: kem.publicKey, secretKey: kem.secretKey, createdAt: 1 },
        { kind: 'one-time', id: 5, publicKey: x.publicKey, secretKey: x.secretKey, createdAt: 1 },
      ]
      await store.put(LEGACY_CLAIMED_PREKEYS_KEY, [3, 4])
      const { longTerm, moved } = await migrateOneTimePrekeys(store, legacy, 100)
      assert.deepEqual(
        longTerm.map((p) => p.id),
        [1, 2],
      )
      assert.equal(moved, 3)
      const prekeys = await PrekeyManager.open({
        suite,
        identity: generateIdentityKeyPair(suite),
        longTerm,
        persistLongTerm: async () => {},
        oneTimeStore: new SealedOneTimePrekeyStore(store),
      })
      assert.equal(prekeys.oneTimeCount, 3)
      assert.equal(prekeys.claimedPairs, 1)
      assert.equal(prekeys.available('one-time'), 1)
      assert.equal(await store.get(LEGACY_CLAIMED_PREKEYS_KEY), undefined)
      assert.ok(
        prekeys.secrets().oneTimePrekey(3) !== undefined,
        'a claimed secret stays for its prekey message',
      )
      // a claim writes its records; a reopened manager sees it claimed and never reuses an id
      const claimed = await prekeys.claim(200)
      assert.ok(claimed !== null)
      const again = await PrekeyManager.open({
        suite,
        identity: generateIdentityKeyPair(suite),
        longTerm,
        persistLongTerm: async () => {},
        oneTimeStore: new SealedOneTimePrekeyStore(store),
      })
      assert.equal(again.claimedPairs, prekeys.claimedPairs)
      assert.equal(again.oneTimeCount, prekeys.oneTimeCount)
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/**
 * Stored records (storage/stored-record.ts, storage/layout.ts, messaging/records.ts) on a real
 * SealedStore: versioned on write, checked on read, and values written by builds from before
 * versioning (no `v`) still read, through the same Vault the node uses.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import {
  CONTACT_RECORD,
  type ConversationRecord,
  MESSAGE_RECORD,
  type MessageRecord,
} from '../src/messaging/records.ts'
import { Vault } from '../src/messaging/vault.ts'
import { IDENTITY_RECORD_KEY, readIdentityRecord } from '../src/profile/records.ts'
import { StoredRecordError } from '../src/storage/errors.ts'
import { decodeJson, encodeJson } from '../src/storage/json-codec.ts'
import { FIXED_KEYS, GROUP_PREFIXES, PREFIXES } from '../src/storage/layout.ts'
import { checkRecordKey, SealedStore } from '../src/storage/sealed-store.ts'

const random = seededRandom('storage-records')
const PEER = 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa'

const message: MessageRecord = {
  id: 'ab'.repeat(16),
  conversationId: `dm:${PEER}`,
  seq: 1,
  direction: 'in',
  sender: PEER,
  text: 'hello',
  sentAt: 1,
  receivedAt: 2,
  status: 'delivered',
  receipts: 0,
}

describe('profile database layout', () => {
  test('every prefix and fixed key is a valid record key, and no family of keys lies inside another', () => {
    const prefixes = [...Object.values(PREFIXES), ...Object.values(GROUP_PREFIXES)]
    const fixed = Object.values(FIXED_KEYS)
    for (const key of [...prefixes, ...fixed]) checkRecordKey(key)
    assert.equal(new Set(prefixes).size, prefixes.length, 'prefixes are distinct')
    for (const a of prefixes)
      for (const b of prefixes) if (a !== b) assert.ok(!b.startsWith(a), `${b} lies inside ${a}`)
    for (const key of fixed)
      for (const prefix of prefixes) assert.ok(!key.startsWith(prefix), `${key} lies inside ${prefix}`)
  })
})

describe('stored records', () => {
  let dir: string
  let store: SealedStore
  let vault: Vault
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-records-'))
    const storageKey = random(32)
    store = await SealedStore.open(join(dir, 'db'), storageKey)
    vault = new Vault(store, storageKey)
  })
  after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('the expiry sweep reads the conversations only once one may be due: unknown until a sweep read them all, then the earliest nextExpiry written since', () => {
    const hint = new Vault(store, random(32))
    const conversation: ConversationRecord = {
      id: 'direct:x',
      kind: 'direct',
      peerUserId: PEER,
      lastSeq: 0,
      lastReadSeq: 0,
      unread: 0,
      updatedAt: 1,
    }
    assert.equal(hint.expiryMayBeDue(0), true, 'nothing known before the first sweep')
    hint.expiryScanStarted()
    hint.expiryScanned(Number.POSITIVE_INFINITY)
    assert.equal(hint.expiryMayBeDue(Number.MAX_SAFE_INTEGER), false, 'no conversation expires')
    hint.putConversationOp({ ...conversation, nextExpiry: 5_000 })
    assert.equal(hint.expiryMayBeDue(4_999), false)
    assert.equal(hint.expiryMayBeDue(5_000), true)
    // a conversation written while a sweep reads the list is not lost when that sweep ends later
    hint.expiryScanStarted()
    hint.putConversationOp({ ...conversation, nextExpiry: 3_000 })
    hint.expiryScanned(9_000)
    assert.equal(hint.expiryMayBeDue(2_999), false)
    assert.equal(hint.expiryMayBeDue(3_000), true)
  })

  test('a record is written with its schema version and reads back without it', async () => {
    await store.batch([vault.putMessageOp(message)])
    const raw = (await store.get(vault.messageKey(message.conversationId, 1))) as Record<string, unknown>
    assert.equal(raw.v, 1)
    assert.deepEqual(await vault.getMessage(message.conversationId, 1), message)
  })

  test('values written before records were versioned (no v) read as version 1', async () => {
    const contact = {
      userId: PEER,
      displayName: 'Bob',
      identityKey: random(32),
      verified: false,
      keyChanged: false,
      pendingIdentityKey: null,
      addedAt: 5,
      devicePeerId: random(38),
      addrs: [random(8)],
    }
    const conversation = {
      id: `dm:${PEER}`,
      kind: 'direct',
      peerUserId: PEER,
      lastSeq: 2,
      lastReadSeq: 0,
      unread: 2,
      updatedAt: 9,
    }
    const legacyMessage = { ...message, seq: 2 }
    await store.put(vault.contactKey(PEER), contact)
    await store.put(vault.conversationKey(conversation.id), conversation)
    await store.put(vault.messageKey(conversation.id, 2), legacyMessage)
    await store.put(IDENTITY_RECORD_KEY, { displayName: 'Alice', createdAt: 3 })
    await store.put(`${PREFIXES.counter}outbox`, 7)
    assert.deepEqual(await vault.getContact(PEER), contact)
    assert.deepEqual(await vault.listConversations(), [conversation])
    assert.deepEqual(await vault.getMessage(conversation.id, 2), legacyMessage)
    assert.deepEqual(await readIdentityRecord(store), { displayName: 'Alice', createdAt: 3 })
    assert.equal(await vault.nextCounter('outbox'), 8)
  })

  test('a value of an unknown version, or not of its record type, is refused with StoredRecordError', async () => {
    const key = vault.messageKey('dm:other', 1)
    await store.put(key, { ...message, v: 2 })
    await assert.rejects(vault.getMessage('dm:other', 1), StoredRecordError)
    await store.put(key, { ...message, status: 'lost' })
    await assert.rejects(vault.getMessage('dm:other', 1), StoredRecordError)
    await store.put(key, 'not a record')
    await assert.rejects(vault.getMessage('dm:other', 1), StoredRecordError)
    await store.put(vault.contactKey('someone'), { userId: 'someone' })
    await assert.rejects(vault.getContact('someone'), StoredRecordError)
    assert.throws(() => CONTACT_RECORD.decode('k/x', [1, 2]), StoredRecordError)
  })

  test('the message record decoder refuses fuzzed values with StoredRecordError only', () => {
    const sample = new TextEncoder().encode(encodeJson(MESSAGE_RECORD.encode(message)))
    const result = fuzzDecoder(
      (bytes) => MESSAGE_RECORD.decode('m/fuzz', decodeJson(new TextDecoder().decode(bytes))),
      { seed: 'message-record', samples: [sample], allowed: [StoredRecordError, SyntaxError] },
    )
    assert.ok(result.rejected > 0, 'bad values were rejected')
    assert.doesNotThrow(() => MESSAGE_RECORD.decode('m/fuzz', decodeJson(new TextDecoder().decode(sample))))
  })
})

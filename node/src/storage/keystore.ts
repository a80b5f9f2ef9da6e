/**
 * The profile keystore: every long-term secret of a device, sealed with the user's passphrase.
 *
 * File (JSON, versioned): `{ format, version, kdf: { algorithm, memoryKiB, passes, parallelism,
 * salt }, nonce, ciphertext }`. The key is Argon2id(passphrase, salt) from node:crypto; the
 * secrets record is JSON (bytes as base64, see json-codec.ts) sealed with AES-256-GCM, and the
 * associated data is the canonical header (format, version, kdf) so no header field can be altered
 * without the open failing. Writes are atomic (temp file + rename) with mode 0600.
 *
 * The derived key is kept in the returned handle so the node can re-seal after rotating prekeys
 * (updateKeystore) without asking for the passphrase again.
 */
import { argon2, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { access, readFile, stat } from 'node:fs/promises'
import { z } from 'zod'
import { writeFileAtomic } from './atomic-file.ts'
import { KeystoreExistsError, KeystoreFormatError, WrongPassphraseError } from './errors.ts'
import { decodeJson, encodeJson } from './json-codec.ts'

export const KEYSTORE_FORMAT = 'wren-keystore' as const
export const KEYSTORE_VERSION = 1

/**
 * Argon2id memory in KiB (64 MiB): OWASP's first recommended profile is 46 MiB/1 pass; we spend
 * more because unlock happens once per daemon start.
 */
export const ARGON2_MEMORY_KIB = 64 * 1024
/**
 * Argon2id passes: with 64 MiB and one lane this measured 0.24–0.25 s per derivation on the
 * 2-core development machine (Node 24.21, `crypto.argon2`), the target cost for an unlock.
 */
export const ARGON2_PASSES = 6
/** Argon2id lanes: 1, so the cost does not drop on machines with more cores than ours. */
export const ARGON2_PARALLELISM = 1
/** Salt length in bytes (RFC 9106 recommends 16). */
export const ARGON2_SALT_BYTES = 16
/** Derived key length in bytes: an AES-256 key. */
const KEY_BYTES = 32
/** AES-GCM nonce length in bytes; a fresh random nonce is used for every seal. */
const NONCE_BYTES = 12
/** AES-GCM tag length in bytes. */
const TAG_BYTES = 16
/** Largest keystore file in bytes: a few keys plus a pool of prekey secrets (≈ 100 B each) fits easily. */
export const MAX_KEYSTORE_BYTES = 1024 * 1024
/**
 * Largest Argon2 memory a keystore file may ask for, in KiB (1 GiB): a corrupted or hostile file
 * must not make the daemon allocate without bound.
 */
export const MAX_ARGON2_MEMORY_KIB = 1024 * 1024
/** Largest Argon2 pass count a file may ask for: bounds unlock time for a corrupted file. */
export const MAX_ARGON2_PASSES = 64

export interface KdfParams {
  readonly memoryKiB: number
  readonly passes: number
  readonly parallelism: number
}

export const DEFAULT_KDF_PARAMS: KdfParams = Object.freeze({
  memoryKiB: ARGON2_MEMORY_KIB,
  passes: ARGON2_PASSES,
  parallelism: ARGON2_PARALLELISM,
})

/** A secret prekey held by this device (published halves live in the bundle or a mailbox). */
export interface PrekeySecret {
  /** 'signed' X25519, 'kem' ML-KEM-768 (signed, possibly last resort), 'one-time' X25519, 'kem-one-time'. */
  readonly kind: 'signed' | 'kem' | 'one-time' | 'kem-one-time'
  readonly id: number
  readonly publicKey: Uint8Array
  /** X25519 secret (32 B) or ML-KEM seed (64 B). */
  readonly secretKey: Uint8Array
  readonly createdAt: number
  readonly lastResort?: boolean
}

/** Everything the keystore seals. */
export interface KeystoreSecrets {
  /** Ed25519 seed of the user's identity key (32 B). */
  readonly identitySeed: Uint8Array
  /**
   * Ed25519 seed of the ORIGIN identity key the user id derives from, once the identity key was
   * rotated (identity.rotate): it signs the succession proof of each later key.
   */
  readonly originIdentitySeed?: Uint8Array
  /** Ed25519 seed of this device's key (32 B). */
  readonly deviceKeySeed: Uint8Array
  /** libp2p private key, protobuf-encoded (`privateKeyToProtobuf`). */
  readonly libp2pPrivateKey: Uint8Array
  /** AES-256 key sealing every value of the profile's LevelDB (32 B). */
  readonly storageKey: Uint8Array
  readonly prekeys: readonly PrekeySecret[]
}

/** An opened keystore: the secrets plus what is needed to re-seal them without the passphrase. */
export interface OpenedKeystore {
  readonly path: string
  readonly secrets: KeystoreSecrets
  readonly kdf: KdfParams
  /** @internal salt and derived key of this file; never log or serialise. */
  readonly sealing: { readonly salt: Uint8Array; readonly key: Uint8Array }
}

const bytes = (length?: number) =>
  z.instanceof(Uint8Array).refine((b) => length === undefined || b.length === length, {
    message: `expected ${length} bytes`,
  })

const secretsSchema = z.strictObject({
  identitySeed: bytes(32),
  originIdentitySeed: bytes(32).optional(),
  deviceKeySeed: bytes(32),
  libp2pPrivateKey: bytes().refine((b) => b.length > 0 && b.length <= 4096, 'bad libp2p key length'),
  storageKey: bytes(32),
  prekeys: z.array(
    z.strictObject({
      kind: z.enum(['signed', 'kem', 'one-time', 'kem-one-time']),
      id: z.number().int().min(0).max(0xffffffff),
      publicKey: bytes(),
      secretKey: bytes(),
      createdAt: z.number().int().min(0),
      lastResort: z.boolean().optional(),
    }),
  ),
})

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)
const fileSchema = z.strictObject({
  format: z.literal(KEYSTORE_FORMAT),
  version: z.number().int(),
  kdf: z.strictObject({
    algorithm: z.literal('argon2id'),
    memoryKiB: z.number().int().min(8).max(MAX_ARGON2_MEMORY_KIB),
    passes: z.number().int().min(1).max(MAX_ARGON2_PASSES),
    parallelism: z.number().int().min(1).max(16),
    salt: base64,
  }),
  nonce: base64,
  ciphertext: base64,
})
type KeystoreFile = z.infer<typeof fileSchema>

/** Argon2id(passphrase, salt) → a 32-byte key (also seals backups: node/src/backup). */
export function deriveKey(passphrase: string, salt: Uint8Array, kdf: KdfParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: passphrase,
        nonce: salt,
        parallelism: kdf.parallelism,
        tagLength: KEY_BYTES,
        memory: kdf.memoryKiB,
        passes: kdf.passes,
      },
      (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
    )
  })
}

/** The authenticated header: everything but nonce and ciphertext, in a fixed field order. */
function headerAad(file: Pick<KeystoreFile, 'format' | 'version' | 'kdf'>): Buffer {
  const { algorithm, memoryKiB, passes, parallelism, salt } = file.kdf
  return Buffer.from(
    JSON.stringify([file.format, file.version, algorithm, memoryKiB, passes, parallelism, salt]),
  )
}

function seal(key: Uint8Array, salt: Uint8Array, kdf: KdfParams, secrets: KeystoreSecrets): string {
  const parsed = secretsSchema.safeParse(secrets)
  if (!parsed.success) throw new KeystoreFormatError(`invalid secrets: ${parsed.error.issues[0]?.message}`)
  const header = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    kdf: {
      algorithm: 'argon2id' as const,
      memoryKiB: kdf.memoryKiB,
      passes: kdf.passes,
      parallelism: kdf.parallelism,
      salt: Buffer.from(salt).toString('base64'),
    },
  }
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(headerAad(header))
  const plaintext = Buffer.from(encodeJson(secrets))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  plaintext.fill(0)
  const file: KeystoreFile = {
    ...header,
    nonce: nonce.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  }
  return `${JSON.stringify(file, null, 2)}\n`
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/** Create a new keystore at `path` (must not exist). `kdf` overrides the cost (tests only). */
export async function createKeystore(
  path: string,
  passphrase: string,
  secrets: KeystoreSecrets,
  kdf: KdfParams = DEFAULT_KDF_PARAMS,
): Promise<OpenedKeystore> {
  if (await exists(path)) throw new KeystoreExistsError(path)
  const salt = new Uint8Array(randomBytes(ARGON2_SALT_BYTES))
  const key = await deriveKey(passphrase, salt, kdf)
  await writeFileAtomic(path, seal(key, salt, kdf, secrets))
  return { path, secrets, kdf, sealing: { salt, key } }
}

async function readKeystoreFile(path: string): Promise<KeystoreFile> {
  const info = await stat(path)
  if (info.size > MAX_KEYSTORE_BYTES)
    throw new KeystoreFormatError(`keystore larger than ${MAX_KEYSTORE_BYTES} B`)
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new KeystoreFormatError('keystore is not valid JSON', { cause: error })
  }
  const parsed = fileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new KeystoreFormatError(`malformed keystore: ${issue?.path.join('.')}: ${issue?.message}`)
  }
  if (parsed.data.version !== KEYSTORE_VERSION)
    throw new KeystoreFormatError(`unsupported keystore version ${parsed.data.version}`)
  return parsed.data
}

/** Open the keystore with the passphrase. WrongPassphraseError when it does not authenticate. */
export async function openKeystore(path: string, passphrase: string): Promise<OpenedKeystore> {
  const file = await readKeystoreFile(path)
  const salt = new Uint8Array(Buffer.from(file.kdf.salt, 'base64'))
  const nonce = Buffer.from(file.nonce, 'base64')
  const sealed = Buffer.from(file.ciphertext, 'base64')
  if (salt.length < 8 || nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES)
    throw new KeystoreFormatError('malformed keystore: bad salt, nonce or ciphertext length')
  const kdf: KdfParams = {
    memoryKiB: file.kdf.memoryKiB,
    passes: file.kdf.passes,
    parallelism: file.kdf.parallelism,
  }
  if (kdf.memoryKiB < 8 * kdf.parallelism) throw new KeystoreFormatError('malformed keystore: argon2 memory')
  const key = await deriveKey(passphrase, salt, kdf)
  let plaintext: Buffer
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(headerAad(file))
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    plaintext = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ])
  } catch {
    key.fill(0)
    throw new WrongPassphraseError()
  }
  let secrets: KeystoreSecrets
  try {
    secrets = secretsSchema.parse(decodeJson(plaintext.toString('utf8')))
  } catch (error) {
    throw new KeystoreFormatError('keystore secrets record is malformed', { cause: error })
  } finally {
    plaintext.fill(0)
  }
  return { path, secrets, kdf, sealing: { salt, key } }
}

/** Re-seal new secrets with the cached derived key (same salt and cost, fresh nonce). */
export async function updateKeystore(
  keystore: OpenedKeystore,
  secrets: KeystoreSecrets,
): Promise<OpenedKeystore> {
  const { salt, key } = keystore.sealing
  await writeFileAtomic(keystore.path, seal(key, salt, keystore.kdf, secrets))
  return { ...keystore, secrets }
}

/** Drop the cached key from memory (best effort) when the profile is locked or the daemon stops. */
export function closeKeystore(keystore: OpenedKeystore): void {
  keystore.sealing.key.fill(0)
}

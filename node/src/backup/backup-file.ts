/**
 * The encrypted backup file (issue 18): one file, sealed with a key derived by Argon2id from the
 * backup passphrase, written and read frame by frame so memory stays bounded whatever the
 * history's size.
 *
 *   magic 'WRENBKP\n' (8 B)
 *   u32be header length (≤ MAX_HEADER_BYTES) ‖ header: JSON { format, version, kdf }
 *   frames: u32be sealed length (≤ MAX_SEALED_FRAME_BYTES) ‖ nonce (12 B) ‖ AES-256-GCM ciphertext ‖ tag
 *
 * Every frame's associated data is the header bytes ‖ u64be frame index ‖ u8 final flag, so frames
 * cannot be reordered, dropped, moved between files or cut off: the last frame is marked final
 * and nothing may follow it. A frame's plaintext is JSON (storage/json-codec.ts, bytes as base64)
 * of at most MAX_FRAME_PLAINTEXT_BYTES; what frames hold is node/src/backup/backup.ts's business.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { z } from 'zod'
import { deriveKey, type KdfParams, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PASSES } from '../storage/keystore.ts'
import { BackupFormatError, WrongBackupPassphraseError } from './errors.ts'

export const BACKUP_MAGIC = new TextEncoder().encode('WRENBKP\n')
export const BACKUP_FORMAT = 'wren-backup'
export const BACKUP_VERSION = 1
/** Largest header in bytes: a short JSON object (format, version, KDF parameters and salt). */
export const MAX_HEADER_BYTES = 1024
/**
 * Largest plaintext of one frame in bytes (1 MiB): the memory a backup costs at a time, on both
 * sides; a record is far smaller (texts are ≤ 64 KiB, file chunks are not backed up).
 */
export const MAX_FRAME_PLAINTEXT_BYTES = 1024 * 1024
const NONCE_BYTES = 12
const TAG_BYTES = 16
/** Largest sealed frame in bytes: the plaintext cap plus nonce and tag. */
export const MAX_SEALED_FRAME_BYTES = MAX_FRAME_PLAINTEXT_BYTES + NONCE_BYTES + TAG_BYTES
const SALT_BYTES = 16

const headerSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.number().int(),
  kdf: z.strictObject({
    algorithm: z.literal('argon2id'),
    memoryKiB: z.number().int().min(8).max(MAX_ARGON2_MEMORY_KIB),
    passes: z.number().int().min(1).max(MAX_ARGON2_PASSES),
    parallelism: z.number().int().min(1).max(16),
    salt: z.string().regex(/^[A-Za-z0-9+/]{22}==$/),
  }),
})

/** Where the frames go: a file handle in the daemon, an array in tests. */
export type ByteSink = (bytes: Uint8Array) => Promise<void>
/** Where they come from: up to `n` bytes at the current position (fewer only at the end). */
export type ByteSource = (n: number) => Promise<Uint8Array>

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}

function frameAad(header: Uint8Array, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(9)
  tail.writeBigUInt64BE(BigInt(index), 0)
  tail[8] = final ? 1 : 0
  return Buffer.concat([header, tail])
}

/** Writes a backup: the header at creation, then sealed frames; `finish` writes the final one. */
export class BackupWriter {
  readonly #sink: ByteSink
  readonly #key: Uint8Array
  readonly #header: Uint8Array
  #index = 0
  #done = false
  bytes = 0

  private constructor(sink: ByteSink, key: Uint8Array, header: Uint8Array) {
    this.#sink = sink
    this.#key = key
    this.#header = header
  }

  static async create(sink: ByteSink, passphrase: string, kdf: KdfParams): Promise<BackupWriter> {
    const salt = new Uint8Array(randomBytes(SALT_BYTES))
    const header = new TextEncoder().encode(
      JSON.stringify({
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        kdf: { algorithm: 'argon2id', ...kdf, salt: Buffer.from(salt).toString('base64') },
      }),
    )
    const writer = new BackupWriter(sink, await deriveKey(passphrase, salt, kdf), header)
    await writer.#write(BACKUP_MAGIC)
    await writer.#write(u32be(header.length))
    await writer.#write(header)
    return writer
  }

  async #write(bytes: Uint8Array): Promise<void> {
    await this.#sink(bytes)
    this.bytes += bytes.length
  }

  /** Seal one frame (plaintext ≤ MAX_FRAME_PLAINTEXT_BYTES). */
  async frame(plaintext: Uint8Array, final = false): Promise<void> {
    if (this.#done) throw new BackupFormatError('the backup is already finished')
    if (plaintext.length > MAX_FRAME_PLAINTEXT_BYTES)
      throw new BackupFormatError(`a backup frame over ${MAX_FRAME_PLAINTEXT_BYTES} bytes`)
    const nonce = randomBytes(NONCE_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(frameAad(this.#header, this.#index, final))
    const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    await this.#write(u32be(sealed.length))
    await this.#write(sealed)
    this.#index++
    if (final) {
      this.#done = true
      this.#key.fill(0)
    }
  }
}

/** Reads a backup frame by frame; every fault is a BackupFormatError, a wrong passphrase its own. */
export class BackupReader {
  readonly #source: ByteSource
  readonly #key: Uint8Array
  readonly #header: Uint8Array
  #index = 0
  #done = false

  private constructor(source: ByteSource, key: Uint8Array, header: Uint8Array) {
    this.#source = source
    this.#key = key
    this.#header = header
  }

  static async open(source: ByteSource, passphrase: string): Promise<BackupReader> {
    const magic = await exactly(source, BACKUP_MAGIC.length, 'magic')
    if (!Buffer.from(magic).equals(Buffer.from(BACKUP_MAGIC)))
      throw new BackupFormatError('not a Wren backup')
    const length = readU32(await exactly(source, 4, 'header length'))
    if (length === 0 || length > MAX_HEADER_BYTES) throw new BackupFormatError('bad header length')
    const header = await exactly(source, length, 'header')
    let parsed: z.infer<typeof headerSchema>
    try {
      parsed = headerSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(header)))
    } catch (cause) {
      throw new BackupFormatError('malformed backup header', { cause })
    }
    if (parsed.version !== BACKUP_VERSION)
      throw new BackupFormatError(`unsupported backup version ${parsed.version}`)
    const { memoryKiB, passes, parallelism, salt } = parsed.kdf
    if (memoryKiB < 8 * parallelism) throw new BackupFormatError('bad Argon2 memory')
    const key = await deriveKey(passphrase, new Uint8Array(Buffer.from(salt, 'base64')), {
      memoryKiB,
      passes,
      parallelism,
    })
    return new BackupReader(source, key, header)
  }

  /** The next frame's plaintext, or null after the final one (nothing may follow it). */
  async next(): Promise<{ plaintext: Uint8Array; final: boolean } | null> {
    if (this.#done) {
      if ((await this.#source(1)).length > 0) throw new BackupFormatError('bytes after the final frame')
      return null
    }
    const length = readU32(await exactly(this.#source, 4, 'frame length'))
    if (length < NONCE_BYTES + TAG_BYTES || length > MAX_SEALED_FRAME_BYTES)
      throw new BackupFormatError('bad frame length')
    const sealed = Buffer.from(await exactly(this.#source, length, 'frame'))
    // the final flag is not stored: a frame opens under exactly one of the two
    for (const final of [false, true]) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, NONCE_BYTES), {
          authTagLength: TAG_BYTES,
        })
        decipher.setAAD(frameAad(this.#header, this.#index, final))
        decipher.setAuthTag(sealed.subarray(length - TAG_BYTES))
        const plaintext = Buffer.concat([
          decipher.update(sealed.subarray(NONCE_BYTES, length - TAG_BYTES)),
          decipher.final(),
        ])
        this.#index++
        this.#done = final
        if (final) this.#key.fill(0)
        return { plaintext: new Uint8Array(plaintext), final }
      } catch {
        // try the other flag
      }
    }
    // the first frame not opening means the passphrase is wrong; a later one, a damaged file
    if (this.#index === 0) throw new WrongBackupPassphraseError()
    throw new BackupFormatError(`frame ${this.#index} does not authenticate`)
  }
}

function readU32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)
}

async function exactly(source: ByteSource, n: number, what: string): Promise<Uint8Array> {
  const bytes = await source(n)
  if (bytes.length !== n) throw new BackupFormatError(`the backup ends inside its ${what}`)
  return bytes
}

/** A ByteSource over bytes in memory (tests, and small reads). */
export function memorySource(bytes: Uint8Array): ByteSource {
  let at = 0
  return async (n) => {
    const out = bytes.subarray(at, Math.min(bytes.length, at + n))
    at += out.length
    return out
  }
}

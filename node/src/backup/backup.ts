/**
 * Encrypted backup and restore of a profile (issue 18), on the frame format of backup-file.ts.
 *
 * What a backup holds: frame 0 the identity secrets (identity seed, origin seed after a rotation,
 * the storage key), then the profile database's records in key order, many per frame, then a
 * final frame with the record count. The storage key travels so that the restored database keeps
 * its blinded keys (storage/layout.ts: ids appear as HMACs keyed from it); records are copied
 * as opened values and sealed again on restore.
 *
 * What it leaves out, and why — a restored profile is a NEW device of the same identity:
 *   - ratchet sessions and the identity index (s/, x/): replaying an old session state would reuse
 *     message keys the old device already used; contacts start new sessions with the new device;
 *   - prekeys (pk/, meta/prekey-*), mailboxes (meta/mailboxes): they belong to the old device key;
 *   - our own group Sender Keys (gk/): continuing a chain the old device may have advanced since
 *     would reuse its message keys; the groups layer makes and distributes a fresh one;
 *   - queued outgoing items (o/): sealed with the old sessions (their messages stay in history,
 *     shown as queued);
 *   - files (fa/ fx/ fh/ fb/ fc/): the messages that carried them are kept, the files are not.
 * The new device gets new device and libp2p keys here; node/src/devices/own-device-list.ts adds
 * it to the device list (version + 1) at its first start and pushes the list to every contact.
 */
import { open, stat } from 'node:fs/promises'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { z } from 'zod'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { AlreadyExistsError } from '../errors.ts'
import type { UnlockedProfile } from '../profile/session.ts'
import { decodeJson, encodeJson } from '../storage/json-codec.ts'
import { DEFAULT_KDF_PARAMS, type KdfParams, type KeystoreSecrets } from '../storage/keystore.ts'
import { FILE_PREFIXES, FIXED_KEYS, GROUP_PREFIXES, PREFIXES } from '../storage/layout.ts'
import { type BatchOp, checkRecordKey, type SealedStore } from '../storage/sealed-store.ts'
import { BackupReader, BackupWriter, type ByteSource, MAX_FRAME_PLAINTEXT_BYTES } from './backup-file.ts'
import { BackupFormatError } from './errors.ts'

/**
 * Largest backup file accepted, in bytes (8 GiB): far above a text history (a million messages
 * are ≈ 1 GiB), and a bound on how long a restore may read.
 */
export const MAX_BACKUP_FILE_BYTES = 8 * 1024 * 1024 * 1024
/** Frames are filled to this many plaintext bytes, leaving room under the cap for the framing. */
const FRAME_FILL_BYTES = MAX_FRAME_PLAINTEXT_BYTES - 64 * 1024

/** Record families a backup leaves out (see the file comment). */
const EXCLUDED_PREFIXES: readonly string[] = [
  PREFIXES.session,
  PREFIXES.identityIndex,
  PREFIXES.outbox,
  PREFIXES.oneTimePrekey,
  GROUP_PREFIXES.ownSenderKey,
  ...Object.values(FILE_PREFIXES),
]
const EXCLUDED_KEYS: ReadonlySet<string> = new Set([
  FIXED_KEYS.prekeyNextId,
  FIXED_KEYS.legacyClaimedPrekeys,
  FIXED_KEYS.mailboxes,
])

export function isBackedUp(key: string): boolean {
  return !EXCLUDED_KEYS.has(key) && !EXCLUDED_PREFIXES.some((p) => key.startsWith(p))
}

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes')
export const identityFrame = z.strictObject({
  kind: z.literal('identity'),
  identitySeed: bytes.refine((b) => b.length === 32),
  originIdentitySeed: bytes.refine((b) => b.length === 32).optional(),
  storageKey: bytes.refine((b) => b.length === 32),
  exportedAt: z.number().int().min(0),
})
export const recordsFrame = z.strictObject({
  kind: z.literal('records'),
  entries: z.array(z.tuple([z.string(), z.string()])),
})
export const endFrame = z.strictObject({ kind: z.literal('end'), records: z.number().int().min(0) })
export const anyFrame = z.discriminatedUnion('kind', [identityFrame, recordsFrame, endFrame])
export type Frame = z.infer<typeof anyFrame>
export type IdentityFrame = z.infer<typeof identityFrame>

function parseFrame(plaintext: Uint8Array): Frame {
  try {
    return anyFrame.parse(decodeJson(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)))
  } catch (cause) {
    throw new BackupFormatError('malformed backup frame', { cause })
  }
}

export const frameBytes = (frame: Frame): Uint8Array => new TextEncoder().encode(encodeJson(frame))

/**
 * The frames of a profile, in order: the identity secrets, the records (many per frame, each
 * frame's JSON under FRAME_FILL_BYTES), the end with the record count. The backup file seals them
 * one by one; a device link (node/src/devices/link-primary.ts) sends them over its sealed channel.
 */
export async function* profileFrames(profile: UnlockedProfile, now: number): AsyncGenerator<Frame> {
  const { secrets } = profile
  yield {
    kind: 'identity',
    identitySeed: secrets.identitySeed,
    ...(secrets.originIdentitySeed !== undefined ? { originIdentitySeed: secrets.originIdentitySeed } : {}),
    storageKey: secrets.storageKey,
    exportedAt: now,
  }
  let records = 0
  let entries: Array<[string, string]> = []
  let size = 0
  for await (const [key, value] of profile.store.iterate()) {
    if (!isBackedUp(key)) continue
    const json = encodeJson(value)
    const entrySize = key.length + json.length * 2 + 16 // JSON escaping of the inner text, at worst
    if (entrySize > FRAME_FILL_BYTES) throw new BackupFormatError(`record ${key} is too large to back up`)
    if (size + entrySize > FRAME_FILL_BYTES) {
      yield { kind: 'records', entries }
      entries = []
      size = 0
    }
    entries.push([key, json])
    size += entrySize
    records++
  }
  if (entries.length > 0) yield { kind: 'records', entries }
  yield { kind: 'end', records }
}

/** Write a backup of `profile` to a new file at `path` (0600). Frames are filled one at a time. */
export async function exportBackup(
  profile: UnlockedProfile,
  path: string,
  passphrase: string,
  options: { now: number; kdf?: KdfParams },
): Promise<{ bytes: number; records: number }> {
  let file: Awaited<ReturnType<typeof open>>
  try {
    file = await open(path, 'wx', 0o600)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException)?.code === 'EEXIST') throw new AlreadyExistsError(`${path} exists`)
    throw cause
  }
  try {
    const writer = await BackupWriter.create(
      async (chunk) => void (await file.write(chunk)),
      passphrase,
      options.kdf ?? DEFAULT_KDF_PARAMS,
    )
    let records = 0
    for await (const frame of profileFrames(profile, options.now)) {
      if (frame.kind === 'end') {
        records = frame.records
        await writer.frame(frameBytes(frame), true)
      } else await writer.frame(frameBytes(frame))
    }
    await file.sync()
    return { bytes: writer.bytes, records }
  } finally {
    await file.close()
  }
}

/**
 * The structure of a frame stream, checked frame by frame: the identity frame first and once,
 * records with valid keys of backed-up families only, the end frame last with the right count.
 */
export class FrameSequence {
  #index = 0
  #records = 0
  #ended = false

  /** Check the next frame (`final`: nothing may follow it); throws BackupFormatError. */
  accept(frame: Frame, final: boolean): void {
    if (this.#ended) throw new BackupFormatError('a frame after the end frame')
    if ((this.#index === 0) !== (frame.kind === 'identity'))
      throw new BackupFormatError('the identity frame must come first, and once')
    if ((frame.kind === 'end') !== final) throw new BackupFormatError('the end frame must be the final one')
    if (frame.kind === 'records') {
      for (const [key] of frame.entries) {
        try {
          checkRecordKey(key)
        } catch (cause) {
          throw new BackupFormatError('a backup record has an invalid key', { cause })
        }
        if (!isBackedUp(key)) throw new BackupFormatError('a backup holds a record it must not')
      }
      this.#records += frame.entries.length
    }
    if (frame.kind === 'end') {
      if (frame.records !== this.#records) throw new BackupFormatError('the record count does not match')
      this.#ended = true
    }
    this.#index++
  }

  get ended(): boolean {
    return this.#ended
  }

  get records(): number {
    return this.#records
  }
}

/** Read every frame of a backup in order, handing each to `onFrame`; checks the structure. */
export async function readBackup(
  source: ByteSource,
  passphrase: string,
  onFrame: (frame: Frame) => Promise<void>,
): Promise<void> {
  const reader = await BackupReader.open(source, passphrase)
  const sequence = new FrameSequence()
  for (let next = await reader.next(); next !== null; next = await reader.next()) {
    const frame = parseFrame(next.plaintext)
    sequence.accept(frame, next.final)
    await onFrame(frame)
  }
  if (!sequence.ended) throw new BackupFormatError('the backup has no end frame')
}

/** A ByteSource over a file (one read per call). */
function fileSource(file: Awaited<ReturnType<typeof open>>): ByteSource {
  let position = 0
  return async (n) => {
    const buffer = new Uint8Array(n)
    const { bytesRead } = await file.read(buffer, 0, n, position)
    position += bytesRead
    return buffer.subarray(0, bytesRead)
  }
}

async function withFile<T>(path: string, run: (source: ByteSource) => Promise<T>): Promise<T> {
  const info = await stat(path)
  if (!info.isFile()) throw new BackupFormatError('the backup path is not a file')
  if (info.size > MAX_BACKUP_FILE_BYTES)
    throw new BackupFormatError(`backup over ${MAX_BACKUP_FILE_BYTES} bytes`)
  const file = await open(path, 'r')
  try {
    return await run(fileSource(file))
  } finally {
    await file.close()
  }
}

/**
 * The keystore secrets of a new device of the identity in `identity`: its identity seeds and
 * storage key, with a new device key and libp2p key unless given (a linked device made them
 * when it showed its code).
 */
export async function newDeviceSecrets(
  suite: CryptoSuite,
  identity: IdentityFrame,
  device?: { deviceKeySeed: Uint8Array; libp2pPrivateKey: Uint8Array },
): Promise<KeystoreSecrets> {
  return {
    identitySeed: identity.identitySeed,
    ...(identity.originIdentitySeed !== undefined ? { originIdentitySeed: identity.originIdentitySeed } : {}),
    deviceKeySeed: device?.deviceKeySeed ?? suite.ed25519Generate().secretKey,
    libp2pPrivateKey: device?.libp2pPrivateKey ?? privateKeyToProtobuf(await generateKeyPair('Ed25519')),
    storageKey: identity.storageKey,
    prekeys: [],
  }
}

export interface RestoreTarget {
  readonly hasIdentity: boolean
  /** Seal the secrets and open the profile; `init` fills its new store before the node starts. */
  create(secrets: KeystoreSecrets, init: (store: SealedStore) => Promise<void>): Promise<unknown>
}

/**
 * Restore a backup into a profile with no identity: a first pass checks the whole file (so a
 * damaged backup leaves no half profile), the second creates the keystore — the backup's identity
 * with NEW device and libp2p keys — and writes the records, one frame's batch at a time.
 */
export async function importBackup(
  suite: CryptoSuite,
  target: RestoreTarget,
  path: string,
  passphrase: string,
): Promise<{ records: number }> {
  if (target.hasIdentity) throw new AlreadyExistsError('this profile already has an identity')
  let identity: IdentityFrame | undefined
  let records = 0
  await withFile(path, (source) =>
    readBackup(source, passphrase, async (frame) => {
      if (frame.kind === 'identity') identity = frame
      if (frame.kind === 'end') records = frame.records
    }),
  )
  if (identity === undefined) throw new BackupFormatError('the backup has no identity')
  const secrets = await newDeviceSecrets(suite, identity)
  await target.create(secrets, (store) =>
    withFile(path, (source) =>
      readBackup(source, passphrase, async (frame) => {
        if (frame.kind !== 'records') return
        const ops: BatchOp[] = frame.entries.map(([key, json]) => ({
          type: 'put',
          key,
          value: decodeJson(json),
        }))
        await store.batch(ops)
      }),
    ),
  )
  return { records }
}

/**
 * The relay's persistent libp2p identity: an Ed25519 private key in <dataDir>/identity.key
 * (protobuf PrivateKey bytes, mode 0600, data dir 0700). Created on first start; refused when
 * group- or world-readable, because anyone who reads it can impersonate the relay and forge receipts.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IDENTITY_KEY_FILE } from './constants.ts'
import { IdentityKeyError } from './errors.ts'

/** Permission bits that must be clear on the key file: any access by group or others. */
const UNSAFE_KEY_MODE_BITS = 0o077

export async function loadOrCreateIdentityKey(dataDir: string): Promise<PrivateKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, IDENTITY_KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    const info = await stat(path)
    if ((info.mode & UNSAFE_KEY_MODE_BITS) !== 0)
      throw new IdentityKeyError(`${path} is readable by others; run chmod 600 on it`)
    bytes = await readFile(path)
  } catch (err) {
    if (err instanceof IdentityKeyError) throw err
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new IdentityKeyError(`cannot read ${path}`, { cause: err })
  }
  if (bytes !== undefined) {
    try {
      const key = privateKeyFromProtobuf(bytes)
      if (key.type !== 'Ed25519') throw new IdentityKeyError(`${path} holds a ${key.type} key, need Ed25519`)
      return key
    } catch (err) {
      if (err instanceof IdentityKeyError) throw err
      throw new IdentityKeyError(`${path} is not a libp2p private key`, { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  await chmod(path, 0o600)
  return key
}

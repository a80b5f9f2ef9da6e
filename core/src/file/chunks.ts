/**
 * A file is encrypted once, in chunks (issue 16):
 *
 *   chunkKey = HKDF-SHA256(ikm = fileKey, salt = fileId, info = FILE_CHUNK_KEY_LABEL, 32)
 *   nonce_i  = u64be(i) ‖ u32be(last ? 1 : 0)
 *   aad_i    = FILE_CHUNK_AAD_LABEL ‖ fileId ‖ u32be(chunkCount)
 *   c_i      = AES-256-GCM(chunkKey, nonce_i, p_i, aad_i)
 *
 * Every chunk but the last holds exactly `chunkBytes` of plaintext. The index and the last flag
 * in the nonce make a chunk fail to open anywhere but its own place (reordering, and a truncated
 * file whose new last chunk was not sealed as last, are detected); the file id and chunk count in
 * the associated data keep chunks of one file out of another. A key encrypts one file only (a
 * fresh random file key per file), so nonces never repeat under a key.
 *
 * The manifest is the concatenation of SHA-256(c_i); the pointer carries SHA-256(manifest), so
 * a chunk from an untrusted source (a relay blob, a peer) is checked against its hash before it
 * is opened or written.
 */
import { bytesEqual, concatBytes, u32be, u64be, utf8, wipe } from '../bytes.ts'
import { checkKey } from '../checks.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { DecodeError, FileLayoutError } from '../errors.ts'
import {
  FILE_CHUNK_AAD_LABEL,
  FILE_CHUNK_KEY_LABEL,
  FILE_HASH_BYTES,
  FILE_ID_BYTES,
  FILE_KEY_BYTES,
  MAX_FILE_CHUNKS,
} from './constants.ts'

/** How the plaintext of one file is cut: chunk size and count (from the pointer). */
export interface ChunkLayout {
  readonly fileId: Uint8Array
  readonly size: number
  readonly chunkBytes: number
  readonly chunkCount: number
}

/** A fresh file id and file key from the suite's random source. */
export function newFileSecrets(suite: CryptoSuite): { fileId: Uint8Array; fileKey: Uint8Array } {
  return { fileId: suite.randomBytes(FILE_ID_BYTES), fileKey: suite.randomBytes(FILE_KEY_BYTES) }
}

/** Chunks a file of `size` bytes takes (an empty file is one empty chunk). */
export function chunkCountFor(size: number, chunkBytes: number): number {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new FileLayoutError('file size must be a non-negative integer')
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0)
    throw new FileLayoutError('chunk size must be positive')
  const count = Math.max(1, Math.ceil(size / chunkBytes))
  if (count > MAX_FILE_CHUNKS)
    throw new FileLayoutError(`a file of ${size} bytes needs over ${MAX_FILE_CHUNKS} chunks`)
  return count
}

/** Plaintext bytes of chunk `index` (the last one holds the rest). */
export function chunkPlainLength(layout: ChunkLayout, index: number): number {
  checkIndex(layout, index)
  if (index < layout.chunkCount - 1) return layout.chunkBytes
  return layout.size - layout.chunkBytes * (layout.chunkCount - 1)
}

/** The layout is self-consistent: the count fits the size, ids have their lengths. */
export function checkLayout(layout: ChunkLayout): void {
  if (layout.fileId.length !== FILE_ID_BYTES) throw new DecodeError('file id has the wrong length')
  if (chunkCountFor(layout.size, layout.chunkBytes) !== layout.chunkCount)
    throw new DecodeError('chunk count does not match the file size')
}

function checkIndex(layout: ChunkLayout, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= layout.chunkCount)
    throw new FileLayoutError(`chunk index ${index} outside 0..${layout.chunkCount - 1}`)
}

function chunkKey(suite: CryptoSuite, fileKey: Uint8Array, fileId: Uint8Array): Uint8Array {
  checkKey('file key', fileKey, FILE_KEY_BYTES)
  return suite.hkdf(fileKey, fileId, utf8(FILE_CHUNK_KEY_LABEL), 32)
}

function nonceOf(layout: ChunkLayout, index: number): Uint8Array {
  return concatBytes(u64be(index), u32be(index === layout.chunkCount - 1 ? 1 : 0))
}

function aadOf(layout: ChunkLayout): Uint8Array {
  return concatBytes(utf8(FILE_CHUNK_AAD_LABEL), layout.fileId, u32be(layout.chunkCount))
}

/** Seal chunk `index`; its plaintext must have exactly chunkPlainLength(layout, index) bytes. */
export function sealChunk(
  suite: CryptoSuite,
  fileKey: Uint8Array,
  layout: ChunkLayout,
  index: number,
  plaintext: Uint8Array,
): Uint8Array {
  const expected = chunkPlainLength(layout, index)
  if (plaintext.length !== expected)
    throw new FileLayoutError(`chunk ${index} must hold ${expected} bytes, not ${plaintext.length}`)
  const key = chunkKey(suite, fileKey, layout.fileId)
  try {
    return suite.aesGcmEncrypt(key, nonceOf(layout, index), plaintext, aadOf(layout))
  } finally {
    wipe(key)
  }
}

/** Open chunk `index`: AeadError when it is not that chunk of that file under that key. */
export function openChunk(
  suite: CryptoSuite,
  fileKey: Uint8Array,
  layout: ChunkLayout,
  index: number,
  ciphertext: Uint8Array,
): Uint8Array {
  checkIndex(layout, index)
  const key = chunkKey(suite, fileKey, layout.fileId)
  try {
    const plaintext = suite.aesGcmDecrypt(key, nonceOf(layout, index), ciphertext, aadOf(layout))
    if (plaintext.length !== chunkPlainLength(layout, index))
      throw new DecodeError(
        `chunk ${index} holds ${plaintext.length} bytes, not ${chunkPlainLength(layout, index)}`,
      )
    return plaintext
  } finally {
    wipe(key)
  }
}

/** SHA-256 of a ciphertext chunk (its entry in the manifest). */
export function chunkHash(suite: CryptoSuite, ciphertext: Uint8Array): Uint8Array {
  return suite.sha256(ciphertext)
}

/** The manifest hash the pointer carries: SHA-256 over the chunk hashes in order. */
export function manifestHash(suite: CryptoSuite, manifest: Uint8Array): Uint8Array {
  return suite.sha256(manifest)
}

/** Check a manifest against the pointer's hash and layout; returns the hash of each chunk. */
export function readManifest(
  suite: CryptoSuite,
  layout: ChunkLayout,
  expectedHash: Uint8Array,
  manifest: Uint8Array,
): Uint8Array[] {
  if (manifest.length !== layout.chunkCount * FILE_HASH_BYTES)
    throw new DecodeError(`manifest of ${manifest.length} bytes for ${layout.chunkCount} chunks`)
  if (!bytesEqual(manifestHash(suite, manifest), expectedHash))
    throw new DecodeError('manifest does not match the pointer')
  const hashes: Uint8Array[] = []
  for (let i = 0; i < layout.chunkCount; i++)
    hashes.push(manifest.subarray(i * FILE_HASH_BYTES, (i + 1) * FILE_HASH_BYTES))
  return hashes
}

/** A chunk from an untrusted source is the one the manifest names (checked before opening). */
export function chunkMatches(suite: CryptoSuite, expectedHash: Uint8Array, ciphertext: Uint8Array): boolean {
  return bytesEqual(chunkHash(suite, ciphertext), expectedHash)
}

/**
 * Capabilities of a file's blobs on one replica relay (issue 16, offline path).
 *
 * The uploader picks one random seed per replica; every blob of the file on that relay gets an
 * id, a read token and a delete token derived from it:
 *
 *   blobId_s      = HKDF-SHA256(seed, salt = u32be(s), info = BLOB_ID_LABEL, 16)
 *   readToken_s   = HKDF-SHA256(seed, salt = u32be(s), info = BLOB_READ_TOKEN_LABEL, 32)
 *   deleteToken_s = HKDF-SHA256(seed, salt = u32be(s), info = BLOB_DELETE_TOKEN_LABEL, 32)
 *
 * where slot s = i for chunk i and s = chunkCount for the manifest. To the relay the ids and
 * tokens are as good as independent random values (HKDF is a PRF keyed by a secret seed it never
 * sees), and the pointer carries one 32-byte seed per replica instead of 80 bytes per chunk (a
 * 100 MiB file has 400 chunks: 32 KiB of capabilities per replica would not fit in a message).
 * The uploader gives the relay only SHA-256 of each token; a token reaches the relay only when
 * the recipient presents it, for that one blob. Distinct seeds per replica: what one relay learns
 * from the recipient's reads opens nothing on the other.
 */
import { u32be, utf8 } from '../bytes.ts'
import { checkKey, checkUint } from '../checks.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { MAX_FILE_CHUNKS } from '../file/constants.ts'
import {
  BLOB_CAP_SEED_BYTES,
  BLOB_DELETE_TOKEN_LABEL,
  BLOB_ID_BYTES,
  BLOB_ID_LABEL,
  BLOB_READ_TOKEN_LABEL,
  BLOB_TOKEN_BYTES,
} from './constants.ts'

export interface BlobCaps {
  readonly blobId: Uint8Array
  readonly readToken: Uint8Array
  readonly deleteToken: Uint8Array
}

/** A fresh replica seed from the suite's random source. */
export function newCapSeed(suite: CryptoSuite): Uint8Array {
  return suite.randomBytes(BLOB_CAP_SEED_BYTES)
}

/** The id and tokens of slot `slot` (chunk index, or chunkCount for the manifest). */
export function blobCaps(suite: CryptoSuite, seed: Uint8Array, slot: number): BlobCaps {
  checkKey('blob cap seed', seed, BLOB_CAP_SEED_BYTES)
  checkUint('blob slot', slot, MAX_FILE_CHUNKS)
  const salt = u32be(slot)
  return {
    blobId: suite.hkdf(seed, salt, utf8(BLOB_ID_LABEL), BLOB_ID_BYTES),
    readToken: suite.hkdf(seed, salt, utf8(BLOB_READ_TOKEN_LABEL), BLOB_TOKEN_BYTES),
    deleteToken: suite.hkdf(seed, salt, utf8(BLOB_DELETE_TOKEN_LABEL), BLOB_TOKEN_BYTES),
  }
}

/** What the relay stores and compares: SHA-256 of a token. */
export function tokenHash(suite: CryptoSuite, token: Uint8Array): Uint8Array {
  return suite.sha256(token)
}

/** The manifest's slot: after the last chunk's. */
export function manifestSlot(chunkCount: number): number {
  return chunkCount
}

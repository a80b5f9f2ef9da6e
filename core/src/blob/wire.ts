/**
 * Frames of /wren/blob/1.0.0, parsed once at the edge into typed values. decodeBlobRequest is the
 * relay's parser, decodeBlobResponse the node's: size cap first, protons errors become
 * DecodeError, every field's length checked per kind. A put's data is not capped here beyond the
 * frame: the relay answers an oversized blob with BLOB_STATUS_TOO_LARGE, not MALFORMED.
 */
import { checkDecodedLength, checkDecodedUint, decodeCapped } from '../checks.ts'
import { DecodeError } from '../errors.ts'
import { BlobRequest as BlobRequestProto, BlobResponse as BlobResponseProto } from '../proto/blob.ts'
import {
  BLOB_ID_BYTES,
  BLOB_TOKEN_BYTES,
  BLOB_TOKEN_HASH_BYTES,
  BLOB_WIRE_VERSION,
  MAX_BLOB_BYTES,
  MAX_BLOB_REQUEST_BYTES,
  MAX_BLOB_RESPONSE_BYTES,
} from './constants.ts'

/** Request kinds. */
export const BLOB_PUT = 1
export const BLOB_GET = 2
export const BLOB_DELETE = 3

/** Response statuses (0 = success; every other is a refusal reason). */
export const BLOB_STATUS_OK = 0
/** No blob with that id (never stored, expired, or deleted). */
export const BLOB_STATUS_NOT_FOUND = 1
/** The token does not open that blob. */
export const BLOB_STATUS_DENIED = 2
/** The sender's blobs on this relay hold their quota of bytes. */
export const BLOB_STATUS_QUOTA_BYTES = 3
/** The sender's blobs on this relay hold their quota of blobs. */
export const BLOB_STATUS_QUOTA_COUNT = 4
/** The relay's blob store is full. */
export const BLOB_STATUS_RELAY_FULL = 5
/** A blob with that id exists already (ids are random: a replay, or a clash never seen). */
export const BLOB_STATUS_EXISTS = 6
/** The blob is over MAX_BLOB_BYTES (or the frame over its cap). */
export const BLOB_STATUS_TOO_LARGE = 7
/** The frame could not be decoded or has invalid fields. */
export const BLOB_STATUS_MALFORMED = 8
/** The relay failed internally (storage error); the request may be retried. */
export const BLOB_STATUS_INTERNAL = 9

const STATUS_NAMES: Readonly<Record<number, string>> = {
  [BLOB_STATUS_OK]: 'ok',
  [BLOB_STATUS_NOT_FOUND]: 'not_found',
  [BLOB_STATUS_DENIED]: 'denied',
  [BLOB_STATUS_QUOTA_BYTES]: 'quota_bytes',
  [BLOB_STATUS_QUOTA_COUNT]: 'quota_count',
  [BLOB_STATUS_RELAY_FULL]: 'relay_full',
  [BLOB_STATUS_EXISTS]: 'exists',
  [BLOB_STATUS_TOO_LARGE]: 'too_large',
  [BLOB_STATUS_MALFORMED]: 'malformed',
  [BLOB_STATUS_INTERNAL]: 'internal',
}

/** Stable lowercase name of a status (logs, metrics, client refusals). */
export function blobStatusName(status: number): string {
  return STATUS_NAMES[status] ?? 'unknown'
}

export type BlobRequest =
  | {
      readonly kind: typeof BLOB_PUT
      readonly blobId: Uint8Array
      readonly readTokenHash: Uint8Array
      readonly deleteTokenHash: Uint8Array
      readonly data: Uint8Array
    }
  | {
      readonly kind: typeof BLOB_GET | typeof BLOB_DELETE
      readonly blobId: Uint8Array
      readonly token: Uint8Array
    }

export interface BlobResponse {
  readonly status: number
  /** The blob, on a get that succeeded; empty otherwise. */
  readonly data: Uint8Array
  /** On a put that succeeded: when the relay drops the blob (ms since the epoch); 0 otherwise. */
  readonly expiresAt: number
}

type Buf = Uint8Array<ArrayBuffer>
const EMPTY = new Uint8Array(0) as Buf

export function encodeBlobRequest(request: BlobRequest): Uint8Array {
  const put = request.kind === BLOB_PUT
  return BlobRequestProto.encode({
    version: BLOB_WIRE_VERSION,
    kind: request.kind,
    blobId: request.blobId as Buf,
    token: put ? EMPTY : (request.token as Buf),
    readTokenHash: put ? (request.readTokenHash as Buf) : EMPTY,
    deleteTokenHash: put ? (request.deleteTokenHash as Buf) : EMPTY,
    data: put ? (request.data as Buf) : EMPTY,
  })
}

/** Parse an untrusted request (MAX_BLOB_REQUEST_BYTES first). */
export function decodeBlobRequest(bytes: Uint8Array): BlobRequest {
  const p = decodeCapped('blob request', bytes, MAX_BLOB_REQUEST_BYTES, (b) => BlobRequestProto.decode(b))
  if (p.version !== BLOB_WIRE_VERSION) throw new DecodeError(`blob request version ${p.version}`)
  checkDecodedLength('blob id', p.blobId, BLOB_ID_BYTES)
  if (p.kind === BLOB_PUT) {
    if (p.token.length > 0) throw new DecodeError('a put carries token hashes, not a token')
    checkDecodedLength('read token hash', p.readTokenHash, BLOB_TOKEN_HASH_BYTES)
    checkDecodedLength('delete token hash', p.deleteTokenHash, BLOB_TOKEN_HASH_BYTES)
    return {
      kind: BLOB_PUT,
      blobId: p.blobId,
      readTokenHash: p.readTokenHash,
      deleteTokenHash: p.deleteTokenHash,
      data: p.data,
    }
  }
  if (p.kind === BLOB_GET || p.kind === BLOB_DELETE) {
    checkDecodedLength('blob token', p.token, BLOB_TOKEN_BYTES)
    if (p.readTokenHash.length + p.deleteTokenHash.length + p.data.length > 0)
      throw new DecodeError('a get or delete carries only an id and a token')
    return { kind: p.kind, blobId: p.blobId, token: p.token }
  }
  throw new DecodeError(`unknown blob request kind ${p.kind}`)
}

export function encodeBlobResponse(response: BlobResponse): Uint8Array {
  return BlobResponseProto.encode({
    status: response.status,
    data: response.data as Buf,
    expiresAt: response.expiresAt,
  })
}

/** Parse an untrusted response (MAX_BLOB_RESPONSE_BYTES first); data only with OK. */
export function decodeBlobResponse(bytes: Uint8Array): BlobResponse {
  const p = decodeCapped('blob response', bytes, MAX_BLOB_RESPONSE_BYTES, (b) => BlobResponseProto.decode(b))
  if (!Object.hasOwn(STATUS_NAMES, p.status)) throw new DecodeError(`unknown blob status ${p.status}`)
  if (p.data.length > MAX_BLOB_BYTES) throw new DecodeError('blob response data is too large')
  if (p.status !== BLOB_STATUS_OK && p.data.length > 0) throw new DecodeError('data in a refusal')
  checkDecodedUint('blob expiry', p.expiresAt)
  return { status: p.status, data: p.data, expiresAt: p.expiresAt }
}

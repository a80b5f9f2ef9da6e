/**
 * Frames of /wren/file/1.0.0, parsed once here at the edge into typed values: every decoder caps
 * the size first, then checks every field (node/test/file-wire.test.ts fuzzes both).
 */
import { checkDecodedLength, decodeCapped } from '../../../core/src/checks.ts'
import { DecodeError, UnsupportedVersionError } from '../../../core/src/errors.ts'
import { FILE_ID_BYTES, MAX_FILE_CHUNKS } from '../../../core/src/file/constants.ts'
import {
  FILE_WIRE_VERSION,
  MANIFEST_HASHES_PER_REQUEST,
  MAX_FILE_REQUEST_BYTES,
  MAX_FILE_RESPONSE_BYTES,
  MAX_FILE_RESPONSE_DATA_BYTES,
  MAX_RANGE_CHUNKS,
} from './constants.ts'
import { FileRequest as FileRequestProto, FileResponse as FileResponseProto } from './proto/file-transfer.ts'

/** Request kinds. */
export const FILE_REQUEST_MANIFEST = 1
export const FILE_REQUEST_CHUNK = 2
/** Chunks [index, index + count) streamed back to back on the request's stream, one response frame each. */
export const FILE_REQUEST_RANGE = 3
/** Response statuses. NOT_FOUND also answers a peer the file was not sent to (nothing is revealed). */
export const FILE_STATUS_OK = 0
export const FILE_STATUS_NOT_FOUND = 1
export const FILE_STATUS_BAD_REQUEST = 2
const STATUSES = new Set([FILE_STATUS_OK, FILE_STATUS_NOT_FOUND, FILE_STATUS_BAD_REQUEST])

export type FileRequest =
  | {
      readonly kind: typeof FILE_REQUEST_MANIFEST
      readonly fileId: Uint8Array
      readonly index: number
      readonly count: number
    }
  | { readonly kind: typeof FILE_REQUEST_CHUNK; readonly fileId: Uint8Array; readonly index: number }
  | {
      readonly kind: typeof FILE_REQUEST_RANGE
      readonly fileId: Uint8Array
      readonly index: number
      readonly count: number
    }

export interface FileResponse {
  readonly status: number
  readonly data: Uint8Array
}

type Buf = Uint8Array<ArrayBuffer>

export function encodeFileRequest(request: FileRequest): Uint8Array {
  return FileRequestProto.encode({
    version: FILE_WIRE_VERSION,
    fileId: request.fileId as Buf,
    kind: request.kind,
    index: request.index,
    count: request.kind === FILE_REQUEST_CHUNK ? 1 : request.count,
  })
}

/** Parse an untrusted request (MAX_FILE_REQUEST_BYTES first). */
export function decodeFileRequest(bytes: Uint8Array): FileRequest {
  const proto = decodeCapped('file request', bytes, MAX_FILE_REQUEST_BYTES, (b) => FileRequestProto.decode(b))
  if (proto.version !== FILE_WIRE_VERSION)
    throw new UnsupportedVersionError(`file request version ${proto.version}`)
  checkDecodedLength('file id', proto.fileId, FILE_ID_BYTES)
  if (proto.index >= MAX_FILE_CHUNKS) throw new DecodeError('index out of range')
  if (proto.kind === FILE_REQUEST_CHUNK) {
    if (proto.count !== 1) throw new DecodeError('a chunk request names one chunk')
    return { kind: FILE_REQUEST_CHUNK, fileId: proto.fileId, index: proto.index }
  }
  if (proto.kind === FILE_REQUEST_MANIFEST) {
    if (proto.count < 1 || proto.count > MANIFEST_HASHES_PER_REQUEST)
      throw new DecodeError(`manifest request for ${proto.count} hashes`)
    return { kind: FILE_REQUEST_MANIFEST, fileId: proto.fileId, index: proto.index, count: proto.count }
  }
  if (proto.kind === FILE_REQUEST_RANGE) {
    // one range is one request for the peer guard: its length is capped so a token buys bounded work
    if (proto.count < 1 || proto.count > MAX_RANGE_CHUNKS)
      throw new DecodeError(`range request for ${proto.count} chunks`)
    if (proto.index + proto.count > MAX_FILE_CHUNKS) throw new DecodeError('range out of range')
    return { kind: FILE_REQUEST_RANGE, fileId: proto.fileId, index: proto.index, count: proto.count }
  }
  throw new DecodeError(`unknown file request kind ${proto.kind}`)
}

export function encodeFileResponse(response: FileResponse): Uint8Array {
  return FileResponseProto.encode({ status: response.status, data: response.data as Buf })
}

/**
 * Room before a chunk for okFrameInPlace: the data field's tag (1 byte) and its length as a
 * varint (≤ 5 bytes for any 32-bit length).
 */
export const OK_FRAME_HEADROOM = 6
/** Wire type 2 (length-delimited) of FileResponse field 2, data. */
const DATA_FIELD_TAG = (2 << 3) | 2

/**
 * The OK response frame around `buffer`'s data after OK_FRAME_HEADROOM bytes, written into that
 * headroom: the same bytes as encodeFileResponse({ status: OK, data }) (proto3 leaves the status 0
 * out), without copying the data.
 */
export function okFrameInPlace(buffer: Uint8Array): Uint8Array {
  let length = buffer.length - OK_FRAME_HEADROOM
  if (length < 0) throw new RangeError('no headroom for the frame header')
  if (length === 0) return encodeFileResponse({ status: FILE_STATUS_OK, data: new Uint8Array(0) })
  const varint: number[] = []
  do {
    const low = length & 0x7f
    length >>>= 7
    varint.push(length === 0 ? low : low | 0x80)
  } while (length !== 0)
  const start = OK_FRAME_HEADROOM - 1 - varint.length
  buffer[start] = DATA_FIELD_TAG
  buffer.set(varint, start + 1)
  return buffer.subarray(start)
}

/** Parse an untrusted response (MAX_FILE_RESPONSE_BYTES first); data only with OK. */
export function decodeFileResponse(bytes: Uint8Array): FileResponse {
  const proto = decodeCapped('file response', bytes, MAX_FILE_RESPONSE_BYTES, (b) =>
    FileResponseProto.decode(b),
  )
  if (!STATUSES.has(proto.status)) throw new DecodeError(`unknown file response status ${proto.status}`)
  if (proto.data.length > MAX_FILE_RESPONSE_DATA_BYTES)
    throw new DecodeError('file response data is too large')
  if (proto.status !== FILE_STATUS_OK && proto.data.length > 0) throw new DecodeError('data in a refusal')
  return { status: proto.status, data: proto.data }
}

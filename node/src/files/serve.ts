/**
 * The sender's side of /wren/file/1.0.0: answers a receiver's requests for the manifest and the
 * chunks of a file it sent, from the store as they were sealed (nothing is decrypted here).
 * Only a device the file was sent to gets an answer (the contact's, or a current member's of the
 * group it was sent in: `mayFetch` decides at every request), and only on a direct
 * connection (libp2p refuses the protocol on limited ones; a circuit that carries no limits on
 * this side is refused here); anyone else learns nothing, not even that the file exists.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { toHex } from '../../../core/src/bytes.ts'
import { type ChunkLayout, chunkPlainLength } from '../../../core/src/file/chunks.ts'
import { FILE_HASH_BYTES } from '../../../core/src/file/constants.ts'
import { decodeFilePointer } from '../../../core/src/file/pointer.ts'
import type { Logger } from '../log.ts'
import { connectionPath } from '../messaging/message-path.ts'
import { handleRequests, type RequestContext, type ResponseFrames } from '../p2p/request-response.ts'
import {
  CHUNK_TAG_BYTES,
  FILE_PEER_LIMIT,
  FILE_PROTOCOL,
  FILE_REQUEST_TIMEOUT_MS,
  MAX_FILE_REQUEST_BYTES,
} from './constants.ts'
import type { ChunkSource } from './file-store.ts'
import type { AttachmentRecord } from './records.ts'
import {
  decodeFileRequest,
  encodeFileResponse,
  FILE_REQUEST_CHUNK,
  FILE_REQUEST_RANGE,
  FILE_STATUS_BAD_REQUEST,
  FILE_STATUS_NOT_FOUND,
  FILE_STATUS_OK,
  type FileRequest,
  OK_FRAME_HEADROOM,
  okFrameInPlace,
} from './wire.ts'

export interface FileServerDeps {
  readonly libp2p: Libp2p
  readonly source: ChunkSource
  /** Whether the device `peer` may fetch the sent file of `record`. */
  mayFetch(record: AttachmentRecord, peer: PeerId): Promise<boolean>
  readonly log: Logger
  /**
   * `chunks` chunks (0: a manifest piece) were handed to `peer`'s stream (for the offline
   * fallback and tests: attachments.get's servedChunks).
   */
  onServed?(fileIdHex: string, chunks: number, peer: PeerId): void
  /** Serve range requests (default); false answers them as a sender from before ranges: malformed. */
  readonly ranges?: boolean
}

const NOT_FOUND = encodeFileResponse({ status: FILE_STATUS_NOT_FOUND, data: new Uint8Array(0) })
const BAD_REQUEST = encodeFileResponse({ status: FILE_STATUS_BAD_REQUEST, data: new Uint8Array(0) })

async function answer(
  deps: FileServerDeps,
  bytes: Uint8Array,
  ctx: RequestContext,
): Promise<Uint8Array | ResponseFrames> {
  if (connectionPath(ctx.connection) === 'relayed') return BAD_REQUEST
  let request: FileRequest
  try {
    request = decodeFileRequest(bytes)
    if (request.kind === FILE_REQUEST_RANGE && deps.ranges === false) throw new Error('no ranges here')
  } catch {
    ctx.malformed()
    return BAD_REQUEST
  }
  const fileIdHex = toHex(request.fileId)
  const record = await deps.source.attachment(fileIdHex)
  // a file being (or once) uploaded to relays is still served directly
  if (record === undefined || record.direction !== 'out' || record.state === 'cancelled') {
    ctx.unwanted()
    return NOT_FOUND
  }
  if (!(await deps.mayFetch(record, ctx.peerId))) {
    deps.log.debug('file request from a peer the file was not sent to', { peer: ctx.peerId.toString() })
    ctx.unwanted()
    return NOT_FOUND
  }
  const pointer = decodeFilePointer(record.pointer)
  const { chunkCount } = pointer
  if (request.kind === FILE_REQUEST_CHUNK) {
    if (request.index >= chunkCount) return BAD_REQUEST
    const chunk = await deps.source.chunk(fileIdHex, request.index)
    if (chunk === undefined) return NOT_FOUND
    deps.onServed?.(fileIdHex, 1, ctx.peerId)
    return encodeFileResponse({ status: FILE_STATUS_OK, data: chunk })
  }
  if (request.kind === FILE_REQUEST_RANGE) {
    if (request.index + request.count > chunkCount) return BAD_REQUEST
    return { frames: rangeFrames(deps, pointer, fileIdHex, request.index, request.count, ctx.peerId) }
  }
  if (request.index + request.count > chunkCount) return BAD_REQUEST
  const manifest = await deps.source.manifest(fileIdHex)
  if (manifest === undefined) return NOT_FOUND
  deps.onServed?.(fileIdHex, 0, ctx.peerId)
  const data = manifest.subarray(
    request.index * FILE_HASH_BYTES,
    (request.index + request.count) * FILE_HASH_BYTES,
  )
  return encodeFileResponse({ status: FILE_STATUS_OK, data })
}

/**
 * Chunks [from, from + count) as response frames, read from the store one ahead of the stream's
 * writes (the handler awaits each drain before asking for the next); a chunk missing from the
 * store ends the range with NOT_FOUND.
 */
async function* rangeFrames(
  deps: FileServerDeps,
  layout: ChunkLayout,
  fileIdHex: string,
  from: number,
  count: number,
  peer: PeerId,
): AsyncGenerator<Uint8Array> {
  const { source } = deps
  // the chunk is read after the frame header's room where the source can, and framed in place
  const read = (index: number): Promise<Uint8Array | undefined> => {
    const reading =
      source.chunkAfter !== undefined
        ? source.chunkAfter(
            fileIdHex,
            index,
            OK_FRAME_HEADROOM,
            chunkPlainLength(layout, index) + CHUNK_TAG_BYTES,
          )
        : source.chunk(fileIdHex, index)
    reading.catch(() => {}) // awaited below, unless the stream failed first
    return reading
  }
  let next = read(from)
  for (let index = from; index < from + count; index++) {
    const chunk = await next
    if (index + 1 < from + count) next = read(index + 1)
    if (chunk === undefined) {
      yield NOT_FOUND
      return
    }
    deps.onServed?.(fileIdHex, 1, peer)
    yield source.chunkAfter !== undefined
      ? okFrameInPlace(chunk)
      : encodeFileResponse({ status: FILE_STATUS_OK, data: chunk })
  }
}

/** Register the handler; undo with `libp2p.unhandle(FILE_PROTOCOL)`. */
export function startFileServer(deps: FileServerDeps): Promise<void> {
  return handleRequests(deps.libp2p, FILE_PROTOCOL, (request, ctx) => answer(deps, request, ctx), {
    maxRequestBytes: MAX_FILE_REQUEST_BYTES,
    timeoutMs: FILE_REQUEST_TIMEOUT_MS,
    limit: FILE_PEER_LIMIT,
    onError: (err, ctx) =>
      deps.log.debug('file exchange failed', { peer: ctx.peerId.toString(), error: (err as Error)?.name }),
  })
}

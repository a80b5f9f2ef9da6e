/**
 * A file's pointer: what travels inside a normal encrypted message (1:1 or group) so the
 * recipient can fetch, check and open the file — id, size, media type, name, the file key, the
 * chunk layout, the manifest hash, and for images an inline thumbnail and the size in pixels.
 * The pointer is as secret as the message that carries it (it holds the file key).
 *
 * For the offline path it also names the relays holding the sealed chunks (0 or BLOB_REPLICAS
 * distinct relays, each with its addresses and the seed of its blob capabilities); replicas are
 * allowed only for a file the offline path carries (≤ MAX_OFFLINE_FILE_BYTES, chunks that fit a blob).
 *
 * decodeFilePointer takes untrusted bytes: size cap first, every field's length and range
 * checked, the layout checked against the size; names are kept as given (the node sanitises a
 * name before it touches the filesystem).
 */

import {
  BLOB_CAP_SEED_BYTES,
  BLOB_REPLICAS,
  MAX_BLOB_BYTES,
  MAX_REPLICA_ADDRS,
  MAX_REPLICA_PEER_ID_BYTES,
} from '../blob/constants.ts'
import { bytesEqual } from '../bytes.ts'
import { checkDecodedLength, decodeCapped } from '../checks.ts'
import { MAX_MULTIADDR_BYTES } from '../constants.ts'
import { DecodeError, FileLayoutError, UnsupportedVersionError } from '../errors.ts'
import { FilePointer as FilePointerProto } from '../proto/file.ts'
import { checkLayout } from './chunks.ts'
import {
  FILE_HASH_BYTES,
  FILE_ID_BYTES,
  FILE_KEY_BYTES,
  FILE_POINTER_VERSION,
  MAX_FILE_CHUNK_BYTES,
  MAX_FILE_NAME_BYTES,
  MAX_FILE_POINTER_BYTES,
  MAX_IMAGE_SIDE_PX,
  MAX_MEDIA_TYPE_BYTES,
  MAX_OFFLINE_FILE_BYTES,
  MAX_THUMBNAIL_BYTES,
} from './constants.ts'

/** A relay holding a copy of the file's sealed chunks (the offline path). */
export interface BlobReplica {
  /** The relay's libp2p PeerId (multihash bytes). */
  readonly relayPeerId: Uint8Array
  /** Its multiaddrs (bytes), for a recipient that does not know the relay. */
  readonly addrs: readonly Uint8Array[]
  /** The seed of the blob ids and tokens on that relay (core/src/blob/caps.ts). */
  readonly capSeed: Uint8Array
}

export interface FilePointer {
  readonly fileId: Uint8Array
  readonly size: number
  readonly mediaType: string
  readonly name: string
  readonly fileKey: Uint8Array
  readonly chunkBytes: number
  readonly chunkCount: number
  readonly manifestHash: Uint8Array
  /** Empty when there is none. */
  readonly thumbnail: Uint8Array
  /** Image size in pixels; 0 when not an image or unknown. */
  readonly width: number
  readonly height: number
  /** Relays holding the chunks: none (direct path only) or BLOB_REPLICAS distinct ones. */
  readonly replicas: readonly BlobReplica[]
}

/** AES-GCM tag on every chunk. */
const CHUNK_TAG_BYTES = 16

type Buf = Uint8Array<ArrayBuffer>
const encoder = new TextEncoder()

function checkFields(p: FilePointer, fail: (message: string) => Error): void {
  if (p.fileId.length !== FILE_ID_BYTES) throw fail('file id has the wrong length')
  if (p.fileKey.length !== FILE_KEY_BYTES) throw fail('file key has the wrong length')
  if (p.manifestHash.length !== FILE_HASH_BYTES) throw fail('manifest hash has the wrong length')
  if (encoder.encode(p.name).length > MAX_FILE_NAME_BYTES)
    throw fail(`file name over ${MAX_FILE_NAME_BYTES} bytes`)
  if (encoder.encode(p.mediaType).length > MAX_MEDIA_TYPE_BYTES)
    throw fail(`media type over ${MAX_MEDIA_TYPE_BYTES} bytes`)
  if (p.thumbnail.length > MAX_THUMBNAIL_BYTES) throw fail(`thumbnail over ${MAX_THUMBNAIL_BYTES} bytes`)
  if (!Number.isInteger(p.chunkBytes) || p.chunkBytes < 1 || p.chunkBytes > MAX_FILE_CHUNK_BYTES)
    throw fail(`chunk size outside 1..${MAX_FILE_CHUNK_BYTES} bytes`)
  for (const side of [p.width, p.height])
    if (!Number.isInteger(side) || side < 0 || side > MAX_IMAGE_SIDE_PX) throw fail('image size out of range')
  checkReplicas(p, fail)
}

function checkReplicas(p: FilePointer, fail: (message: string) => Error): void {
  if (p.replicas.length === 0) return
  if (p.replicas.length !== BLOB_REPLICAS) throw fail(`a pointer names 0 or ${BLOB_REPLICAS} replicas`)
  if (p.size > MAX_OFFLINE_FILE_BYTES) throw fail(`replicas for a file over ${MAX_OFFLINE_FILE_BYTES} bytes`)
  if (p.chunkBytes + CHUNK_TAG_BYTES > MAX_BLOB_BYTES) throw fail('replicas for chunks larger than a blob')
  if (p.chunkCount * FILE_HASH_BYTES > MAX_BLOB_BYTES)
    throw fail('replicas for a manifest larger than a blob')
  for (const [i, r] of p.replicas.entries()) {
    if (r.relayPeerId.length < 1 || r.relayPeerId.length > MAX_REPLICA_PEER_ID_BYTES)
      throw fail('replica relay id out of range')
    if (r.capSeed.length !== BLOB_CAP_SEED_BYTES) throw fail('replica cap seed has the wrong length')
    if (r.addrs.length > MAX_REPLICA_ADDRS) throw fail(`replica with over ${MAX_REPLICA_ADDRS} addresses`)
    for (const a of r.addrs)
      if (a.length < 1 || a.length > MAX_MULTIADDR_BYTES) throw fail('replica address out of range')
    for (const other of p.replicas.slice(0, i))
      if (bytesEqual(other.relayPeerId, r.relayPeerId)) throw fail('replicas on the same relay')
  }
}

export function encodeFilePointer(pointer: FilePointer): Uint8Array {
  checkFields(pointer, (m) => new FileLayoutError(m))
  try {
    checkLayout(pointer)
  } catch (err) {
    throw new FileLayoutError((err as Error).message)
  }
  return FilePointerProto.encode({
    version: FILE_POINTER_VERSION,
    fileId: pointer.fileId as Buf,
    size: pointer.size,
    mediaType: pointer.mediaType,
    name: pointer.name,
    fileKey: pointer.fileKey as Buf,
    chunkBytes: pointer.chunkBytes,
    chunkCount: pointer.chunkCount,
    manifestHash: pointer.manifestHash as Buf,
    thumbnail: pointer.thumbnail as Buf,
    width: pointer.width,
    height: pointer.height,
    replicas: pointer.replicas.map((r) => ({
      relayPeerId: r.relayPeerId as Buf,
      addrs: r.addrs.map((a) => a as Buf),
      capSeed: r.capSeed as Buf,
    })),
  })
}

/** Parse untrusted bytes (size cap MAX_FILE_POINTER_BYTES first). */
export function decodeFilePointer(bytes: Uint8Array): FilePointer {
  const proto = decodeCapped('file pointer', bytes, MAX_FILE_POINTER_BYTES, (b) =>
    FilePointerProto.decode(b, {
      limits: { replicas: BLOB_REPLICAS, replicas$: { addrs: MAX_REPLICA_ADDRS } },
    }),
  )
  if (proto.version !== FILE_POINTER_VERSION)
    throw new UnsupportedVersionError(`file pointer version ${proto.version}`)
  checkDecodedLength('file id', proto.fileId, FILE_ID_BYTES)
  checkDecodedLength('file key', proto.fileKey, FILE_KEY_BYTES)
  checkDecodedLength('manifest hash', proto.manifestHash, FILE_HASH_BYTES)
  if (!Number.isSafeInteger(proto.size) || proto.size < 0) throw new DecodeError('file size out of range')
  const pointer: FilePointer = {
    fileId: proto.fileId,
    size: proto.size,
    mediaType: proto.mediaType,
    name: proto.name,
    fileKey: proto.fileKey,
    chunkBytes: proto.chunkBytes,
    chunkCount: proto.chunkCount,
    manifestHash: proto.manifestHash,
    thumbnail: proto.thumbnail,
    width: proto.width,
    height: proto.height,
    replicas: proto.replicas,
  }
  checkFields(pointer, (m) => new DecodeError(m))
  try {
    checkLayout(pointer)
  } catch (err) {
    throw new DecodeError((err as Error).message)
  }
  return pointer
}

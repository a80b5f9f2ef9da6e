/**
 * One run of pulling a file from its sender over /wren/file/1.0.0 (direct connections only), or
 * from the relays holding its blobs (relay-source.ts): the manifest first (checked against the pointer, then stored), then every chunk the bitmap
 * lacks, CHUNKS_IN_FLIGHT at a time. Each chunk is checked against the manifest before it is
 * written; chunk and bitmap go in one atomic write, so a run killed at any point resumes from
 * what was stored. A chunk that fails its hash is asked for again (MAX_CHUNK_REFETCHES), never
 * written.
 *
 * Expected network outcomes (unreachable, refused, timeout, a sender that serves bad bytes) come
 * back as a value: the service retries later. Only store faults throw.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { type ChunkLayout, chunkMatches, readManifest } from '../../../core/src/file/chunks.ts'
import { FILE_HASH_BYTES } from '../../../core/src/file/constants.ts'
import type { FilePointer } from '../../../core/src/file/pointer.ts'
import { sendRequest } from '../p2p/request-response.ts'
import {
  CHUNKS_IN_FLIGHT,
  FILE_PROTOCOL,
  FILE_REQUEST_TIMEOUT_MS,
  MANIFEST_HASHES_PER_REQUEST,
  MAX_CHUNK_REFETCHES,
  MAX_FILE_RESPONSE_BYTES,
} from './constants.ts'
import { type FileStore, hasChunk, newBitmap, setChunk } from './file-store.ts'
import {
  decodeFileResponse,
  encodeFileRequest,
  FILE_REQUEST_CHUNK,
  FILE_REQUEST_MANIFEST,
  FILE_STATUS_OK,
  type FileRequest,
} from './wire.ts'

export type RunOutcome =
  | { readonly ok: true }
  /** Try again later: the sender is unreachable, refused, slow, or served bad bytes. */
  | { readonly ok: false; readonly retry: true; readonly reason: string }
  /** Give up: the sender's manifest does not match the pointer (it will not get better). */
  | { readonly ok: false; readonly retry: false; readonly reason: string }

export interface DownloadDeps {
  readonly suite: CryptoSuite
  readonly files: FileStore
  readonly libp2p: Libp2p
  readonly signal: AbortSignal
  /** A chunk was stored: how many the bitmap holds now. */
  onChunk(have: number): void
  /** A chunk failed its hash and was refused. */
  onRefused(index: number): void
}

export class RunFailure extends Error {
  readonly outcome: RunOutcome
  constructor(outcome: RunOutcome) {
    super(outcome.ok ? 'ok' : outcome.reason)
    this.outcome = outcome
  }
}

/**
 * Where a run pulls from: the sender's device (directRemote below) or the relay replicas
 * (relay-source.ts). Failures are thrown as RunFailure; a chunk is returned only once it matched
 * its expected hash.
 */
export interface RemoteFile {
  /** The whole manifest (checked against the pointer by the run). */
  manifest(): Promise<Uint8Array>
  /** Chunk `index`, matching `expected`; onRefused is called for every copy that did not. */
  chunk(index: number, expected: Uint8Array): Promise<Uint8Array>
}

async function ask(deps: DownloadDeps, peer: PeerId, request: FileRequest): Promise<Uint8Array> {
  const result = await sendRequest(deps.libp2p, peer, FILE_PROTOCOL, encodeFileRequest(request), {
    timeoutMs: FILE_REQUEST_TIMEOUT_MS,
    maxResponseBytes: MAX_FILE_RESPONSE_BYTES,
    signal: deps.signal,
  })
  if (!result.ok)
    throw new RunFailure({ ok: false, retry: true, reason: `${result.reason}: ${result.detail}` })
  let response: ReturnType<typeof decodeFileResponse>
  try {
    response = decodeFileResponse(result.response)
  } catch (error) {
    throw new RunFailure({ ok: false, retry: true, reason: `bad response: ${(error as Error).message}` })
  }
  if (response.status !== FILE_STATUS_OK)
    throw new RunFailure({ ok: false, retry: true, reason: `sender answered status ${response.status}` })
  return response.data
}

/** The sender's device over /wren/file/1.0.0 (direct connections only). */
export function directRemote(deps: DownloadDeps, peer: PeerId, pointer: FilePointer): RemoteFile {
  return {
    async manifest() {
      const manifest = new Uint8Array(pointer.chunkCount * FILE_HASH_BYTES)
      for (let from = 0; from < pointer.chunkCount; from += MANIFEST_HASHES_PER_REQUEST) {
        const count = Math.min(MANIFEST_HASHES_PER_REQUEST, pointer.chunkCount - from)
        const data = await ask(deps, peer, {
          kind: FILE_REQUEST_MANIFEST,
          fileId: pointer.fileId,
          index: from,
          count,
        })
        if (data.length !== count * FILE_HASH_BYTES)
          throw new RunFailure({ ok: false, retry: true, reason: 'manifest piece of the wrong length' })
        manifest.set(data, from * FILE_HASH_BYTES)
      }
      return manifest
    },
    async chunk(index, expected) {
      for (let attempt = 0; attempt <= MAX_CHUNK_REFETCHES; attempt++) {
        const got = await ask(deps, peer, { kind: FILE_REQUEST_CHUNK, fileId: pointer.fileId, index })
        if (chunkMatches(deps.suite, expected, got)) return got
        deps.onRefused(index)
      }
      throw new RunFailure({ ok: false, retry: true, reason: `chunk ${index} failed its hash check` })
    },
  }
}

async function manifestOf(deps: DownloadDeps, remote: RemoteFile, pointer: FilePointer, fileIdHex: string) {
  const layout: ChunkLayout = pointer
  const stored = await deps.files.manifest(fileIdHex)
  if (stored !== undefined) return readManifest(deps.suite, layout, pointer.manifestHash, stored)
  const manifest = await remote.manifest()
  let hashes: Uint8Array[]
  try {
    hashes = readManifest(deps.suite, layout, pointer.manifestHash, manifest)
  } catch {
    throw new RunFailure({
      ok: false,
      retry: false,
      reason: "the sender's manifest does not match the pointer",
    })
  }
  await deps.files.store.batch([deps.files.manifestOp(fileIdHex, manifest)])
  return hashes
}

/** Pull what is missing of `pointer`'s file from the sender's device `peer` into the store. */
export function runDownload(
  deps: DownloadDeps,
  peer: PeerId,
  pointer: FilePointer,
  fileIdHex: string,
): Promise<RunOutcome> {
  return pullFile(deps, directRemote(deps, peer, pointer), pointer, fileIdHex)
}

/** Pull what is missing of `pointer`'s file from `remote` into the store. */
export async function pullFile(
  deps: DownloadDeps,
  remote: RemoteFile,
  pointer: FilePointer,
  fileIdHex: string,
): Promise<RunOutcome> {
  try {
    const hashes = await manifestOf(deps, remote, pointer, fileIdHex)
    const bitmap = (await deps.files.bitmap(fileIdHex)) ?? newBitmap(pointer.chunkCount)
    const missing: number[] = []
    for (let i = 0; i < pointer.chunkCount; i++) if (!hasChunk(bitmap, i)) missing.push(i)
    let have = pointer.chunkCount - missing.length
    let next = 0
    // chunk + bitmap writes one at a time: each write stores the bitmap as it is after it
    let writes: Promise<unknown> = Promise.resolve()
    const worker = async (): Promise<void> => {
      while (next < missing.length && !deps.signal.aborted) {
        const index = missing[next++] as number
        const chunk = await remote.chunk(index, hashes[index] as Uint8Array)
        const write = writes.then(async () => {
          setChunk(bitmap, index, true)
          await deps.files.store.batch([
            deps.files.chunkOp(fileIdHex, index, chunk),
            deps.files.bitmapOp(fileIdHex, bitmap),
          ])
          have++
          deps.onChunk(have)
        })
        writes = write.catch(() => {})
        await write
      }
    }
    const workers = Array.from({ length: Math.min(CHUNKS_IN_FLIGHT, missing.length) }, worker)
    const results = await Promise.allSettled(workers)
    await writes
    const failed = results.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    if (deps.signal.aborted) return { ok: false, retry: false, reason: 'cancelled' }
    return { ok: true }
  } catch (error) {
    if (error instanceof RunFailure) return error.outcome
    throw error
  }
}

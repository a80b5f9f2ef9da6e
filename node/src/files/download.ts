/**
 * One run of pulling a file from its sender over /wren/file/1.0.0 (direct connections only), or
 * from the relays holding its blobs (relay-blobs.ts): the manifest first (checked against the
 * pointer, then stored), then every chunk the bitmap lacks: from the sender in ranges of
 * consecutive chunks streamed on one stream each (RANGE_CHUNKS, RANGES_IN_FLIGHT at a time;
 * per chunk from a sender that refuses ranges), from the relays CHUNKS_IN_FLIGHT at a time. Each chunk is checked against the manifest before it is
 * written; chunks are written before the bitmap that names them (several at once when they
 * arrive while a write is under way), so a run killed at any point resumes from what was stored. A chunk that fails its hash is asked for again (MAX_CHUNK_REFETCHES), never
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
import { openFrames } from '../p2p/request-frames.ts'
import { sendRequest } from '../p2p/request-response.ts'
import {
  CHUNKS_IN_FLIGHT,
  FILE_PROTOCOL,
  FILE_REQUEST_TIMEOUT_MS,
  MANIFEST_HASHES_PER_REQUEST,
  MAX_CHUNK_REFETCHES,
  MAX_FILE_RESPONSE_BYTES,
  MAX_RANGE_BUFFER_BYTES,
  RANGE_CHUNKS,
  RANGES_IN_FLIGHT,
} from './constants.ts'
import { type FileStore, hasChunk, newBitmap, setChunk } from './file-store.ts'
import {
  decodeFileResponse,
  encodeFileRequest,
  FILE_REQUEST_CHUNK,
  FILE_REQUEST_MANIFEST,
  FILE_REQUEST_RANGE,
  FILE_STATUS_BAD_REQUEST,
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
  /**
   * Chunks [from, from + count) in order, each handed to `deliver` (awaited) once it matched its
   * hash in `hashes`; a copy that did not is refused (onRefused) and fetched again by `chunk`.
   * Absent: the run asks chunk by chunk.
   */
  range?(
    from: number,
    count: number,
    hashes: readonly Uint8Array[],
    deliver: (index: number, chunk: Uint8Array) => Promise<void>,
  ): Promise<void>
}

function parse(bytes: Uint8Array): ReturnType<typeof decodeFileResponse> {
  try {
    return decodeFileResponse(bytes)
  } catch (error) {
    throw new RunFailure({ ok: false, retry: true, reason: `bad response: ${(error as Error).message}` })
  }
}

async function ask(deps: DownloadDeps, peer: PeerId, request: FileRequest): Promise<Uint8Array> {
  const result = await sendRequest(deps.libp2p, peer, FILE_PROTOCOL, encodeFileRequest(request), {
    timeoutMs: FILE_REQUEST_TIMEOUT_MS,
    maxResponseBytes: MAX_FILE_RESPONSE_BYTES,
    signal: deps.signal,
  })
  if (!result.ok)
    throw new RunFailure({ ok: false, retry: true, reason: `${result.reason}: ${result.detail}` })
  const response = parse(result.response)
  if (response.status !== FILE_STATUS_OK)
    throw new RunFailure({ ok: false, retry: true, reason: `sender answered status ${response.status}` })
  return response.data
}

/** The sender's device over /wren/file/1.0.0 (direct connections only). */
export function directRemote(deps: DownloadDeps, peer: PeerId, pointer: FilePointer): RemoteFile {
  // a sender of before ranges answers one with BAD_REQUEST: this run then asks chunk by chunk
  let rangesRefused = false
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
    async range(from, count, hashes, deliver) {
      const refused: number[] = []
      if (!rangesRefused) {
        const request = encodeFileRequest({
          kind: FILE_REQUEST_RANGE,
          fileId: pointer.fileId,
          index: from,
          count,
        })
        const opened = await openFrames(deps.libp2p, peer, FILE_PROTOCOL, request, {
          timeoutMs: FILE_REQUEST_TIMEOUT_MS,
          maxFrameBytes: MAX_FILE_RESPONSE_BYTES,
          maxBufferBytes: MAX_RANGE_BUFFER_BYTES,
          signal: deps.signal,
        })
        if (!opened.ok)
          throw new RunFailure({ ok: false, retry: true, reason: `${opened.reason}: ${opened.detail}` })
        // each chunk's write starts as it arrives and the next frame is read meanwhile; the range
        // ends once every write is done, so what is asked for and not stored stays bounded
        const writing: Promise<void>[] = []
        try {
          for (let index = from; index < from + count; index++) {
            const frame = await opened.frames.next()
            if (!frame.ok)
              throw new RunFailure({ ok: false, retry: true, reason: `${frame.reason}: ${frame.detail}` })
            const response = parse(frame.frame)
            if (response.status === FILE_STATUS_BAD_REQUEST && index === from) {
              rangesRefused = true
              break
            }
            if (response.status !== FILE_STATUS_OK)
              throw new RunFailure({
                ok: false,
                retry: true,
                reason: `sender answered status ${response.status}`,
              })
            // checked before it is written; a bad copy is refused here and asked for again below
            if (chunkMatches(deps.suite, hashes[index] as Uint8Array, response.data)) {
              const write = deliver(index, response.data)
              write.catch(() => {}) // awaited below
              writing.push(write)
            } else {
              deps.onRefused(index)
              refused.push(index)
            }
          }
        } catch (error) {
          opened.frames.close()
          await Promise.allSettled(writing)
          throw error
        }
        await Promise.all(writing)
      }
      const again = rangesRefused ? Array.from({ length: count }, (_, i) => from + i) : refused
      for (const index of again) await deliver(index, await this.chunk(index, hashes[index] as Uint8Array))
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
    // chunks + bitmap written one batch at a time: chunks that arrive while a batch is written go
    // together in the next one, with the bitmap as it is after them (one LevelDB write, not one each)
    let queued: Array<{ index: number; chunk: Uint8Array; done: PromiseWithResolvers<void> }> = []
    let writes: Promise<unknown> = Promise.resolve()
    const flush = async (): Promise<void> => {
      const batch = queued
      queued = []
      if (batch.length === 0) return
      try {
        // the chunks first, then the bitmap that names them
        await deps.files.writeChunks(
          fileIdHex,
          batch.map(({ index, chunk }) => ({ index, ciphertext: chunk })),
        )
        for (const { index } of batch) setChunk(bitmap, index, true)
        await deps.files.store.batch([deps.files.bitmapOp(fileIdHex, bitmap)])
      } catch (error) {
        for (const { index } of batch) setChunk(bitmap, index, false)
        for (const { done } of batch) done.reject(error)
        return
      }
      have += batch.length
      for (const { done } of batch) done.resolve()
      deps.onChunk(have)
    }
    const deliver = (index: number, chunk: Uint8Array): Promise<void> => {
      const done = Promise.withResolvers<void>()
      queued.push({ index, chunk, done })
      if (queued.length === 1) writes = writes.then(flush).catch(() => {})
      return done.promise
    }
    const jobs = remote.range === undefined ? missing.map((i) => [i, 1] as const) : rangesOf(missing)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < jobs.length && !deps.signal.aborted) {
        const [from, count] = jobs[next++] as readonly [number, number]
        if (remote.range !== undefined) await remote.range(from, count, hashes, deliver)
        else await deliver(from, await remote.chunk(from, hashes[from] as Uint8Array))
      }
    }
    const inFlight = remote.range === undefined ? CHUNKS_IN_FLIGHT : RANGES_IN_FLIGHT
    const workers = Array.from({ length: Math.min(inFlight, jobs.length) }, worker)
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

/** Missing chunk indices (ascending) as runs of consecutive chunks of at most RANGE_CHUNKS. */
function rangesOf(missing: readonly number[]): Array<readonly [number, number]> {
  const ranges: Array<[number, number]> = []
  for (const index of missing) {
    const last = ranges.at(-1)
    if (last !== undefined && last[0] + last[1] === index && last[1] < RANGE_CHUNKS) last[1]++
    else ranges.push([index, 1])
  }
  return ranges
}

/**
 * The sender's half of the offline path (issue 16): which two relays a new file's pointer names,
 * and the uploads of sealed files to them, retried with backoff and resumed after a restart.
 *
 * Every file the offline path can carry (≤ MAX_OFFLINE_FILE_BYTES, two distinct relays among
 * the ones this node keeps its mailboxes on) gets two replicas in its pointer, each with a fresh
 * capability seed. The upload itself starts when the recipient's device has no direct connection
 * at send time, or when the recipient has not asked for the file over the direct path within
 * OFFLINE_FALLBACK_MS (the direct path failed); until then nothing is stored on a relay. The
 * record goes uploading → uploaded (the sender keeps serving it directly all along), or back to
 * available with the refusal as its error when a relay refuses for good (quota, full).
 */
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { newCapSeed } from '../../../core/src/blob/caps.ts'
import { BLOB_REPLICAS, MAX_REPLICA_ADDRS } from '../../../core/src/blob/constants.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { MAX_OFFLINE_FILE_BYTES } from '../../../core/src/file/constants.ts'
import { type BlobReplica, decodeFilePointer, type FilePointer } from '../../../core/src/file/pointer.ts'
import type { Logger } from '../log.ts'
import { PROGRESS_EVENT_INTERVAL_MS, UPLOAD_RETRY_BASE_MS, UPLOAD_RETRY_MAX_MS } from './constants.ts'
import { NoOfflineRelaysError, OfflineFileTooLargeError } from './errors.ts'
import type { FileStore } from './file-store.ts'
import type { AttachmentRecord, AttachmentState } from './records.ts'
import { uploadToReplicas } from './relay-blobs.ts'

/** What the uploads need of the file service. */
export interface OfflineContext {
  readonly suite: CryptoSuite
  readonly libp2p: Libp2p
  readonly files: FileStore
  readonly log: Logger
  readonly now: () => number
  /** Relays this node keeps mailboxes on (multiaddrs with /p2p/<id>). */
  readonly relays: readonly string[]
  setState(record: AttachmentRecord, state: AttachmentState, error?: string): Promise<void>
  /** Blobs stored so far, as chunks of the file (both replicas count half each; throttled here). */
  progress(record: AttachmentRecord, pointer: FilePointer, chunks: number): void
  readonly retryBaseMs?: number
  readonly retryMaxMs?: number
}

interface Upload {
  readonly controller: AbortController
  running: Promise<void> | null
  timer: ReturnType<typeof setTimeout> | null
  failures: number
  lastProgressAt: number
}

/** Relays by PeerId, with their addresses, in the order given (a relay listed twice is one). */
function relaysById(relays: readonly string[]): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>()
  for (const text of relays) {
    try {
      const addr = multiaddr(text)
      const id = addr.getComponents().findLast((c) => c.name === 'p2p')?.value
      if (id === undefined) continue
      const list = out.get(id) ?? []
      if (list.length < MAX_REPLICA_ADDRS) list.push(addr.bytes)
      out.set(id, list)
    } catch {
      // a relay address this node cannot parse is no replica
    }
  }
  return out
}

export class OfflineUploads {
  readonly #ctx: OfflineContext
  readonly #uploads = new Map<string, Upload>()
  #stopped = false

  constructor(ctx: OfflineContext) {
    this.#ctx = ctx
  }

  /**
   * The replicas a new file's pointer names: two distinct relays (those with an open connection
   * first), each with a fresh seed. Throws OfflineFileTooLargeError over the offline cap and
   * NoOfflineRelaysError with fewer than two relays: the file then goes by the direct path only.
   */
  plan(size: number): BlobReplica[] {
    if (size > MAX_OFFLINE_FILE_BYTES) throw new OfflineFileTooLargeError(size, MAX_OFFLINE_FILE_BYTES)
    const byId = [...relaysById(this.#ctx.relays)]
    const connected = (id: string) => this.#ctx.libp2p.getConnections(peerIdFromString(id)).length > 0
    byId.sort(([a], [b]) => Number(connected(b)) - Number(connected(a)))
    if (byId.length < BLOB_REPLICAS) throw new NoOfflineRelaysError(byId.length, BLOB_REPLICAS)
    return byId.slice(0, BLOB_REPLICAS).map(([id, addrs]) => ({
      relayPeerId: peerIdFromString(id).toMultihash().bytes,
      addrs,
      capSeed: newCapSeed(this.#ctx.suite),
    }))
  }

  /** Upload (or resume uploading) a sent file's blobs after `delayMs`. */
  schedule(fileIdHex: string, delayMs: number): void {
    if (this.#stopped) return
    let u = this.#uploads.get(fileIdHex)
    if (u === undefined) {
      u = { controller: new AbortController(), running: null, timer: null, failures: 0, lastProgressAt: 0 }
      this.#uploads.set(fileIdHex, u)
    }
    const upload = u
    if (upload.running !== null || upload.controller.signal.aborted) return
    if (upload.timer !== null) clearTimeout(upload.timer)
    upload.timer = setTimeout(() => {
      upload.timer = null
      upload.running = this.#run(fileIdHex, upload)
        .catch((error) => {
          this.#ctx.log.warn('file upload failed', { error: (error as Error)?.name })
          return this.#backoff(upload)
        })
        .then((retryMs) => {
          upload.running = null
          if (retryMs !== null) this.schedule(fileIdHex, retryMs)
        })
    }, delayMs)
  }

  /** Mark a sent file for upload (state uploading) and start it. */
  async begin(record: AttachmentRecord): Promise<void> {
    await this.#ctx.setState(record, 'uploading')
    this.schedule(record.fileId, 0)
  }

  #backoff(u: Upload): number {
    u.failures++
    const base = this.#ctx.retryBaseMs ?? UPLOAD_RETRY_BASE_MS
    return Math.min(base * 2 ** (u.failures - 1), this.#ctx.retryMaxMs ?? UPLOAD_RETRY_MAX_MS)
  }

  async #run(fileIdHex: string, u: Upload): Promise<number | null> {
    const record = await this.#ctx.files.attachment(fileIdHex)
    if (record === undefined || record.direction !== 'out' || record.state !== 'uploading') return null
    const pointer = decodeFilePointer(record.pointer)
    const total = pointer.replicas.length * (pointer.chunkCount + 1)
    let stored = 0
    const outcome = await uploadToReplicas(
      {
        suite: this.#ctx.suite,
        libp2p: this.#ctx.libp2p,
        files: this.#ctx.files,
        signal: u.controller.signal,
        onStored: () => {
          stored++
          const now = this.#ctx.now()
          if (now - u.lastProgressAt < PROGRESS_EVENT_INTERVAL_MS && stored < total) return
          u.lastProgressAt = now
          this.#ctx.progress(record, pointer, Math.floor((stored / total) * pointer.chunkCount))
        },
      },
      pointer,
      fileIdHex,
    )
    if (u.controller.signal.aborted) return null
    const now = await this.#ctx.files.attachment(fileIdHex)
    if (now?.state !== 'uploading') return null
    if (outcome.ok) {
      await this.#ctx.setState(now, 'uploaded')
      return null
    }
    if (!outcome.retry) {
      await this.#ctx.setState(now, 'available', `relay upload refused (${outcome.reason}): direct path only`)
      return null
    }
    this.#ctx.log.debug('file upload will be retried', { reason: outcome.reason })
    return this.#backoff(u)
  }

  /** Stop uploading one file (it was cancelled). */
  async cancel(fileIdHex: string): Promise<void> {
    const u = this.#uploads.get(fileIdHex)
    if (u === undefined) return
    if (u.timer !== null) clearTimeout(u.timer)
    u.controller.abort()
    await u.running
  }

  async stop(): Promise<void> {
    this.#stopped = true
    const running: Promise<void>[] = []
    for (const u of this.#uploads.values()) {
      if (u.timer !== null) clearTimeout(u.timer)
      u.controller.abort()
      if (u.running) running.push(u.running)
    }
    await Promise.allSettled(running)
  }
}

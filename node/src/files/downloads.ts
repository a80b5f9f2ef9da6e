/**
 * The receiver's runs (issue 16): each received file in state downloading is pulled by runs,
 * retried with backoff, at once when the sender's device connects, and after a restart. A run
 * pulls from the sender's device when a direct connection to it is open, else from the relay
 * replicas the pointer names first (the offline path), then from the other source; once the file
 * is complete it acknowledges the relays (deletes the blobs), except for a file of a group. Progress and the source in use
 * are announced as events.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { decodeFilePointer, type FilePointer } from '../../../core/src/file/pointer.ts'
import type { Logger } from '../log.ts'
import { connectionPath } from '../messaging/message-path.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import type { ContactRecord } from '../messaging/records.ts'
import {
  BLOB_EXCHANGE_TIMEOUT_MS,
  DOWNLOAD_RETRY_BASE_MS,
  DOWNLOAD_RETRY_MAX_MS,
  PROGRESS_EVENT_INTERVAL_MS,
} from './constants.ts'
import { type DownloadDeps, pullFile, runDownload } from './download.ts'
import type { FilesNotify, TransferPath } from './events.ts'
import type { FileStore } from './file-store.ts'
import type { AttachmentRecord, AttachmentState } from './records.ts'
import { ackReplicas, relayRemote, replicasOf } from './relay-blobs.ts'

/** Bound on acknowledging one file's blobs on both relays (many small deletes, 4 at a time). */
const ACK_TIMEOUT_MS = 4 * BLOB_EXCHANGE_TIMEOUT_MS

/** An open connection to `peer` that can carry /wren/file (not a relayed circuit). */
export function hasDirectConnection(libp2p: Libp2p, peer: PeerId): boolean {
  return libp2p.getConnections(peer).some((c) => c.status === 'open' && connectionPath(c) === 'direct')
}

/** What the runs need of the file service. */
export interface DownloadsContext {
  readonly suite: CryptoSuite
  readonly files: FileStore
  readonly libp2p: Libp2p
  readonly log: Logger
  readonly now: () => number
  readonly notify: FilesNotify
  getContact(userId: string): Promise<ContactRecord | undefined>
  setState(record: AttachmentRecord, state: AttachmentState, error?: string): Promise<void>
  progress(record: AttachmentRecord, pointer: FilePointer, chunks: number): void
  readonly retryBaseMs?: number
  readonly retryMaxMs?: number
}

interface Transfer {
  readonly fileIdHex: string
  readonly controller: AbortController
  peer: string | null
  running: Promise<void> | null
  timer: ReturnType<typeof setTimeout> | null
  failures: number
  fetched: number
  refused: number
  lastProgressAt: number
  via: TransferPath | null
}

/** What attachments.get shows of a transfer of this daemon's lifetime. */
export interface TransferStats {
  readonly fetched: number
  readonly refused: number
  readonly via: TransferPath | null
}

export class Downloads {
  readonly #ctx: DownloadsContext
  readonly #transfers = new Map<string, Transfer>()
  readonly #acks = new Set<Promise<unknown>>()
  #stopped = false

  constructor(ctx: DownloadsContext) {
    this.#ctx = ctx
  }

  /** The sender's device connected: runs waiting for it start at once. */
  connected(peer: string): void {
    for (const t of this.#transfers.values())
      if (t.timer !== null && t.peer === peer) this.schedule(t.fileIdHex, 0)
  }

  stats(fileIdHex: string): TransferStats | undefined {
    const t = this.#transfers.get(fileIdHex)
    return t === undefined ? undefined : { fetched: t.fetched, refused: t.refused, via: t.via }
  }

  #transfer(fileIdHex: string): Transfer {
    let t = this.#transfers.get(fileIdHex)
    if (t === undefined) {
      t = {
        fileIdHex,
        controller: new AbortController(),
        peer: null,
        running: null,
        timer: null,
        failures: 0,
        fetched: 0,
        refused: 0,
        lastProgressAt: 0,
        via: null,
      }
      this.#transfers.set(fileIdHex, t)
    }
    return t
  }

  schedule(fileIdHex: string, delayMs: number): void {
    if (this.#stopped) return
    const t = this.#transfer(fileIdHex)
    if (t.running !== null || t.controller.signal.aborted) return
    if (t.timer !== null) clearTimeout(t.timer)
    t.timer = setTimeout(() => {
      t.timer = null
      t.running = this.#run(t)
        .catch((error) => {
          this.#ctx.log.warn('file download failed', { error: (error as Error)?.name })
          return this.#backoff(t)
        })
        .then((retryMs) => {
          t.running = null
          if (retryMs !== null) this.schedule(fileIdHex, retryMs)
        })
    }, delayMs)
  }

  #backoff(t: Transfer): number {
    t.failures++
    const base = this.#ctx.retryBaseMs ?? DOWNLOAD_RETRY_BASE_MS
    return Math.min(base * 2 ** (t.failures - 1), this.#ctx.retryMaxMs ?? DOWNLOAD_RETRY_MAX_MS)
  }

  /** One run; returns when to try again, or null when done. */
  async #run(t: Transfer): Promise<number | null> {
    const record = await this.#ctx.files.attachment(t.fileIdHex)
    if (record === undefined || record.direction !== 'in' || record.state !== 'downloading') return null
    const pointer = decodeFilePointer(record.pointer)
    const contact = await this.#ctx.getContact(record.peerUserId)
    const peer = contact?.devicePeerId == null ? null : peerIdFromBytes(contact.devicePeerId)
    t.peer = peer?.toString() ?? null
    const deps: DownloadDeps = {
      suite: this.#ctx.suite,
      files: this.#ctx.files,
      libp2p: this.#ctx.libp2p,
      signal: t.controller.signal,
      onChunk: (have) => {
        t.fetched++
        const now = this.#ctx.now()
        if (now - t.lastProgressAt >= PROGRESS_EVENT_INTERVAL_MS || have === pointer.chunkCount) {
          t.lastProgressAt = now
          this.#ctx.progress(record, pointer, have)
        }
      },
      onRefused: (index) => {
        t.refused++
        this.#ctx.log.warn('file chunk refused: it does not match the manifest', { index })
      },
    }
    const replicas = replicasOf(deps, pointer)
    const paths: TransferPath[] = []
    if (peer !== null) paths.push('direct')
    if (replicas.length > 0) {
      if (peer !== null && hasDirectConnection(this.#ctx.libp2p, peer)) paths.push('relay')
      else paths.unshift('relay')
    }
    if (paths.length === 0) return this.#backoff(t)
    const reasons: string[] = []
    for (const via of paths) {
      if (t.via !== via) {
        t.via = via
        const { messageId, fileId } = record
        this.#ctx.notify('attachment.state', { messageId, fileId, state: 'downloading', via })
      }
      const outcome =
        via === 'direct' && peer !== null
          ? await runDownload(deps, peer, pointer, t.fileIdHex)
          : await pullFile(deps, relayRemote(deps, pointer, replicas), pointer, t.fileIdHex)
      if (t.controller.signal.aborted) return null
      if (outcome.ok) {
        t.failures = 0
        await this.#ctx.setState(record, 'complete')
        // in a group other members may still need the blobs: the TTL or the sender removes them
        if (replicas.length > 0 && record.groupId === undefined) this.#ack(pointer)
        return null
      }
      if (!outcome.retry) {
        await this.#ctx.setState(record, 'failed', outcome.reason)
        return null
      }
      reasons.push(`${via}: ${outcome.reason}`)
    }
    this.#ctx.log.debug('file download will be retried', { reason: reasons.join('; ') })
    return this.#backoff(t)
  }

  /** The recipient's acknowledgement: the relays drop the file's blobs (best effort; TTL else). */
  #ack(pointer: FilePointer): void {
    const signal = AbortSignal.timeout(ACK_TIMEOUT_MS)
    const job = ackReplicas({ suite: this.#ctx.suite, libp2p: this.#ctx.libp2p, signal }, pointer)
      .then((deleted) => this.#ctx.log.debug('file blobs acknowledged', { deleted }))
      .catch((error) => this.#ctx.log.warn('file blobs not acknowledged', { error: (error as Error)?.name }))
      .finally(() => this.#acks.delete(job))
    this.#acks.add(job)
  }

  /** Stop one file's runs (cancel): returns once its run has stopped. */
  async cancel(fileIdHex: string): Promise<void> {
    const t = this.#transfer(fileIdHex)
    if (t.timer !== null) clearTimeout(t.timer)
    t.timer = null
    t.controller.abort()
    await t.running
  }

  async stop(): Promise<void> {
    this.#stopped = true
    const running: Promise<unknown>[] = [...this.#acks]
    for (const t of this.#transfers.values()) {
      if (t.timer !== null) clearTimeout(t.timer)
      t.controller.abort()
      if (t.running) running.push(t.running)
    }
    await Promise.allSettled(running)
  }
}

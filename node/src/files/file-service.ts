/**
 * Files between two online devices (issue 16, direct path): the service that ties sealing,
 * serving, pulling and saving together for one unlocked profile.
 *
 * Sending seals the local file into the store (seal-file.ts) and sends its pointer inside a
 * normal encrypted 1:1 text message (Messenger.sendText with an attachment), the attachment
 * record written in the same batch as the message. The sender then serves the file to the
 * recipient's device (serve.ts). A received pointer becomes an attachment record, written with
 * the message; after the write a download starts (download.ts), and is retried with backoff, at
 * once when the sender's device connects, and after a restart of this daemon. Every file is
 * downloaded as it arrives (an auto-download setting is future work).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { chunkPlainLength } from '../../../core/src/file/chunks.ts'
import { decodeFilePointer, encodeFilePointer, type FilePointer } from '../../../core/src/file/pointer.ts'
import type { Logger } from '../log.ts'
import type { AttachmentDelivery, AttachmentHandler, OutgoingAttachment } from '../messaging/app-payloads.ts'
import { peerOfConversation } from '../messaging/direct-conversation.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import type { ContactRecord, MessageRecord } from '../messaging/records.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import {
  AUTO_DOWNLOAD_MAX_BYTES,
  DOWNLOAD_RETRY_BASE_MS,
  DOWNLOAD_RETRY_MAX_MS,
  FILE_PROTOCOL,
  PROGRESS_EVENT_INTERVAL_MS,
} from './constants.ts'
import { runDownload } from './download.ts'
import {
  AttachmentNotFoundError,
  AttachmentNotOfferedError,
  AttachmentNotReadyError,
  StoredChunkCorruptError,
} from './errors.ts'
import type { FilesNotify } from './events.ts'
import { type ChunkSource, countChunks, FileStore, hasChunk, setChunk } from './file-store.ts'
import type { AttachmentRecord, AttachmentState } from './records.ts'
import { saveFile } from './save-file.ts'
import { sealFile } from './seal-file.ts'
import { startFileServer } from './serve.ts'

/** What the files layer needs of 1:1 messaging. */
export interface FilesMessenger {
  sendText(conversationId: string, text: string, attachment?: OutgoingAttachment): Promise<MessageRecord>
  registerAttachments(handler: AttachmentHandler): void
  requireContact(userId: string): Promise<ContactRecord>
}

export interface FilesInit {
  readonly suite: CryptoSuite
  readonly store: SealedStore
  readonly libp2p: Libp2p
  readonly messenger: FilesMessenger
  getContact(userId: string): Promise<ContactRecord | undefined>
  readonly notify: FilesNotify
  readonly log: Logger
  readonly now: () => number
  /** What the server reads (default: the store); tests hand in a modified one. */
  readonly source?: ChunkSource
  readonly retryBaseMs?: number
  readonly retryMaxMs?: number
  /** Largest received file fetched unasked, bytes (default AUTO_DOWNLOAD_MAX_BYTES; a user setting). */
  readonly autoDownloadMaxBytes?: number
}

/** An attachment as attachments.get shows it. */
export interface AttachmentView {
  readonly messageId: string
  readonly fileId: string
  readonly conversationId: string
  readonly direction: 'in' | 'out'
  readonly name: string
  readonly mediaType: string
  readonly size: number
  readonly state: AttachmentState
  /** Chunks held here (checked), of chunkCount. */
  readonly chunks: number
  readonly chunkCount: number
  /** Plaintext bytes those chunks hold. */
  readonly bytes: number
  /** Chunks fetched over the network by this daemon since it started, and chunks refused (bad hash). */
  readonly fetchedChunks: number
  readonly refusedChunks: number
  readonly error?: string
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
}

export class FileService {
  readonly #init: FilesInit
  readonly #files: FileStore
  readonly #transfers = new Map<string, Transfer>()
  #stopped = false
  readonly #onConnect = (event: CustomEvent<PeerId>): void => {
    const peer = event.detail.toString()
    for (const t of this.#transfers.values())
      if (t.timer !== null && t.peer === peer) this.#schedule(t.fileIdHex, 0)
  }

  constructor(init: FilesInit) {
    this.#init = init
    this.#files = new FileStore(init.store)
    init.messenger.registerAttachments((delivery) => this.#onIncoming(delivery))
  }

  async start(): Promise<void> {
    const { libp2p } = this.#init
    await startFileServer({
      libp2p,
      source: this.#init.source ?? this.#files,
      contactDevice: async (userId) => (await this.#init.getContact(userId))?.devicePeerId ?? null,
      log: this.#init.log,
    })
    libp2p.addEventListener('peer:connect', this.#onConnect)
    for (const record of await this.#files.listAttachments())
      if (record.direction === 'in' && record.state === 'downloading') this.#schedule(record.fileId, 0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#init.libp2p.removeEventListener('peer:connect', this.#onConnect)
    await this.#init.libp2p.unhandle(FILE_PROTOCOL).catch(() => {})
    const running: Promise<void>[] = []
    for (const t of this.#transfers.values()) {
      if (t.timer !== null) clearTimeout(t.timer)
      t.controller.abort()
      if (t.running) running.push(t.running)
    }
    await Promise.allSettled(running)
  }

  // ---- sending

  /** Seal the file at `path` and send its pointer to the conversation's contact, with a caption. */
  async send(conversationId: string, path: string, caption: string): Promise<MessageRecord> {
    const peer = peerOfConversation(conversationId)
    await this.#init.messenger.requireContact(peer)
    const { pointer, fileIdHex } = await sealFile(this.#init.suite, this.#files, path)
    const now = this.#init.now()
    const attachment: OutgoingAttachment = {
      pointer: encodeFilePointer(pointer),
      summary: summaryOf(pointer, fileIdHex),
      ops: (message) =>
        this.#files.newAttachmentOps({
          fileId: fileIdHex,
          messageId: message.id,
          conversationId,
          peerUserId: peer,
          direction: 'out',
          pointer: encodeFilePointer(pointer),
          state: 'available',
          createdAt: now,
          updatedAt: now,
        }),
    }
    try {
      return await this.#init.messenger.sendText(conversationId, caption, attachment)
    } catch (error) {
      await this.#files.dropContents(fileIdHex, pointer.chunkCount).catch(() => {})
      throw error
    }
  }

  // ---- receiving

  async #onIncoming(delivery: AttachmentDelivery): ReturnType<AttachmentHandler> {
    let pointer: FilePointer
    try {
      pointer = decodeFilePointer(delivery.pointer)
    } catch (error) {
      this.#init.log.warn('file pointer refused', { error: (error as Error)?.name })
      return null
    }
    const fileIdHex = toHex(pointer.fileId)
    // a file id is random: one we hold already is a replay or a forgery, never a new file
    if ((await this.#files.attachment(fileIdHex)) !== undefined) return null
    const now = this.#init.now()
    // a large file waits to be asked for (attachments.download): no contact fills the disk unasked
    const state =
      pointer.size > (this.#init.autoDownloadMaxBytes ?? AUTO_DOWNLOAD_MAX_BYTES) ? 'offered' : 'downloading'
    const ops = this.#files.newAttachmentOps({
      fileId: fileIdHex,
      messageId: delivery.messageId,
      conversationId: delivery.conversationId,
      peerUserId: delivery.contact.userId,
      direction: 'in',
      pointer: delivery.pointer,
      state,
      createdAt: now,
      updatedAt: now,
    })
    return {
      summary: summaryOf(pointer, fileIdHex),
      ops,
      after: () => {
        this.#init.notify('attachment.state', { messageId: delivery.messageId, fileId: fileIdHex, state })
        if (state === 'downloading') this.#schedule(fileIdHex, 0)
      },
    }
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
      }
      this.#transfers.set(fileIdHex, t)
    }
    return t
  }

  #schedule(fileIdHex: string, delayMs: number): void {
    if (this.#stopped) return
    const t = this.#transfer(fileIdHex)
    if (t.running !== null || t.controller.signal.aborted) return
    if (t.timer !== null) clearTimeout(t.timer)
    t.timer = setTimeout(() => {
      t.timer = null
      t.running = this.#run(t)
        .catch((error) => {
          this.#init.log.warn('file download failed', { error: (error as Error)?.name })
          return this.#backoff(t)
        })
        .then((retryMs) => {
          t.running = null
          if (retryMs !== null) this.#schedule(fileIdHex, retryMs)
        })
    }, delayMs)
  }

  #backoff(t: Transfer): number {
    t.failures++
    const base = this.#init.retryBaseMs ?? DOWNLOAD_RETRY_BASE_MS
    return Math.min(base * 2 ** (t.failures - 1), this.#init.retryMaxMs ?? DOWNLOAD_RETRY_MAX_MS)
  }

  /** One download run; returns when to try again, or null when done. */
  async #run(t: Transfer): Promise<number | null> {
    const record = await this.#files.attachment(t.fileIdHex)
    if (record === undefined || record.direction !== 'in' || record.state !== 'downloading') return null
    const contact = await this.#init.getContact(record.peerUserId)
    if (contact?.devicePeerId == null) return this.#backoff(t)
    const peer = peerIdFromBytes(contact.devicePeerId)
    t.peer = peer.toString()
    const pointer = decodeFilePointer(record.pointer)
    const outcome = await runDownload(
      {
        suite: this.#init.suite,
        files: this.#files,
        libp2p: this.#init.libp2p,
        signal: t.controller.signal,
        onChunk: (have) => {
          t.fetched++
          const now = this.#init.now()
          if (now - t.lastProgressAt >= PROGRESS_EVENT_INTERVAL_MS || have === pointer.chunkCount) {
            t.lastProgressAt = now
            this.#progress(record, pointer, have)
          }
        },
        onRefused: (index) => {
          t.refused++
          this.#init.log.warn('file chunk refused: it does not match the manifest', { index })
        },
      },
      peer,
      pointer,
      t.fileIdHex,
    )
    if (t.controller.signal.aborted) return null
    if (outcome.ok) {
      t.failures = 0
      await this.#setState(record, 'complete')
      return null
    }
    if (!outcome.retry) {
      await this.#setState(record, 'failed', outcome.reason)
      return null
    }
    this.#init.log.debug('file download will be retried', { reason: outcome.reason })
    return this.#backoff(t)
  }

  #progress(record: AttachmentRecord, pointer: FilePointer, have: number): void {
    this.#init.notify('attachment.progress', {
      messageId: record.messageId,
      fileId: record.fileId,
      chunks: have,
      chunkCount: pointer.chunkCount,
      bytes: Math.min(have * pointer.chunkBytes, pointer.size),
      size: pointer.size,
    })
  }

  async #setState(record: AttachmentRecord, state: AttachmentState, error?: string): Promise<void> {
    const next: AttachmentRecord = { ...record, state, updatedAt: this.#init.now() }
    if (error !== undefined) next.error = error
    else delete next.error
    await this.#files.putAttachment(next)
    this.#init.notify('attachment.state', {
      messageId: record.messageId,
      fileId: record.fileId,
      state,
      ...(error !== undefined ? { error } : {}),
    })
  }

  // ---- reads and actions

  async #require(messageId: string): Promise<AttachmentRecord> {
    const record = await this.#files.byMessage(messageId)
    if (record === undefined) throw new AttachmentNotFoundError(messageId)
    return record
  }

  async get(messageId: string): Promise<AttachmentView> {
    const record = await this.#require(messageId)
    const pointer = decodeFilePointer(record.pointer)
    const t = this.#transfers.get(record.fileId)
    let chunks = 0
    let bytes = 0
    if (record.direction === 'out' && record.state === 'available') {
      chunks = pointer.chunkCount
      bytes = pointer.size
    } else if (record.direction === 'in' && record.state !== 'cancelled') {
      const bitmap = await this.#files.bitmap(record.fileId)
      if (bitmap !== undefined) {
        for (let i = 0; i < pointer.chunkCount; i++)
          if (hasChunk(bitmap, i)) bytes += chunkPlainLength(pointer, i)
        chunks = countChunks(bitmap, pointer.chunkCount)
      }
    }
    return {
      messageId: record.messageId,
      fileId: record.fileId,
      conversationId: record.conversationId,
      direction: record.direction,
      name: pointer.name,
      mediaType: pointer.mediaType,
      size: pointer.size,
      state: record.state,
      chunks,
      chunkCount: pointer.chunkCount,
      bytes,
      fetchedChunks: t?.fetched ?? 0,
      refusedChunks: t?.refused ?? 0,
      ...(record.error !== undefined ? { error: record.error } : {}),
    }
  }

  /** Write the decrypted file to `path` (absolute); refused when it exists unless `overwrite`. */
  async save(messageId: string, path: string, overwrite: boolean): Promise<{ path: string; bytes: number }> {
    const record = await this.#require(messageId)
    const usable = record.direction === 'in' ? record.state === 'complete' : record.state === 'available'
    if (!usable) throw new AttachmentNotReadyError(messageId, record.state)
    const pointer = decodeFilePointer(record.pointer)
    const saved = await saveFile(this.#init.suite, this.#files, pointer, record.fileId, { path, overwrite })
    if (saved.corruptChunk !== undefined) {
      if (record.direction === 'in') await this.#refetch(record, saved.corruptChunk)
      throw new StoredChunkCorruptError(saved.corruptChunk)
    }
    return { path, bytes: saved.bytes }
  }

  async #refetch(record: AttachmentRecord, index: number): Promise<void> {
    const bitmap = await this.#files.bitmap(record.fileId)
    if (bitmap !== undefined) {
      setChunk(bitmap, index, false)
      await this.#files.store.batch([this.#files.bitmapOp(record.fileId, bitmap)])
    }
    await this.#setState(record, 'downloading')
    this.#schedule(record.fileId, 0)
  }

  /** Start fetching a received file that was offered (over AUTO_DOWNLOAD_MAX_BYTES). */
  async download(messageId: string): Promise<AttachmentView> {
    const record = await this.#require(messageId)
    if (record.direction !== 'in' || record.state !== 'offered')
      throw new AttachmentNotOfferedError(messageId, record.state)
    await this.#setState(record, 'downloading')
    this.#schedule(record.fileId, 0)
    return this.get(messageId)
  }

  /** Stop a download (and drop what arrived) or stop serving a sent file; the message stays. */
  async cancel(messageId: string): Promise<AttachmentView> {
    const record = await this.#require(messageId)
    if (record.state !== 'cancelled') {
      const t = this.#transfer(record.fileId)
      if (t.timer !== null) clearTimeout(t.timer)
      t.timer = null
      t.controller.abort()
      await t.running
      await this.#setState(record, 'cancelled')
      await this.#files.dropContents(record.fileId, decodeFilePointer(record.pointer).chunkCount)
    }
    return this.get(messageId)
  }
}

function summaryOf(pointer: FilePointer, fileIdHex: string): NonNullable<MessageRecord['attachment']> {
  return { fileId: fileIdHex, name: pointer.name, size: pointer.size, mediaType: pointer.mediaType }
}

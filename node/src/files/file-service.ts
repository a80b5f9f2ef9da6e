/**
 * Files in 1:1 messages (issue 16): the service that ties sealing, serving, uploading to relays,
 * pulling and saving together for one unlocked profile.
 *
 * Sending (outgoing-files.ts) seals the local file into the store (seal-file.ts) and sends its
 * pointer inside a normal encrypted 1:1 text message (Messenger.sendText with an attachment), the
 * attachment record written in the same batch as the message. The sender then serves the file to the
 * recipient's device (serve.ts). A received pointer becomes an attachment record, written with
 * the message; after the write a download starts (download.ts), and is retried with backoff, at
 * once when the sender's device connects, and after a restart of this daemon. Whether a received
 * file is fetched as it arrives or waits as 'offered' for attachments.download is the user's
 * auto-download setting (auto-download.ts: images yes, other files ask, and a size limit).
 *
 * The offline path: a pointer may name two relay replicas (offline-uploads.ts chooses them and
 * uploads the sealed chunks when the recipient is not directly reachable). A receiver pulls from
 * the sender's device when it has a direct connection to it, else from the relays first, and
 * falls back to the other source; once the file is complete it deletes the blobs on the relays.
 *
 * In a group (recipients.ts) the pointer rides in the group content, any current member's device
 * is served, the relays get the file when any member is not directly connected, and receivers
 * never delete the blobs (others may still need them): the relay's TTL (7 days) removes them, or
 * the sender's erase.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { toHex } from '../../../core/src/bytes.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { decodeFilePointer, type FilePointer } from '../../../core/src/file/pointer.ts'
import type { Logger } from '../log.ts'
import type { AttachmentHandler } from '../messaging/app-payloads.ts'
import type { ContactRecord, MessageRecord } from '../messaging/records.ts'
import type { SealedStore } from '../storage/sealed-store.ts'
import { type AttachmentView, attachmentView } from './attachment-view.ts'
import {
  type AutoDownload,
  fetchesUnasked,
  policyOf,
  readAutoDownload,
  updateAutoDownload,
} from './auto-download.ts'
import { AUTO_DOWNLOAD_MAX_BYTES, FILE_PROTOCOL, OFFLINE_FALLBACK_MS } from './constants.ts'
import { Downloads } from './downloads.ts'
import {
  AttachmentNotFoundError,
  AttachmentNotOfferedError,
  AttachmentNotReadyError,
  StoredChunkCorruptError,
} from './errors.ts'
import type { FilesNotify } from './events.ts'
import { type FileContent, fileContent } from './file-content.ts'
import { type ChunkSource, FileStore, setChunk } from './file-store.ts'
import { OfflineUploads } from './offline-uploads.ts'
import { OutgoingFiles, type OutgoingMessenger, summaryOf } from './outgoing-files.ts'
import { type FilesGroups, mayFetch, type RecipientDeps } from './recipients.ts'
import type { AttachmentRecord, AttachmentState, AutoDownloadRecord } from './records.ts'
import { ackReplicas } from './relay-blobs.ts'
import { saveFile } from './save-file.ts'
import { startFileServer } from './serve.ts'

/** What the files layer needs of 1:1 messaging. */
export interface FilesMessenger extends OutgoingMessenger {
  registerAttachments(handler: AttachmentHandler): void
  userOfPeer(peerId: string): string | undefined
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
  /** Largest received file fetched unasked, bytes, unless the user set one (default AUTO_DOWNLOAD_MAX_BYTES). */
  readonly autoDownloadMaxBytes?: number
  /** Relays this node keeps mailboxes on (multiaddrs with /p2p/): the offline path's replicas. */
  readonly relays?: readonly string[]
  /** Default OFFLINE_FALLBACK_MS. */
  readonly offlineFallbackMs?: number
  /** Files in group conversations (absent: direct chats only). */
  readonly groups?: FilesGroups
}

/** A received pointer, from a direct chat or a group. */
interface IncomingFile {
  readonly senderUserId: string
  readonly groupId: string | undefined
  readonly messageId: string
  readonly conversationId: string
  readonly pointer: Uint8Array
}

export type { AttachmentView } from './attachment-view.ts'

export class FileService {
  readonly #init: FilesInit
  readonly #files: FileStore
  readonly #downloads: Downloads
  readonly #offline: OfflineUploads
  readonly #outgoing: OutgoingFiles
  readonly #recipients: RecipientDeps
  readonly #onConnect = (event: CustomEvent<PeerId>): void =>
    this.#downloads.connected(event.detail.toString())

  constructor(init: FilesInit) {
    this.#init = init
    this.#files = new FileStore(init.store)
    const parts = {
      suite: init.suite,
      libp2p: init.libp2p,
      files: this.#files,
      log: init.log,
      now: init.now,
      setState: (record: AttachmentRecord, state: AttachmentState, error?: string) =>
        this.#setState(record, state, error),
      progress: (record: AttachmentRecord, pointer: FilePointer, chunks: number) =>
        this.#progress(record, pointer, chunks),
    }
    this.#downloads = new Downloads({
      ...parts,
      notify: init.notify,
      getContact: init.getContact,
      ...(init.retryBaseMs !== undefined ? { retryBaseMs: init.retryBaseMs } : {}),
      ...(init.retryMaxMs !== undefined ? { retryMaxMs: init.retryMaxMs } : {}),
    })
    this.#offline = new OfflineUploads({ ...parts, relays: init.relays ?? [] })
    this.#recipients = {
      getContact: init.getContact,
      userOfPeer: (peer) => init.messenger.userOfPeer(peer),
      ...(init.groups !== undefined ? { groups: init.groups } : {}),
    }
    this.#outgoing = new OutgoingFiles({
      ...parts,
      messenger: init.messenger,
      ...(init.groups !== undefined ? { groups: init.groups } : {}),
      getContact: init.getContact,
      recipients: this.#recipients,
      offline: this.#offline,
      offlineFallbackMs: init.offlineFallbackMs ?? OFFLINE_FALLBACK_MS,
    })
    init.messenger.registerAttachments((d) =>
      this.#onIncoming({ ...d, senderUserId: d.contact.userId, groupId: undefined }),
    )
    init.groups?.registerAttachments((d) => this.#onIncoming(d))
  }

  async start(): Promise<void> {
    const { libp2p } = this.#init
    await startFileServer({
      libp2p,
      source: this.#init.source ?? this.#files,
      mayFetch: (record, peer) => mayFetch(this.#recipients, record, peer),
      log: this.#init.log,
      onServed: (fileIdHex, chunks, peer) => this.#outgoing.served(fileIdHex, chunks, peer.toString()),
    })
    libp2p.addEventListener('peer:connect', this.#onConnect)
    for (const record of await this.#files.listAttachments()) {
      if (record.direction === 'in' && record.state === 'downloading')
        this.#downloads.schedule(record.fileId, 0)
      if (record.direction === 'out' && record.state === 'uploading') this.#offline.schedule(record.fileId, 0)
    }
  }

  async stop(): Promise<void> {
    this.#init.libp2p.removeEventListener('peer:connect', this.#onConnect)
    await this.#init.libp2p.unhandle(FILE_PROTOCOL).catch(() => {})
    this.#outgoing.stop()
    await Promise.allSettled([this.#offline.stop(), this.#downloads.stop()])
  }

  // ---- sending (outgoing-files.ts)

  /**
   * Seal the file at `path` and send its pointer, with a caption, to the conversation's contact or
   * to the members of its group.
   */
  send(conversationId: string, path: string, caption: string): Promise<MessageRecord> {
    return this.#outgoing.send(conversationId, path, caption)
  }

  // ---- receiving

  async #onIncoming(delivery: IncomingFile): ReturnType<AttachmentHandler> {
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
    // what the auto-download setting does not fetch (a file when files ask, anything over the
    // size limit) waits to be asked for (attachments.download): no contact fills the disk unasked
    const state = fetchesUnasked(await this.autoDownload(), pointer) ? 'downloading' : 'offered'
    const ops = this.#files.newAttachmentOps({
      fileId: fileIdHex,
      messageId: delivery.messageId,
      conversationId: delivery.conversationId,
      peerUserId: delivery.senderUserId,
      ...(delivery.groupId !== undefined ? { groupId: delivery.groupId } : {}),
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
        if (state === 'downloading') this.#downloads.schedule(fileIdHex, 0)
      },
    }
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
    const { suite, libp2p } = this.#init
    return attachmentView({ suite, libp2p, files: this.#files }, record, {
      transfer: this.#downloads.stats(record.fileId),
      served: this.#outgoing.servedChunks(record.fileId),
    })
  }

  /** Write the decrypted file to `path` (absolute); refused when it exists unless `overwrite`. */
  async save(messageId: string, path: string, overwrite: boolean): Promise<{ path: string; bytes: number }> {
    const record = await this.#require(messageId)
    const usable = record.direction === 'in' ? record.state === 'complete' : record.state !== 'cancelled'
    if (!usable) throw new AttachmentNotReadyError(messageId, record.state)
    const pointer = decodeFilePointer(record.pointer)
    const saved = await saveFile(this.#init.suite, this.#files, pointer, record.fileId, { path, overwrite })
    if (saved.corruptChunk !== undefined) {
      if (record.direction === 'in') await this.#refetch(record, saved.corruptChunk)
      throw new StoredChunkCorruptError(saved.corruptChunk)
    }
    return { path, bytes: saved.bytes }
  }

  /** The file of a message as a stream of plaintext chunks (the daemon's HTTP endpoint reads it). */
  async content(messageId: string): Promise<FileContent> {
    const record = await this.#require(messageId)
    return fileContent(this.#init.suite, this.#files, record, async (index) => {
      if (record.direction === 'in') await this.#refetch(record, index)
    })
  }

  async #refetch(record: AttachmentRecord, index: number): Promise<void> {
    const bitmap = await this.#files.bitmap(record.fileId)
    if (bitmap !== undefined) {
      setChunk(bitmap, index, false)
      await this.#files.store.batch([this.#files.bitmapOp(record.fileId, bitmap)])
    }
    await this.#setState(record, 'downloading')
    this.#downloads.schedule(record.fileId, 0)
  }

  /** The auto-download policy in force (the user's setting over the daemon's defaults). */
  async autoDownload(): Promise<AutoDownload> {
    return policyOf(await readAutoDownload(this.#init.store), this.#defaultMaxBytes())
  }

  /** Change the auto-download setting (from the next received file); returns the policy in force. */
  async setAutoDownload(changes: AutoDownloadRecord): Promise<AutoDownload> {
    return policyOf(await updateAutoDownload(this.#init.store, changes), this.#defaultMaxBytes())
  }

  #defaultMaxBytes(): number {
    return this.#init.autoDownloadMaxBytes ?? AUTO_DOWNLOAD_MAX_BYTES
  }

  /** Start fetching a received file that waits as offered (the auto-download setting did not fetch it). */
  async download(messageId: string): Promise<AttachmentView> {
    const record = await this.#require(messageId)
    if (record.direction !== 'in' || record.state !== 'offered')
      throw new AttachmentNotOfferedError(messageId, record.state)
    await this.#setState(record, 'downloading')
    this.#downloads.schedule(record.fileId, 0)
    return this.get(messageId)
  }

  /**
   * Erase the file of a message that disappeared (messaging/disappearing.ts): transfers stop, the
   * chunks, manifest, bitmap, record and index go, and the relays are asked in the background to
   * delete any blob of it they still hold (either side holds the pointer's delete capabilities).
   */
  async erase(messageId: string): Promise<void> {
    const record = await this.#files.byMessage(messageId)
    if (record === undefined) return
    const pointer = decodeFilePointer(record.pointer)
    await this.#downloads.cancel(record.fileId)
    await this.#offline.cancel(record.fileId)
    await this.#files.dropContents(record.fileId, pointer.chunkCount)
    await this.#files.store.batch([
      { type: 'del', key: this.#files.attachmentKey(record.fileId) },
      { type: 'del', key: this.#files.indexKey(messageId) },
    ])
    // a group's receivers leave the blobs to the other members (the TTL or the sender removes them)
    if (pointer.replicas.length > 0 && (record.direction === 'out' || record.groupId === undefined))
      void ackReplicas({ suite: this.#init.suite, libp2p: this.#init.libp2p }, pointer).catch((error) =>
        this.#init.log.debug('relay blobs not deleted', { error: (error as Error)?.name }),
      )
  }

  /** Stop a download (and drop what arrived) or stop serving a sent file; the message stays. */
  async cancel(messageId: string): Promise<AttachmentView> {
    const record = await this.#require(messageId)
    if (record.state !== 'cancelled') {
      await this.#downloads.cancel(record.fileId)
      await this.#offline.cancel(record.fileId)
      await this.#setState(record, 'cancelled')
      await this.#files.dropContents(record.fileId, decodeFilePointer(record.pointer).chunkCount)
    }
    return this.get(messageId)
  }

  /**
   * Erase the file of a message that is being deleted with its conversation: transfers stop, the
   * chunks, manifest and bitmap go, and so do the record and its message index. Nothing when the
   * message carries no file.
   */
  async forget(messageId: string): Promise<void> {
    const record = await this.#files.byMessage(messageId)
    if (record === undefined) return
    await this.#downloads.cancel(record.fileId)
    await this.#offline.cancel(record.fileId)
    this.#outgoing.forget(record.fileId)
    await this.#files.dropContents(record.fileId, decodeFilePointer(record.pointer).chunkCount)
    await this.#files.store.batch([
      { type: 'del', key: this.#files.attachmentKey(record.fileId) },
      { type: 'del', key: this.#files.indexKey(messageId) },
    ])
  }
}

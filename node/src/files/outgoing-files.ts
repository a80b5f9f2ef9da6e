/**
 * Sending a file (issue 16): seal it into the store, send its pointer in a 1:1 or group message
 * (the attachment record in the same batch), then choose the path: the relays at once when a
 * recipient's device is not directly connected, else the direct path, with the relays as the
 * fallback when not every recipient's device asked for the file in time (OFFLINE_FALLBACK_MS).
 * It also keeps what the sender's file server saw: chunks served and the devices that asked.
 *
 * Split out of file-service.ts (the service ties sending, receiving and the actions together);
 * it sees the service's parts through OutgoingDeps only.
 */
import type { Libp2p } from '@libp2p/interface'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { encodeFilePointer, type FilePointer } from '../../../core/src/file/pointer.ts'
import type { Logger } from '../log.ts'
import type { OutgoingAttachment } from '../messaging/app-payloads.ts'
import { groupOfConversationId } from '../messaging/conversation-id.ts'
import { peerOfConversation } from '../messaging/direct-conversation.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import type { ContactRecord, MessageRecord } from '../messaging/records.ts'
import { hasDirectConnection } from './downloads.ts'
import type { FileStore } from './file-store.ts'
import type { OfflineUploads } from './offline-uploads.ts'
import { type FilesGroups, type RecipientDeps, recipientsOf } from './recipients.ts'
import { sealFile } from './seal-file.ts'

/** What sending needs of 1:1 messaging. */
export interface OutgoingMessenger {
  sendText(conversationId: string, text: string, attachment?: OutgoingAttachment): Promise<MessageRecord>
  requireContact(userId: string): Promise<ContactRecord>
}

export interface OutgoingDeps {
  readonly suite: CryptoSuite
  readonly files: FileStore
  readonly libp2p: Libp2p
  readonly messenger: OutgoingMessenger
  readonly groups?: FilesGroups
  getContact(userId: string): Promise<ContactRecord | undefined>
  readonly recipients: RecipientDeps
  readonly offline: OfflineUploads
  readonly log: Logger
  readonly now: () => number
  /** Wait for the direct path before the relays get the file (OFFLINE_FALLBACK_MS). */
  readonly offlineFallbackMs: number
}

export function summaryOf(pointer: FilePointer, fileIdHex: string): NonNullable<MessageRecord['attachment']> {
  return { fileId: fileIdHex, name: pointer.name, size: pointer.size, mediaType: pointer.mediaType }
}

export class OutgoingFiles {
  readonly #deps: OutgoingDeps
  /** Sent files: chunk requests answered over the direct path since this daemon started. */
  readonly #served = new Map<string, number>()
  /** Sent files: the devices (PeerId strings) that asked for them since this daemon started. */
  readonly #askedBy = new Map<string, Set<string>>()
  readonly #fallbacks = new Set<ReturnType<typeof setTimeout>>()

  constructor(deps: OutgoingDeps) {
    this.#deps = deps
  }

  stop(): void {
    for (const timer of this.#fallbacks) clearTimeout(timer)
    this.#fallbacks.clear()
  }

  /** The file server handed `chunks` chunks (0: a manifest piece) of a sent file to device `peer`. */
  served(fileIdHex: string, chunks: number, peer: string): void {
    this.#served.set(fileIdHex, (this.#served.get(fileIdHex) ?? 0) + chunks)
    const asked = this.#askedBy.get(fileIdHex) ?? new Set<string>()
    asked.add(peer)
    this.#askedBy.set(fileIdHex, asked)
  }

  /** Chunks of a sent file served over the direct path since this daemon started. */
  servedChunks(fileIdHex: string): number {
    return this.#served.get(fileIdHex) ?? 0
  }

  /** Drop what was counted for a file that is gone. */
  forget(fileIdHex: string): void {
    this.#served.delete(fileIdHex)
    this.#askedBy.delete(fileIdHex)
  }

  /**
   * Seal the file at `path` and send its pointer, with a caption, to the conversation's contact or
   * to the members of its group.
   */
  async send(conversationId: string, path: string, caption: string): Promise<MessageRecord> {
    const { groups, files, offline } = this.#deps
    const groupId = groupOfConversationId(conversationId)
    const peer = groupId === null || groups === undefined ? peerOfConversation(conversationId) : ''
    if (groupId === null) await this.#deps.messenger.requireContact(peer)
    const sealed = await sealFile(this.#deps.suite, files, path)
    const { fileIdHex } = sealed
    const recipients = groupId === null ? [peer] : (groups?.members(groupId) ?? [])
    // direct only when every recipient's device is directly connected now
    const direct = await this.#allDirect(recipients)
    // the offline path's replicas, or why there are none (the file then goes direct only)
    let pointer = sealed.pointer
    let offlineError: string | undefined
    try {
      pointer = { ...pointer, replicas: offline.plan(pointer.size) }
    } catch (error) {
      offlineError = (error as Error).message
    }
    const now = this.#deps.now()
    const attachment: OutgoingAttachment = {
      pointer: encodeFilePointer(pointer),
      summary: summaryOf(pointer, fileIdHex),
      ops: (message) =>
        files.newAttachmentOps({
          fileId: fileIdHex,
          messageId: message.id,
          conversationId,
          peerUserId: peer,
          ...(groupId !== null ? { groupId } : {}),
          direction: 'out',
          pointer: encodeFilePointer(pointer),
          state: 'available',
          // an offline recipient and no offline path: say why it waits for a direct connection
          ...(!direct && offlineError !== undefined ? { error: offlineError } : {}),
          createdAt: now,
          updatedAt: now,
        }),
    }
    let message: MessageRecord
    try {
      message =
        groupId !== null && groups !== undefined
          ? await groups.send(conversationId, caption, attachment)
          : await this.#deps.messenger.sendText(conversationId, caption, attachment)
    } catch (error) {
      await files.dropContents(fileIdHex, pointer.chunkCount).catch(() => {})
      throw error
    }
    if (pointer.replicas.length > 0) {
      if (!direct) await this.#uploadNow(fileIdHex)
      else this.#fallbackLater(fileIdHex)
    }
    return message
  }

  async #allDirect(userIds: readonly string[]): Promise<boolean> {
    const contacts = await Promise.all(userIds.map((u) => this.#deps.getContact(u)))
    return contacts.every(
      (c) =>
        c?.devicePeerId != null && hasDirectConnection(this.#deps.libp2p, peerIdFromBytes(c.devicePeerId)),
    )
  }

  async #uploadNow(fileIdHex: string): Promise<void> {
    const record = await this.#deps.files.attachment(fileIdHex)
    if (record?.state === 'available') await this.#deps.offline.begin(record)
  }

  /**
   * The direct path failed when a recipient's device has not asked for the file in time (in a
   * group: fewer devices asked than there are members): upload then.
   */
  #fallbackLater(fileIdHex: string): void {
    const timer = setTimeout(() => {
      this.#fallbacks.delete(timer)
      void this.#deps.files
        .attachment(fileIdHex)
        .then((record) => {
          if (record === undefined) return
          const asked = this.#askedBy.get(fileIdHex)?.size ?? 0
          if (asked < recipientsOf(this.#deps.recipients, record).length) return this.#uploadNow(fileIdHex)
        })
        .catch((error) => this.#deps.log.warn('file upload not started', { error: (error as Error)?.name }))
    }, this.#deps.offlineFallbackMs)
    this.#fallbacks.add(timer)
  }
}

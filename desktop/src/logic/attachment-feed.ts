/**
 * Attachment transfers for file cards: attachments.get once per card, then the daemon's
 * attachment.progress / attachment.state events routed to the card of their message.
 */
import type { Attachment, EventPayload } from '../../../node/src/rpc/api.ts'
import type { WrenRpc } from '../rpc-browser.ts'
import { contentUrl, isInlineImage } from './attachment-view.ts'

export type TransferEvent = EventPayload<'attachment.progress'> | EventPayload<'attachment.state'>

export class AttachmentFeed {
  readonly #rpc: WrenRpc
  readonly #listeners = new Map<string, Set<(e: TransferEvent) => void>>()
  readonly #unsubscribe: Array<() => void>
  /** Whether a whole file is an image to show inline, as the daemon sniffed it (asked once). */
  readonly #images = new Map<string, Promise<boolean>>()

  constructor(rpc: WrenRpc) {
    this.#rpc = rpc
    const route = (e: TransferEvent) => {
      for (const l of this.#listeners.get(e.messageId) ?? []) l(e)
    }
    this.#unsubscribe = [rpc.on('attachment.progress', route), rpc.on('attachment.state', route)]
  }

  get(messageId: string): Promise<Attachment> {
    return this.#rpc.call('attachments.get', { messageId })
  }

  download(messageId: string): Promise<Attachment> {
    return this.#rpc.call('attachments.download', { messageId })
  }

  /** Write the file to an absolute path on the daemon's machine (never over an existing file). */
  save(messageId: string, path: string): Promise<{ path: string; bytes: number }> {
    return this.#rpc.call('attachments.save', { messageId, path })
  }

  /**
   * Whether the whole file of a message is an image the page shows inline: the Content-Type the
   * daemon sniffed from its bytes (a HEAD request to the endpoint). A failed request is not kept.
   */
  isImage(messageId: string): Promise<boolean> {
    let known = this.#images.get(messageId)
    if (known === undefined) {
      known = fetch(contentUrl(messageId), { method: 'HEAD' }).then((r) => {
        if (!r.ok) throw new Error(`HEAD ${r.status}`)
        return isInlineImage(r.headers.get('content-type'))
      })
      known.catch(() => this.#images.delete(messageId))
      this.#images.set(messageId, known)
    }
    return known
  }

  /** Follow one message's transfer; returns an unsubscribe function. */
  follow(messageId: string, listener: (e: TransferEvent) => void): () => void {
    const set = this.#listeners.get(messageId) ?? new Set()
    set.add(listener)
    this.#listeners.set(messageId, set)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.#listeners.delete(messageId)
    }
  }

  close(): void {
    for (const u of this.#unsubscribe) u()
  }
}

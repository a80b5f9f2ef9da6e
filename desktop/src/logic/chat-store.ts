/**
 * One open conversation: its loaded messages (pages merged with live events), history paging,
 * sending, and the unread divider fixed at open time.
 */
import type { EventPayload, Message } from '../../../node/src/rpc/api.ts'
import type { AppStore } from './app-store.ts'
import type { PendingUpload } from './attachment-view.ts'
import { firstUnreadSeq, mergeMessages, newestIncomingSeq } from './chat-rows.ts'
import { applyUpdate, removeMessage } from './message-actions.ts'
import { applyStatus } from './message-status.ts'
import { describeError } from './rpc-errors.ts'
import { uploadFile } from './upload-file.ts'
import { applyWaiting } from './waiting.ts'

/** First page when a chat opens: fills a tall window with room to scroll. */
export const INITIAL_PAGE = 50
/** Older pages loaded when scrolling up. */
export const HISTORY_PAGE = 200

/** Older pages a jump to a search result loads at most (HISTORY_PAGE each): 10,000 messages back. */
export const MAX_JUMP_PAGES = 50

/** Status events held for messages not seen yet; older ones are dropped past this. */
export const MAX_EARLY_STATUSES = 256

export interface ChatState {
  readonly messages: readonly Message[]
  readonly hasMore: boolean
  readonly loading: boolean
  readonly loaded: boolean
  readonly unreadFromSeq: number | null
  readonly error: string | null
  /** Files this page is sending whose messages do not exist yet (and failed ones, to retry). */
  readonly uploads: readonly PendingUpload[]
}

export class ChatStore {
  readonly conversationId: string
  readonly #app: AppStore
  #state: ChatState = {
    messages: [],
    hasMore: false,
    loading: false,
    loaded: false,
    unreadFromSeq: null,
    error: null,
    uploads: [],
  }
  readonly #listeners = new Set<() => void>()
  readonly #unsubscribe: Array<() => void> = []
  /** Status events that arrived before the message itself (e.g. before messages.send answered). */
  /** Highest seq already marked read from this view (markRead is called on every layout). */
  #readUpTo = -1
  readonly #early = new Map<string, EventPayload<'message.status'>>()
  /** Pending uploads' files (for a retry) and how to stop the ones running. */
  readonly #uploadFiles = new Map<number, File>()
  readonly #uploadAborts = new Map<number, () => void>()
  #uploadSeq = 0

  constructor(app: AppStore, conversationId: string) {
    this.#app = app
    this.conversationId = conversationId
    this.#unsubscribe.push(
      app.onMessage((m) => {
        if (m.conversationId === conversationId) this.#merge([m])
      }),
      app.onMessageStatus((p) => this.#onStatus(p)),
      app.onMessageUpdated((p) => {
        if (p.conversationId !== conversationId) return
        const messages = applyUpdate(this.#state.messages, p)
        if (messages !== this.#state.messages) this.#set({ messages })
      }),
      app.onWaiting((p) => {
        if (p.conversationId !== conversationId) return
        const messages = applyWaiting(this.#state.messages, p.waiting)
        if (messages !== this.#state.messages) this.#set({ messages })
      }),
    )
  }

  get state(): ChatState {
    return this.#state
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #set(patch: Partial<ChatState>): void {
    this.#state = { ...this.#state, ...patch }
    for (const l of this.#listeners) l()
  }

  async loadInitial(unread: number): Promise<void> {
    this.#set({ loading: true, error: null })
    try {
      const limit = Math.max(INITIAL_PAGE, Math.min(unread + 10, 500))
      const page = await this.#app.rpc.call('messages.list', { conversationId: this.conversationId, limit })
      const messages = mergeMessages(this.#state.messages, page.messages)
      this.#set({
        messages,
        hasMore: page.hasMore,
        loading: false,
        loaded: true,
        unreadFromSeq: firstUnreadSeq(messages, unread),
      })
    } catch (error) {
      this.#set({ loading: false, loaded: true, error: describeError(error) })
    }
  }

  async loadOlder(): Promise<void> {
    const s = this.#state
    if (s.loading || !s.hasMore || s.messages.length === 0) return
    this.#set({ loading: true })
    try {
      const page = await this.#app.rpc.call('messages.list', {
        conversationId: this.conversationId,
        before: s.messages[0]!.seq,
        limit: HISTORY_PAGE,
      })
      this.#set({
        messages: mergeMessages(this.#state.messages, page.messages),
        hasMore: page.hasMore,
        loading: false,
      })
    } catch (error) {
      this.#set({ loading: false, error: describeError(error) })
    }
  }

  /**
   * Load older pages until the message with `seq` is loaded (a search result to show), at most
   * MAX_JUMP_PAGES; resolves whether it is. The loaded pages stay contiguous down from the newest.
   */
  async loadBackTo(seq: number): Promise<boolean> {
    for (let i = 0; i <= MAX_JUMP_PAGES; i++) {
      const s = this.#state
      if (s.messages.length > 0 && s.messages[0]!.seq <= seq) return true
      if (!s.hasMore || s.error !== null || i === MAX_JUMP_PAGES) return false
      while (this.#state.loading) await new Promise((r) => setTimeout(r, 20))
      await this.loadOlder()
    }
    return false
  }

  /**
   * Send (a reply when `replyTo` is a message id); rejects with the daemon's error so the
   * composer can keep the text and show it.
   */
  async send(text: string, clientId: string, replyTo?: string): Promise<void> {
    const { message } = await this.#app.rpc.call('messages.send', {
      conversationId: this.conversationId,
      text,
      clientId,
      ...(replyTo === undefined ? {} : { replyTo }),
    })
    this.#merge([message])
    this.#app.noteSent(message)
  }

  // ---- files from the page (attach button, drag and drop): each is uploaded to the daemon, which
  // seals and sends it; its message then joins the chat like a sent text

  sendFiles(files: readonly File[]): void {
    for (const file of files) this.#upload(file)
  }

  /** Send a failed upload again. */
  retryUpload(id: number): void {
    const file = this.#uploadFiles.get(id)
    this.dismissUpload(id)
    if (file) this.#upload(file)
  }

  /** Stop an upload (or forget a failed one); nothing is sent. */
  dismissUpload(id: number): void {
    this.#uploadAborts.get(id)?.()
    this.#uploadFiles.delete(id)
    this.#set({ uploads: this.#state.uploads.filter((u) => u.id !== id) })
  }

  #upload(file: File): void {
    const id = ++this.#uploadSeq
    const pending: PendingUpload = {
      id,
      name: file.name,
      size: file.size,
      sent: 0,
      sealing: false,
      error: null,
    }
    this.#uploadFiles.set(id, file)
    this.#set({ uploads: [...this.#state.uploads, pending] })
    const patch = (p: Partial<PendingUpload>) =>
      this.#set({ uploads: this.#state.uploads.map((u) => (u.id === id ? { ...u, ...p } : u)) })
    const handle = uploadFile(this.conversationId, file, {
      progress: (sent) => patch({ sent }),
      uploaded: () => patch({ sent: file.size, sealing: true }),
    })
    this.#uploadAborts.set(id, handle.abort)
    handle.done
      .then(
        (message) => {
          this.#uploadFiles.delete(id)
          this.#set({ uploads: this.#state.uploads.filter((u) => u.id !== id) })
          this.#merge([message])
          this.#app.noteSent(message)
        },
        (error: Error) => patch({ error: error.message, sealing: false }),
      )
      .finally(() => this.#uploadAborts.delete(id))
  }

  // ---- actions on a message: each answer is applied at once (the message.updated event that
  // follows it changes nothing more); each rejects with the daemon's error for the view to show

  async react(messageId: string, emoji: string | null): Promise<void> {
    this.#updated(messageId, 'reaction', await this.#app.rpc.call('messages.react', { messageId, emoji }))
  }

  async edit(messageId: string, text: string): Promise<void> {
    this.#updated(messageId, 'edit', await this.#app.rpc.call('messages.edit', { messageId, text }))
  }

  async pin(messageId: string, pinned: boolean): Promise<void> {
    this.#updated(messageId, 'pin', await this.#app.rpc.call('messages.pin', { messageId, pinned }))
  }

  /** Delete for everyone (a tombstone stays) or for me (the message leaves this list). */
  async delete(messageId: string, forEveryone: boolean): Promise<void> {
    const answer = await this.#app.rpc.call('messages.delete', { messageId, forEveryone })
    if (forEveryone) this.#updated(messageId, 'delete', answer)
    else {
      const messages = removeMessage(this.#state.messages, messageId)
      if (messages !== this.#state.messages) this.#set({ messages })
    }
  }

  /** Forward to other direct chats; returns how many copies the daemon queued. */
  async forward(messageId: string, conversationIds: readonly string[]): Promise<number> {
    const { messages } = await this.#app.rpc.call('messages.forward', {
      messageId,
      conversationIds: [...conversationIds],
    })
    for (const m of messages) {
      if (m.conversationId === this.conversationId) this.#merge([m])
      this.#app.noteSent(m)
    }
    return messages.length
  }

  #updated(
    messageId: string,
    change: EventPayload<'message.updated'>['change'],
    { message }: { message: Message },
  ): void {
    this.#app.noteUpdated({ conversationId: this.conversationId, messageId, change, message })
  }

  /** Merge messages, keeping any status already known for them (statuses only move forward). */
  #merge(incoming: readonly Message[]): void {
    const known = new Map(this.#state.messages.map((m) => [m.id, m]))
    const fixed = incoming.map((m) => {
      let out = m
      const before = known.get(m.id)
      if (before) out = applyStatus(out, before.status, before.receipts)
      const early = this.#early.get(m.id)
      if (early) {
        out = applyStatus(out, early.status, early.receipts)
        this.#early.delete(m.id)
      }
      return out
    })
    this.#set({ messages: mergeMessages(this.#state.messages, fixed) })
  }

  markRead(): void {
    const seq = newestIncomingSeq(this.#state.messages)
    if (seq === null || seq <= this.#readUpTo) return
    this.#readUpTo = seq
    void this.#app.markRead(this.conversationId, seq)
  }

  #onStatus(p: EventPayload<'message.status'>): void {
    if (p.conversationId !== this.conversationId) return
    let changed = false
    const messages = this.#state.messages.map((m) => {
      if (m.id !== p.messageId) return m
      const next = applyStatus(m, p.status, p.receipts)
      changed ||= next !== m
      return next
    })
    if (changed) this.#set({ messages })
    else if (!this.#state.messages.some((m) => m.id === p.messageId)) {
      this.#early.set(p.messageId, p)
      if (this.#early.size > MAX_EARLY_STATUSES) this.#early.delete(this.#early.keys().next().value!)
    }
  }

  close(): void {
    // uploads under way go on: their messages are sent, and show when the chat opens again
    for (const u of this.#unsubscribe) u()
  }
}

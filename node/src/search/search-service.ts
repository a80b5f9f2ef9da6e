/**
 * Search of the whole message history of one unlocked profile (direct chats and groups: both
 * keep their messages under the same `m/` records). The index (search-index.ts) is in memory
 * only: built from the sealed store on the first search after unlock, then kept up to date by
 * observing every committed write of a message record (SealedStore.observe) — a received, sent,
 * edited or deleted message, a delete for me, a deleted conversation — whichever code path wrote
 * it. Nothing about the index is written to disk, so at rest there is only the sealed store.
 *
 * Why no sealed snapshot of the index: rebuilding it costs one pass over the sealed messages
 * (measured by npm run bench:search), paid once per unlock and only when the user searches; a
 * snapshot would have to be written on every change (or go stale and be reconciled), adding a
 * second copy of every text at rest for a saving the user rarely feels.
 */

import { MESSAGE_RECORD, type MessageRecord } from '../messaging/records.ts'
import { PREFIXES } from '../storage/layout.ts'
import type { ObservedWrite, SealedStore } from '../storage/sealed-store.ts'
import { formatSearchCursor, parseSearchCursor } from './cursor.ts'
import { queryTerms, SearchIndex, type SearchPage, type Snippet, snippetOf } from './search-index.ts'

/** Terms of one query: a few words; more add cost and no precision. */
export const MAX_SEARCH_TERMS = 8

export interface SearchRequest {
  readonly query: string
  readonly conversationId?: string
  readonly limit: number
  /** The cursor (`next`) of the previous page. */
  readonly before?: string
}

export interface SearchResult {
  readonly messageId: string
  readonly conversationId: string
  readonly seq: number
  readonly sender: string
  readonly direction: 'in' | 'out'
  readonly sentAt: number
  readonly snippet: Snippet
  readonly wordPrefix: boolean
}

export interface SearchResults {
  readonly results: SearchResult[]
  readonly next: string | null
}

export class MessageSearch {
  readonly #store: SealedStore
  readonly #index = new SearchIndex()
  #built: Promise<void> | null = null
  /** Keys written while the first build runs: the build's older view of them is skipped. */
  #touched: Set<string> | null = null
  readonly #unobserve: () => void

  constructor(store: SealedStore) {
    this.#store = store
    this.#unobserve = store.observe(PREFIXES.message, (writes) => this.#follow(writes))
  }

  /** Messages indexed and UTF-16 units of text held (null before the first build). */
  stats(): { messages: number; textUnits: number } | null {
    return this.#built === null ? null : { messages: this.#index.size, textUnits: this.#index.textUnits }
  }

  /** Build the index now (the first search does it otherwise). */
  build(): Promise<void> {
    this.#built ??= this.#buildFromStore().catch((error: unknown) => {
      // a failed build (the store closed under it) is tried again by the next search
      this.#built = null
      this.#index.clear()
      throw error
    })
    return this.#built
  }

  async search(request: SearchRequest): Promise<SearchResults> {
    const after = request.before === undefined ? undefined : parseSearchCursor(request.before)
    const terms = queryTerms(request.query, MAX_SEARCH_TERMS)
    await this.build()
    const page: SearchPage = this.#index.search({
      terms,
      limit: request.limit,
      ...(request.conversationId !== undefined ? { conversationId: request.conversationId } : {}),
      ...(after !== undefined ? { after } : {}),
    })
    return {
      results: page.hits.map(({ message, wordPrefix }) => ({
        messageId: message.messageId,
        conversationId: message.conversationId,
        seq: message.seq,
        sender: message.sender,
        direction: message.direction,
        sentAt: message.sentAt,
        snippet: snippetOf(message.text, terms),
        wordPrefix,
      })),
      next: page.next === null ? null : formatSearchCursor(page.next),
    }
  }

  stop(): void {
    this.#unobserve()
    this.#index.clear()
  }

  async #buildFromStore(): Promise<void> {
    this.#touched = new Set()
    try {
      for await (const [key, message] of this.#store.scan(MESSAGE_RECORD, { prefix: PREFIXES.message }))
        if (!this.#touched.has(key)) this.#put(key, message)
    } finally {
      this.#touched = null
    }
  }

  #follow(writes: readonly ObservedWrite[]): void {
    // before the first build nothing is indexed: the build reads the store as it is then
    if (this.#built === null) return
    for (const { key, value } of writes) {
      this.#touched?.add(key)
      if (value === null) {
        this.#index.remove(key)
        continue
      }
      try {
        this.#put(key, MESSAGE_RECORD.decode(key, value))
      } catch {
        this.#index.remove(key)
      }
    }
  }

  #put(key: string, message: MessageRecord): void {
    this.#index.put(key, {
      messageId: message.id,
      conversationId: message.conversationId,
      seq: message.seq,
      sender: message.sender,
      direction: message.direction,
      sentAt: message.sentAt,
      text: message.deletedAt === undefined ? message.text : '',
    })
  }
}

/** @jsxImportSource preact */
/**
 * Message search (messages.search): a hook that searches as the user types (debounced, newest
 * first, "More" pages on), the list of results (who, where, when, the snippet with its matches
 * marked; a click opens the chat at the message), and the panel of one chat's search.
 */
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Conversation, SearchResult } from '../../node/src/rpc/api.ts'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import { listTime } from './logic/format-time.ts'
import { describeError } from './logic/rpc-errors.ts'
import { SEARCH_DEBOUNCE_MS, SEARCH_PAGE, searchable, snippetParts } from './logic/search.ts'

interface SearchState {
  readonly results: readonly SearchResult[]
  readonly next: string | null
  readonly busy: boolean
  readonly error: string | null
  /** The query these results answer ('' before any). */
  readonly query: string
}

const idle: SearchState = { results: [], next: null, busy: false, error: null, query: '' }

export function useMessageSearch(
  app: AppStore,
  query: string,
  conversationId?: string,
): SearchState & { more: () => void } {
  const [state, setState] = useState<SearchState>(idle)
  const generation = useRef(0)
  const run = async (q: string, before: string | null, gen: number) => {
    setState((s) => ({ ...s, busy: true, error: null }))
    try {
      const r = await app.rpc.call('messages.search', {
        query: q,
        limit: SEARCH_PAGE,
        ...(conversationId ? { conversationId } : {}),
        ...(before ? { before } : {}),
      })
      if (gen !== generation.current) return // a newer query took over
      setState((s) => ({
        results: before ? [...s.results, ...r.results] : r.results,
        next: r.next,
        busy: false,
        error: null,
        query: q,
      }))
    } catch (e) {
      if (gen === generation.current) setState((s) => ({ ...s, busy: false, error: describeError(e) }))
    }
  }
  useEffect(() => {
    const gen = ++generation.current
    const q = query.trim()
    if (!searchable(q)) {
      setState(idle)
      return
    }
    const t = setTimeout(() => void run(q, null, gen), SEARCH_DEBOUNCE_MS)
    return () => clearTimeout(t)
  }, [query, conversationId])
  return {
    ...state,
    more: () => {
      if (state.next && !state.busy) void run(state.query, state.next, generation.current)
    },
  }
}

export function SearchResults({
  app,
  search,
  nameOf,
  showChat,
  now,
}: {
  app: AppStore
  search: ReturnType<typeof useMessageSearch>
  nameOf: (userId: string) => string
  /** Name the chat of each result (a search of every chat). */
  showChat: boolean
  now: number
}): JSX.Element | null {
  // a group's results name the group; a direct chat's sender already names the chat
  const groups = new Map(
    app.state.conversations.filter((c) => c.kind === 'group').map((c) => [c.id, c.title]),
  )
  if (search.query === '' && !search.busy && search.error === null) return null
  return (
    <section class="search-results" aria-label="Messages found" aria-busy={search.busy}>
      {search.error && (
        <p class="error small" role="alert">
          {search.error}
        </p>
      )}
      {search.results.length === 0 && !search.busy && search.error === null && (
        <p class="muted small empty-results">No messages match.</p>
      )}
      <ul>
        {search.results.map((r) => (
          <li key={`${r.conversationId}/${r.messageId}`}>
            <button
              type="button"
              class="search-result"
              onClick={() => app.openAt(r.conversationId, r.messageId, r.seq)}
            >
              <span class="search-result-top">
                <span class="search-result-who">
                  {r.direction === 'out' ? 'You' : nameOf(r.sender)}
                  {showChat && groups.has(r.conversationId) && (
                    <span class="muted"> in {groups.get(r.conversationId)}</span>
                  )}
                </span>
                <span class="conv-time">{listTime(r.sentAt, now)}</span>
              </span>
              <span class="search-snippet">
                {snippetParts(r.snippet, r.highlights).map((p, i) =>
                  p.hit ? <mark key={i}>{p.text}</mark> : p.text,
                )}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {search.next && (
        <button type="button" class="secondary small" onClick={search.more} disabled={search.busy}>
          More results
        </button>
      )}
    </section>
  )
}

/** Search in one chat, under its header (Escape or the close button ends it). */
export function SearchPanel({
  app,
  conversation,
  nameOf,
  now,
  onClose,
}: {
  app: AppStore
  conversation: Conversation
  nameOf: (userId: string) => string
  now: number
  onClose: () => void
}): JSX.Element {
  const [query, setQuery] = useState('')
  const search = useMessageSearch(app, query, conversation.id)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.focus(), [])
  return (
    // biome-ignore lint/a11y/useSemanticElements: <search> is too new for Preact's JSX types
    <div
      class="chat-search"
      role="search"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault() // closes the search, not the chat
          onClose()
        }
      }}
    >
      <div class="search">
        <Icon name="search" size={16} />
        <input
          ref={input}
          type="search"
          placeholder={`Search in ${conversation.title}`}
          aria-label={`Search messages in ${conversation.title}`}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <button type="button" class="icon-button small" onClick={onClose} aria-label="Close the search">
          <Icon name="close" size={16} />
        </button>
      </div>
      <SearchResults app={app} search={search} nameOf={nameOf} showChat={false} now={now} />
    </div>
  )
}

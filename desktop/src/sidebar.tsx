/** @jsxImportSource preact */
/** Left column: header actions, connection indicator, search and the conversation list. */
import type { JSX } from 'preact'
import { useMemo, useState } from 'preact/hooks'
import { Avatar } from './avatar.tsx'
import { useConversationMenu } from './conversation-menu.tsx'
import { Icon } from './icons.tsx'
import { Invitations } from './invitations.tsx'
import type { AppState, AppStore } from './logic/app-store.ts'
import { connectionView } from './logic/connection.ts'
import { archivedCount, listedConversations } from './logic/conversation-menu.ts'
import { contactsById, filterConversations, previewText } from './logic/conversations.ts'
import { listTime } from './logic/format-time.ts'
import { shortUserId } from './logic/groups.ts'
import { unreadBadge } from './logic/mentions.ts'
import { onlineDot } from './logic/presence.ts'
import { SearchResults, useMessageSearch } from './search-panel.tsx'
import { useStore } from './use-store.ts'

export type DialogName =
  | 'add-contact'
  | 'my-card'
  | 'settings'
  | 'new-group'
  | 'room'
  | { contact: string }
  | { group: string }

export interface SidebarProps {
  readonly app: AppStore
  readonly state: AppState
  readonly now: number
  readonly onOpen: (id: string) => void
  readonly onDialog: (d: DialogName) => void
}

function ConnectionIndicator({ state }: { state: AppState }): JSX.Element {
  const view = connectionView(state.link, state.status)
  return (
    <output class={`connection conn-${view.level}`} aria-live="polite" title={view.detail}>
      <span class="dot" aria-hidden="true" />
      <span>{view.label}</span>
      {view.detail && <span class="sr-only">{view.detail}</span>}
    </output>
  )
}

/** Arrow keys move between conversations; Home/End jump to the ends. */
function onListKey(e: KeyboardEvent): void {
  const target = e.target as HTMLElement
  if (!target.matches('.conv')) return
  const items = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('.conv')]
  const i = items.indexOf(target)
  const next =
    e.key === 'ArrowDown'
      ? items[i + 1]
      : e.key === 'ArrowUp'
        ? items[i - 1]
        : e.key === 'Home'
          ? items[0]
          : e.key === 'End'
            ? items[items.length - 1]
            : undefined
  if (next) {
    e.preventDefault()
    next.focus()
  }
}

export function Sidebar({ app, state, now, onOpen, onDialog }: SidebarProps): JSX.Element {
  const [query, setQuery] = useState('')
  const contacts = useMemo(() => contactsById(state.contacts), [state.contacts])
  const nameOf = (userId: string) => contacts.get(userId)?.displayName ?? shortUserId(userId)
  const [showArchived, setShowArchived] = useState(false)
  const menu = useConversationMenu(app)
  const live = useStore(app.live)
  const archived = archivedCount(state.conversations)
  // a search looks through archived chats too
  const list = useMemo(() => {
    const found = filterConversations(state.conversations, query)
    return query.trim() === '' ? listedConversations(found, showArchived && archived > 0) : found
  }, [state.conversations, query, showArchived, archived])
  const me = state.identity
  const messages = useMessageSearch(app, query)
  const nameOfSender = (userId: string) => (userId === me?.userId ? 'You' : nameOf(userId))

  return (
    <aside class="sidebar" aria-label="Chats">
      <header class="sidebar-head">
        <button
          type="button"
          class="icon-button me"
          onClick={() => onDialog('my-card')}
          aria-label="My card and QR code"
          title="My card"
        >
          <Avatar name={me?.displayName ?? '?'} id={me?.userId ?? ''} size={32} />
        </button>
        <h1 class="sidebar-title">Chats</h1>
        <button
          type="button"
          class="icon-button"
          onClick={() => onDialog('new-group')}
          aria-label="New group"
          title="New group"
        >
          <Icon name="group" />
        </button>
        <button
          type="button"
          class="icon-button"
          onClick={() => onDialog('room')}
          aria-label="Ephemeral chat"
          title="Ephemeral chat: a room code, nothing saved"
        >
          <Icon name="clock" />
        </button>
        <button
          type="button"
          class="icon-button"
          onClick={() => onDialog('add-contact')}
          aria-label="Add contact"
          title="Add contact"
        >
          <Icon name="plus" />
        </button>
        <button
          type="button"
          class="icon-button"
          onClick={() => void app.lock()}
          aria-label="Lock Wren"
          title="Lock (the passphrase opens it again)"
        >
          <Icon name="lock" />
        </button>
        <button
          type="button"
          class="icon-button"
          onClick={() => onDialog('settings')}
          aria-label="Settings"
          title="Settings"
        >
          <Icon name="settings" />
        </button>
      </header>
      <ConnectionIndicator state={state} />
      {/* biome-ignore lint/a11y/useSemanticElements: <search> is too new for Preact's JSX types */}
      <div class="search" role="search">
        <Icon name="search" size={16} />
        <input
          type="search"
          placeholder="Search chats and messages"
          aria-label="Search chats and messages"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </div>
      {state.loadError && (
        <p class="error inset" role="alert">
          {state.loadError}
        </p>
      )}
      <Invitations app={app} groups={state.groups} nameOf={nameOf} />
      <nav class="conv-list" aria-label="Conversations">
        {list.length === 0 && (query || state.conversations.length === 0) && (
          <div class="empty-list muted">
            {query ? (
              'No chat names match.'
            ) : (
              <>
                <p>No chats yet.</p>
                <button type="button" class="secondary" onClick={() => onDialog('add-contact')}>
                  Add a contact
                </button>
              </>
            )}
          </div>
        )}
        <ul onKeyDown={onListKey}>
          {list.map((c) => {
            const contact = c.peerUserId === null ? undefined : contacts.get(c.peerUserId)
            const selected = c.id === state.openId
            const online = onlineDot(c, contacts, live.presence)
            const badge = unreadBadge(c)
            const time = c.lastMessage ? listTime(c.lastMessage.receivedAt ?? c.lastMessage.sentAt, now) : ''
            return (
              <li key={c.id}>
                <button
                  type="button"
                  class={`conv${selected ? ' selected' : ''}${c.unread > 0 ? ' has-unread' : ''}`}
                  aria-current={selected ? 'page' : undefined}
                  aria-label={`${c.title}${c.kind === 'group' ? ', group' : ''}${online ? ', online' : ''}${contact?.verified ? ', verified' : ''}${c.muted ? ', muted' : ''}${c.unread > 0 ? `, ${c.unread} unread` : ''}${badge?.mention ? ', mentions you' : ''}`}
                  onClick={() => onOpen(c.id)}
                  onContextMenu={(e) => {
                    e.preventDefault()
                    menu.open(c, e.currentTarget)
                  }}
                >
                  <Avatar name={c.title} id={c.peerUserId ?? c.id} online={online} />
                  <span class="conv-body">
                    <span class="conv-top">
                      <span class="conv-title">
                        {c.kind === 'group' && (
                          <span class="group-mark" title="Group">
                            <Icon name="group" size={14} />
                          </span>
                        )}
                        {c.title}
                        {contact?.verified && (
                          <span class="verified" title="Verified">
                            <Icon name="verified" size={14} />
                          </span>
                        )}
                        {contact?.keyChanged && (
                          <span class="warn-mark" title="Safety number changed">
                            <Icon name="alert" size={14} />
                          </span>
                        )}
                      </span>
                      <span class="conv-time">{time}</span>
                    </span>
                    <span class="conv-bottom">
                      <span class="conv-preview">{previewText(c, nameOf)}</span>
                      {badge?.mention && (
                        <span class="badge badge-mention" aria-hidden="true" title="Mentions you">
                          @
                        </span>
                      )}
                      {badge && (badge.count > 0 || !badge.mention) && (
                        <span class={badge.quiet ? 'badge badge-quiet' : 'badge'} aria-hidden="true">
                          {badge.count > 99 ? '99+' : badge.count > 0 ? badge.count : ''}
                        </span>
                      )}
                    </span>
                  </span>
                </button>
              </li>
            )
          })}
        </ul>
        {query.trim() === '' && (archived > 0 || showArchived) && (
          <button type="button" class="archived-toggle" onClick={() => setShowArchived(!showArchived)}>
            {showArchived ? '← Back to chats' : `Archived (${archived})`}
          </button>
        )}
        {query.trim() !== '' && <h2 class="list-heading">Messages</h2>}
        <SearchResults app={app} search={messages} nameOf={nameOfSender} showChat={true} now={now} />
      </nav>
      {menu.view}
    </aside>
  )
}

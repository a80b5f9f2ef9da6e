/** @jsxImportSource preact */
/**
 * The header of the open chat: back, avatar and title (details on click), the subtitle (typing…,
 * online or last seen and trust for a direct chat; who types, else members, for a group), why messages wait, and
 * the buttons: search in this chat, call, details, and the chat's menu.
 */
import type { ComponentChildren, JSX } from 'preact'
import type { Contact, Conversation, GroupSummary, Waiting } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import { groupSubtitle } from './logic/groups.ts'
import { chatSubtitle, groupTypingWords, onlineDot, typingIn } from './logic/presence.ts'
import { waitingWords } from './logic/waiting.ts'
import { useStore } from './use-store.ts'

export function ChatHeader({
  app,
  conversation,
  contact,
  group,
  now,
  waiting,
  callBlocked,
  keyChanged,
  onDetails,
  onBack,
  onCall,
  onSearch,
  children,
}: {
  app: AppStore
  conversation: Conversation
  contact: Contact | undefined
  group: GroupSummary | undefined
  now: number
  waiting: Waiting | null
  callBlocked: boolean
  keyChanged: boolean
  onDetails: () => void
  onBack: () => void
  onCall: (() => void) | undefined
  onSearch: () => void
  /** The chat's menu button. */
  children?: ComponentChildren
}): JSX.Element {
  const state = useStore(app.live)
  const isGroup = conversation.kind === 'group'
  // typing entries lapse at their expiresAt; the daemon's typing: false normally removes them first
  const typing = typingIn(state.typing, conversation.id, Date.now())
  const groupTyping = isGroup
    ? groupTypingWords(
        state.typing,
        conversation.id,
        Date.now(),
        (userId) => app.state.contacts.find((c) => c.userId === userId)?.displayName,
      )
    : null
  const presence = conversation.peerUserId === null ? undefined : state.presence?.get(conversation.peerUserId)
  const contacts = new Map(contact ? [[contact.userId, contact]] : [])
  const online = onlineDot(conversation, contacts, state.presence)
  return (
    <header class="chat-head">
      <button type="button" class="icon-button back" onClick={onBack} aria-label="Back to chats">
        <Icon name="back" />
      </button>
      <button
        type="button"
        class="chat-peer"
        onClick={onDetails}
        aria-label={`Details of ${conversation.title}`}
      >
        <Avatar
          name={conversation.title}
          id={conversation.peerUserId ?? conversation.id}
          size={36}
          online={online}
        />
        <span class="chat-peer-text">
          <span class="chat-title">
            {conversation.title}
            {contact?.verified && (
              <span class="verified" title="Verified">
                <Icon name="verified" size={15} />
              </span>
            )}
          </span>
          <span class={`muted small chat-subtitle${typing ? ' typing' : ''}`} aria-live="polite">
            {isGroup ? (groupTyping ?? groupSubtitle(group)) : chatSubtitle(contact, presence, typing, now)}
          </span>
          {waiting && (
            <span class="small chat-waiting" role="status">
              waiting: {waitingWords(waiting, conversation.title, now)}
            </span>
          )}
        </span>
      </button>
      <button
        type="button"
        class="icon-button"
        onClick={onSearch}
        aria-label={`Search in ${conversation.title}`}
        title="Search in this chat"
      >
        <Icon name="search" />
      </button>
      {!isGroup && onCall && (
        <button
          type="button"
          class="icon-button"
          onClick={onCall}
          disabled={callBlocked}
          aria-label={`Call ${conversation.title}`}
          title={keyChanged ? 'Accept the new safety number to call' : 'Voice call'}
        >
          <Icon name="phone" />
        </button>
      )}
      <button
        type="button"
        class="icon-button"
        onClick={onDetails}
        aria-label={isGroup ? 'Group details and members' : 'Safety number and contact details'}
        title={isGroup ? 'Group details' : 'Contact details'}
      >
        <Icon name={isGroup ? 'group' : 'info'} />
      </button>
      {children}
    </header>
  )
}

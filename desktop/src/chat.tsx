/** @jsxImportSource preact */
/** The open conversation: header, key-change banner, virtualised messages and the composer. */
import type { JSX } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { Contact, Conversation, GroupMember, GroupSummary } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import { buildChatRows } from './logic/chat-rows.ts'
import { ChatStore } from './logic/chat-store.ts'
import { daemonSendBlock } from './logic/connection.ts'
import { directSubtitle } from './logic/conversations.ts'
import { groupSubtitle, senderNames, shortUserId } from './logic/groups.ts'
import { describeError } from './logic/rpc-errors.ts'
import { conversationWaiting, waitingWords } from './logic/waiting.ts'
import { MessageList } from './message-list.tsx'
import { useStore } from './use-store.ts'

/** Composer grows up to this many pixels before it scrolls. */
const COMPOSER_MAX_PX = 160
/** Message text limit (the daemon's MAX_TEXT_CHARS). */
const MAX_TEXT_CHARS = 65536

export interface ChatProps {
  readonly app: AppStore
  readonly conversation: Conversation
  readonly contact: Contact | undefined
  /** The group of a group conversation (from groups.list); undefined for a direct chat. */
  readonly group: GroupSummary | undefined
  readonly now: number
  readonly visible: boolean
  readonly onDetails: () => void
  readonly onBack: () => void
  /** Start a voice call with the contact of a direct chat (absent: no call button). */
  readonly onCall?: () => void
}

function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

function KeyChangeBanner({
  app,
  contact,
  onDetails,
}: {
  app: AppStore
  contact: Contact
  onDetails: () => void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const accept = async () => {
    setBusy(true)
    setError(null)
    try {
      await app.acceptKeyChange(contact.userId)
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="banner banner-warn" role="alert">
      <Icon name="alert" size={22} />
      <div class="banner-body">
        <strong>Your safety number with {contact.displayName} has changed.</strong>
        <span>
          Someone may be trying to intercept your messages, or they reinstalled Wren. Compare the new safety
          number with them; sending is paused until you accept the new key.
        </span>
        {error && <span class="error-text">{error}</span>}
      </div>
      <div class="banner-actions">
        <button type="button" class="secondary" onClick={onDetails}>
          View safety number
        </button>
        <button type="button" class="primary" onClick={accept} disabled={busy}>
          Accept new key
        </button>
      </div>
    </div>
  )
}

function Composer({
  chat,
  blocked,
  blockedText,
  title,
}: {
  chat: ChatStore
  blocked: boolean
  blockedText: string
  title: string
}): JSX.Element {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const area = useRef<HTMLTextAreaElement>(null)

  useEffect(() => {
    const el = area.current
    if (!el) return
    el.style.height = 'auto'
    el.style.height = `${Math.min(el.scrollHeight, COMPOSER_MAX_PX)}px`
  }, [text])

  useEffect(() => {
    if (!blocked) area.current?.focus()
  }, [chat, blocked])

  const send = async () => {
    const body = text.replace(/^\s+|\s+$/g, '')
    if (!body || blocked || sending) return
    setSending(true)
    setError(null)
    try {
      await chat.send(body, newClientId())
      setText('')
    } catch (e) {
      setError(describeError(e))
    } finally {
      setSending(false)
      area.current?.focus()
    }
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      void send()
    }
  }

  return (
    <div class="composer-wrap">
      {error && (
        <p class="error composer-error" role="alert">
          {error}
        </p>
      )}
      <div class="composer">
        <textarea
          ref={area}
          rows={1}
          value={text}
          maxLength={MAX_TEXT_CHARS}
          disabled={blocked}
          placeholder={blocked ? blockedText : `Message ${title}`}
          aria-label={`Message ${title}`}
          aria-describedby="composer-hint"
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        <span id="composer-hint" class="sr-only">
          Enter sends, Shift+Enter adds a new line.
        </span>
        <button
          type="button"
          class="send"
          onClick={send}
          disabled={blocked || sending || text.trim() === ''}
          aria-label="Send"
          title={blocked ? blockedText : 'Send (Enter)'}
        >
          <Icon name="send" />
        </button>
      </div>
    </div>
  )
}

/** Members of a group chat, re-read when the group's state changes (for sender names). */
function useGroupMembers(app: AppStore, group: GroupSummary | undefined): readonly GroupMember[] {
  const [members, setMembers] = useState<readonly GroupMember[]>([])
  useEffect(() => {
    if (group === undefined) return
    let live = true
    app.groupMembers(group.groupId).then(
      (r) => live && setMembers(r.members),
      () => {
        // names fall back to contacts and short user ids; the details panel shows the error
      },
    )
    return () => {
      live = false
    }
  }, [group?.groupId, group?.stateHash])
  return members
}

export function Chat({
  app,
  conversation,
  contact,
  group,
  now,
  visible,
  onDetails,
  onBack,
  onCall,
}: ChatProps): JSX.Element {
  const chat = useMemo(() => new ChatStore(app, conversation.id), [app, conversation.id])
  const state = useStore(chat)
  useEffect(() => {
    void chat.loadInitial(conversation.unread)
    return () => chat.close()
  }, [chat])
  const isGroup = conversation.kind === 'group'
  const members = useGroupMembers(app, group)
  const contacts = app.state.contacts
  const groupContext = useMemo(() => {
    if (!isGroup) return null
    const names = senderNames(members, contacts)
    return {
      senderName: (userId: string) => names.get(userId) ?? shortUserId(userId),
      recipients: group && group.memberCount > 0 ? group.memberCount - 1 : null,
    }
  }, [isGroup, members, contacts, group?.memberCount])
  const rows = useMemo(
    () => buildChatRows(state.messages, state.unreadFromSeq, groupContext),
    [state.messages, state.unreadFromSeq, groupContext],
  )
  const atBottom = useRef(false)
  const onAtBottom = () => {
    atBottom.current = true
    if (visible) chat.markRead()
  }
  useEffect(() => {
    if (visible && atBottom.current) chat.markRead()
  }, [visible])
  const waiting = isGroup ? null : conversationWaiting(state.messages)
  const groupClosed = isGroup && group?.status !== 'member'
  const daemonBlock = daemonSendBlock(app.state.link)
  const keyChanged = contact?.keyChanged === true
  const blocked = daemonBlock !== null || keyChanged || groupClosed
  const blockedText =
    daemonBlock ?? (groupClosed ? groupSubtitle(group) : 'Accept the new safety number to send')

  return (
    <section
      class="chat"
      aria-label={isGroup ? `Group chat ${conversation.title}` : `Chat with ${conversation.title}`}
      onKeyDown={(e) => {
        // Escape leaves the chat (dialogs handle their own Escape first)
        if (e.key === 'Escape' && !e.isComposing && !e.defaultPrevented) onBack()
      }}
    >
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
            online={!isGroup && contact?.online === true}
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
            <span class="muted small chat-subtitle">
              {isGroup ? groupSubtitle(group) : directSubtitle(contact)}
            </span>
            {waiting && (
              <span class="small chat-waiting" role="status">
                waiting: {waitingWords(waiting, conversation.title, now)}
              </span>
            )}
          </span>
        </button>
        {!isGroup && onCall && (
          <button
            type="button"
            class="icon-button"
            onClick={onCall}
            disabled={daemonBlock !== null || keyChanged}
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
      </header>
      {keyChanged && contact && <KeyChangeBanner app={app} contact={contact} onDetails={onDetails} />}
      {app.state.link === 'closed' && (
        <p class="banner banner-warn" role="alert">
          The Wren daemon stopped, so nothing can be sent or received. Start it again, then reopen this window
          from its launcher.
        </p>
      )}
      {state.error && (
        <p class="error inset" role="alert">
          {state.error}
        </p>
      )}
      {state.loaded && state.messages.length === 0 && !state.error ? (
        <div class="chat-empty muted">
          <Avatar name={conversation.title} id={conversation.peerUserId ?? conversation.id} size={72} />
          <p>
            {isGroup
              ? `Messages in ${conversation.title} are end-to-end encrypted for its members. Invited people read along once they accept.`
              : `Messages with ${conversation.title} are end-to-end encrypted. Compare your safety number to be sure you are talking to them.`}
          </p>
        </div>
      ) : (
        <MessageList
          key={conversation.id}
          rows={rows}
          now={now}
          peerName={isGroup ? null : conversation.title}
          hasMore={state.hasMore}
          loading={state.loading}
          onNearTop={() => void chat.loadOlder()}
          onAtBottom={onAtBottom}
        />
      )}
      <Composer chat={chat} blocked={blocked} blockedText={blockedText} title={conversation.title} />
    </section>
  )
}

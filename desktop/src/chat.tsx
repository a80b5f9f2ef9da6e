/** @jsxImportSource preact */
/** The open conversation: header, key-change banner, virtualised messages and the composer. */
import type { JSX } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { Contact, Conversation, GroupMember, GroupSummary, Message } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import { ChatHeader } from './chat-header.tsx'
import { Composer, type Draft } from './composer.tsx'
import { useConversationMenu } from './conversation-menu.tsx'
import { Icon } from './icons.tsx'
import type { AppStore } from './logic/app-store.ts'
import { AttachmentFeed } from './logic/attachment-feed.ts'
import { buildChatRows } from './logic/chat-rows.ts'
import { ChatStore } from './logic/chat-store.ts'
import { daemonSendBlock } from './logic/connection.ts'
import { groupSubtitle, senderNames, shortUserId } from './logic/groups.ts'
import { pinnedMessages } from './logic/message-actions.ts'
import { TYPING_IDLE_MS, TypingSender } from './logic/presence.ts'
import { describeError } from './logic/rpc-errors.ts'
import { conversationWaiting } from './logic/waiting.ts'
import { type MessageActionsApi, MessageActionsContext } from './message-actions-context.ts'
import { DeleteMessage, ForwardMessage, SaveFile } from './message-dialogs.tsx'
import { MessageInfo } from './message-info.tsx'
import { MessageList } from './message-list.tsx'
import { PinnedBar } from './pinned-bar.tsx'
import { SearchPanel } from './search-panel.tsx'
import { UploadsBar } from './uploads-bar.tsx'
import { useStore } from './use-store.ts'

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

/** The message dialog open over the chat. */
type MessageDialog = {
  readonly kind: 'delete' | 'forward' | 'save' | 'info'
  readonly message: Message
} | null

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
  const [draft, setDraft] = useState<Draft>(null)
  const [dialog, setDialog] = useState<MessageDialog>(null)
  const [actionError, setActionError] = useState<string | null>(null)
  const [jumpTo, setJumpTo] = useState<{ messageId: string } | null>(null)
  const files = useMemo(() => new AttachmentFeed(app.rpc), [app])
  useEffect(() => () => files.close(), [files])
  const me = app.state.identity?.userId ?? ''
  const myName = app.state.identity?.displayName ?? ''
  // a direct chat, or a group we are still in: actions can be sent (the daemon checks again)
  const canAct = !isGroup || group?.status === 'member'
  const nameOf = useMemo(() => {
    if (groupContext) return groupContext.senderName
    return (userId: string) =>
      userId === conversation.peerUserId
        ? conversation.title
        : (contacts.find((c) => c.userId === userId)?.displayName ?? shortUserId(userId))
  }, [groupContext, contacts, conversation.title])
  const mentionNames = useMemo(() => {
    const cardNames = new Map(members.map((m) => [m.userId, m.displayName]))
    return (userId: string): readonly string[] =>
      userId === me ? [myName] : [nameOf(userId), cardNames.get(userId) ?? '']
  }, [members, me, myName, nameOf])
  const mentionable = useMemo(
    () => (isGroup ? members.map((m) => ({ userId: m.userId, name: nameOf(m.userId) })) : null),
    [isGroup, members, nameOf],
  )
  const actions = useMemo<MessageActionsApi>(() => {
    const attempt = (f: () => Promise<unknown>) => {
      setActionError(null)
      f().catch((e) => setActionError(describeError(e)))
    }
    return {
      me,
      canAct,
      nameOf,
      mentionNames,
      files,
      reply: (m) => setDraft({ kind: 'reply', message: m }),
      edit: (m) => setDraft({ kind: 'edit', message: m }),
      react: (m, emoji) => attempt(() => chat.react(m.id, emoji)),
      remove: (m) => setDialog({ kind: 'delete', message: m }),
      forward: (m) => setDialog({ kind: 'forward', message: m }),
      pin: (m, pinned) => attempt(() => chat.pin(m.id, pinned)),
      copy: (m) => attempt(() => navigator.clipboard.writeText(m.text)),
      jump: (messageId) => setJumpTo({ messageId }),
      saveFile: (m) => setDialog({ kind: 'save', message: m }),
      info: isGroup ? (m) => setDialog({ kind: 'info', message: m }) : null,
    }
  }, [chat, me, canAct, nameOf, mentionNames, files, isGroup])
  const closedGroups = useMemo(
    () => new Set(app.state.groups.filter((g) => g.status !== 'member').map((g) => g.conversationId)),
    [app.state.groups],
  )
  const [searching, setSearching] = useState(false)
  const conversationMenu = useConversationMenu(app)
  // typing.set while the user types in a direct or group chat (renewed while typing goes on, false at the end)
  const typingSender = useMemo(() => new TypingSender(), [conversation.id])
  const tell = (typing: boolean | null) => {
    if (typing !== null) app.live.setTyping(conversation.id, typing)
  }
  const onTyping = (hasText: boolean) => tell(typingSender.input(hasText, Date.now()))
  useEffect(() => {
    if (isGroup) return
    const t = setInterval(() => tell(typingSender.idle(Date.now())), TYPING_IDLE_MS / 2)
    return () => {
      clearInterval(t)
      tell(typingSender.stop())
    }
  }, [typingSender])
  // a search result of this chat: load back to it, then show it
  const jump = app.state.jump
  useEffect(() => {
    if (jump === null || jump.conversationId !== conversation.id || !state.loaded) return
    app.clearJump()
    void chat.loadBackTo(jump.seq).then((found) => {
      if (found) setJumpTo({ messageId: jump.messageId })
      else setActionError('That message is further back than the chat can load at once; scroll up to it.')
    })
  }, [jump, state.loaded])
  const pinned = useMemo(() => pinnedMessages(state.messages), [state.messages])
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
  // files go to direct chats (attachments.send); dropped ones too, unless sending is blocked
  const canAttach = !isGroup
  const [dragging, setDragging] = useState(false)
  const carriesFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') === true
  const onDragOver = (e: DragEvent) => {
    if (!carriesFiles(e)) return
    e.preventDefault() // a file dropped here is never opened by the browser in place of the page
    if (e.dataTransfer) e.dataTransfer.dropEffect = canAttach && !blocked ? 'copy' : 'none'
    if (canAttach && !blocked) setDragging(true)
  }
  const onDrop = (e: DragEvent) => {
    if (!carriesFiles(e)) return
    e.preventDefault()
    setDragging(false)
    const files = [...(e.dataTransfer?.files ?? [])]
    if (canAttach && !blocked && files.length > 0) chat.sendFiles(files)
  }

  return (
    <section
      class="chat"
      aria-label={isGroup ? `Group chat ${conversation.title}` : `Chat with ${conversation.title}`}
      onKeyDown={(e) => {
        // Escape leaves the chat; a dialog of this chat (delete, forward, save) handles its own
        const inDialog = (e.target as Element | null)?.closest?.('dialog') != null
        if (e.key === 'Escape' && !e.isComposing && !e.defaultPrevented && !inDialog) onBack()
      }}
      onDragEnter={onDragOver}
      onDragOver={onDragOver}
      onDragLeave={(e) => {
        // leaving the chat, not moving between its children
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false)
      }}
      onDrop={onDrop}
    >
      {dragging && (
        <div class="drop-zone" aria-hidden="true">
          Drop to send to {conversation.title}
        </div>
      )}
      <ChatHeader
        app={app}
        conversation={conversation}
        contact={contact}
        group={group}
        now={now}
        waiting={waiting}
        callBlocked={daemonBlock !== null || keyChanged}
        keyChanged={keyChanged}
        onDetails={onDetails}
        onBack={onBack}
        onCall={onCall}
        onSearch={() => setSearching(!searching)}
      >
        <button
          type="button"
          class="icon-button"
          aria-label={`More about ${conversation.title}`}
          title="Mute, archive, disappearing messages, delete"
          aria-haspopup="menu"
          onClick={(e) => conversationMenu.open(conversation, e.currentTarget)}
        >
          <Icon name="more" />
        </button>
      </ChatHeader>
      {conversationMenu.view}
      {searching && (
        <SearchPanel
          app={app}
          conversation={conversation}
          nameOf={nameOf}
          now={now}
          onClose={() => setSearching(false)}
        />
      )}
      <PinnedBar
        pinned={pinned}
        onJump={(m) => actions.jump(m.id)}
        onUnpin={canAct ? (m) => actions.pin(m, false) : null}
      />
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
        <MessageActionsContext.Provider value={actions}>
          <MessageList
            key={conversation.id}
            jumpTo={jumpTo}
            rows={rows}
            now={now}
            peerName={isGroup ? null : conversation.title}
            hasMore={state.hasMore}
            loading={state.loading}
            onNearTop={() => void chat.loadOlder()}
            onAtBottom={onAtBottom}
          />
        </MessageActionsContext.Provider>
      )}
      {actionError && (
        <p class="error inset" role="alert">
          {actionError}
        </p>
      )}
      <UploadsBar chat={chat} uploads={state.uploads} />
      <Composer
        chat={chat}
        canAttach={canAttach}
        blocked={blocked}
        blockedText={blockedText}
        title={conversation.title}
        draft={draft}
        authorOf={(m) => (m.direction === 'out' ? 'You' : nameOf(m.sender))}
        onDraftDone={() => setDraft(null)}
        members={mentionable}
        me={me}
        onTyping={onTyping}
      />
      {dialog?.kind === 'delete' && (
        <DeleteMessage
          chat={chat}
          message={dialog.message}
          peerName={isGroup ? null : conversation.title}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'forward' && (
        <ForwardMessage
          chat={chat}
          message={dialog.message}
          conversations={app.state.conversations}
          closed={closedGroups}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'save' && (
        <SaveFile files={files} message={dialog.message} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === 'info' && (
        <MessageInfo rpc={app.rpc} message={dialog.message} nameOf={nameOf} onClose={() => setDialog(null)} />
      )}
    </section>
  )
}

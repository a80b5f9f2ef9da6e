/** @jsxImportSource preact */
/** The shell: theme, phase (create / unlock / chats), layout, dialogs and notifications. */
import type { JSX } from 'preact'
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { type AvatarSource, AvatarSources } from './avatar.tsx'
import { CallScreen } from './call-screen.tsx'
import { Chat } from './chat.tsx'
import { CreateGroup } from './create-group.tsx'
import { AddContact, ContactDetails, MyCard, Settings } from './dialogs.tsx'
import { GroupDetails } from './group-details.tsx'
import type { AppStore } from './logic/app-store.ts'
import { CallStore } from './logic/call-store.ts'
import { contactsById, totalUnread } from './logic/conversations.ts'
import {
  NOTIFY_STORAGE_KEY,
  parseThemePreference,
  resolveTheme,
  THEME_STORAGE_KEY,
  type ThemePreference,
} from './logic/theme.ts'
import { CreateIdentity, Unlock } from './onboarding.tsx'
import { RoomScreen } from './room-screen.tsx'
import { type DialogName, Sidebar } from './sidebar.tsx'
import { useStore } from './use-store.ts'

/** How often relative times ("5 min") are refreshed, in ms. */
const CLOCK_TICK_MS = 30_000
/** Longest message preview in a notification, in characters. */
const NOTIFICATION_PREVIEW_CHARS = 140

function readSetting(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

function writeSetting(key: string, value: string): void {
  try {
    localStorage.setItem(key, value)
  } catch {
    // storage unavailable: the choice lasts for this session only
  }
}

function useTheme(): [ThemePreference, (t: ThemePreference) => void] {
  const [pref, setPref] = useState(() => parseThemePreference(readSetting(THEME_STORAGE_KEY)))
  useEffect(() => {
    const mq = matchMedia('(prefers-color-scheme: dark)')
    const apply = () => {
      document.documentElement.dataset.theme = resolveTheme(pref, mq.matches)
    }
    apply()
    mq.addEventListener('change', apply)
    return () => mq.removeEventListener('change', apply)
  }, [pref])
  return [
    pref,
    (t) => {
      writeSetting(THEME_STORAGE_KEY, t)
      setPref(t)
    },
  ]
}

function useVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible')
  useEffect(() => {
    const on = () => setVisible(document.visibilityState === 'visible')
    document.addEventListener('visibilitychange', on)
    return () => document.removeEventListener('visibilitychange', on)
  }, [])
  return visible
}

export function App({ store }: { store: AppStore }): JSX.Element {
  const state = useStore(store)
  const [theme, setTheme] = useTheme()
  const visible = useVisible()
  const [dialog, setDialog] = useState<DialogName | null>(null)
  const [notify, setNotify] = useState(() => readSetting(NOTIFY_STORAGE_KEY) !== 'off')
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), CLOCK_TICK_MS)
    return () => clearInterval(t)
  }, [])

  store.visible = () => document.visibilityState === 'visible'
  store.onIncoming = (message, conversation) => {
    if (!notify || document.visibilityState === 'visible') return
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return
    // in a group the body names the sender (the title is the group's name)
    const from =
      conversation?.kind === 'group'
        ? `${store.state.contacts.find((c) => c.userId === message.sender)?.displayName ?? 'Someone'}: `
        : ''
    const n = new Notification(conversation?.title ?? 'New message', {
      body: `${from}${message.text}`.slice(0, NOTIFICATION_PREVIEW_CHARS),
      tag: message.conversationId,
    })
    n.onclick = () => {
      window.focus()
      store.open(message.conversationId)
      n.close()
    }
  }

  const unread = totalUnread(state.conversations)
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Wren` : 'Wren'
  }, [unread])

  useEffect(() => {
    if (state.phase === 'connecting') return
    document.documentElement.dataset.phase = state.phase
    if (performance.getEntriesByName('wren-interactive').length === 0) performance.mark('wren-interactive')
  }, [state.phase])

  const calls = useMemo(() => new CallStore(store.rpc), [store])
  useEffect(() => () => calls.close(), [calls])
  useEffect(() => {
    if (state.phase === 'ready') void calls.resume()
  }, [calls, state.phase])

  const contacts = useMemo(() => contactsById(state.contacts), [state.contacts])
  const open = state.conversations.find((c) => c.id === state.openId)
  const callPeer = open?.peerUserId ?? null
  const me = state.identity
  const pictures = state.pictures
  const avatarSource = useCallback(
    (id: string): AvatarSource | undefined => {
      const source = me !== null && id === me.userId ? { identityKey: me.identityKey } : contacts.get(id)
      const picture = pictures.get(id)
      return picture === undefined || source === undefined ? source : { ...source, picture }
    },
    [me, contacts, pictures],
  )
  const openGroup =
    open?.groupId === null || open === undefined
      ? undefined
      : state.groups.find((g) => g.groupId === open.groupId)
  const detailsContact =
    typeof dialog === 'object' && dialog !== null && 'contact' in dialog
      ? contacts.get(dialog.contact)
      : undefined
  const detailsGroup =
    typeof dialog === 'object' && dialog !== null && 'group' in dialog
      ? state.groups.find((g) => g.groupId === dialog.group)
      : undefined

  if (state.phase === 'connecting')
    return (
      <main class="onboarding" aria-busy="true">
        <div class="card onboarding-card">
          <div class="brand" aria-hidden="true">
            <span class="brand-mark">W</span>
          </div>
          <p role="status">{state.link === 'closed' ? 'Waiting for the Wren daemon…' : 'Connecting…'}</p>
        </div>
      </main>
    )
  if (state.phase === 'create') return <CreateIdentity store={store} />
  if (state.phase === 'unlock') return <Unlock store={store} />

  return (
    <AvatarSources.Provider value={avatarSource}>
      <div class={`layout${open ? ' has-chat' : ''}`}>
        <Sidebar app={store} state={state} now={now} onOpen={(id) => store.open(id)} onDialog={setDialog} />
        <main class="main" id="main">
          {open ? (
            <Chat
              key={open.id}
              app={store}
              conversation={open}
              contact={open.peerUserId === null ? undefined : contacts.get(open.peerUserId)}
              group={openGroup}
              now={now}
              visible={visible}
              onDetails={() => {
                if (open.peerUserId !== null) setDialog({ contact: open.peerUserId })
                else if (open.groupId !== null) setDialog({ group: open.groupId })
              }}
              onBack={() => store.open(null)}
              onCall={callPeer === null ? undefined : () => void calls.start(callPeer)}
            />
          ) : (
            <div class="no-chat muted">
              <p>Select a chat, add a contact with their card to start one, or create a group.</p>
            </div>
          )}
        </main>
        <CallScreen
          calls={calls}
          nameOf={(id) => contacts.get(id)?.displayName ?? 'Unknown contact'}
          silent={(id) => state.conversations.some((c) => c.peerUserId === id && c.muted)}
        />
        {dialog === 'add-contact' && (
          <AddContact
            app={store}
            onClose={() => setDialog(null)}
            onAdded={(c) => {
              setDialog(null)
              store.open(`dm:${c.userId}`)
            }}
          />
        )}
        {dialog === 'my-card' && <MyCard app={store} onClose={() => setDialog(null)} />}
        {dialog === 'settings' && (
          <Settings
            app={store}
            theme={theme}
            onTheme={setTheme}
            notifications={notify}
            onNotifications={(on) => {
              writeSetting(NOTIFY_STORAGE_KEY, on ? 'on' : 'off')
              setNotify(on)
            }}
            onClose={() => setDialog(null)}
          />
        )}
        {dialog === 'new-group' && <CreateGroup app={store} onClose={() => setDialog(null)} />}
        {dialog === 'room' && <RoomScreen app={store} onClose={() => setDialog(null)} />}
        {detailsGroup && <GroupDetails app={store} group={detailsGroup} onClose={() => setDialog(null)} />}
        {detailsContact && (
          <ContactDetails app={store} contact={detailsContact} onClose={() => setDialog(null)} />
        )}
      </div>
    </AvatarSources.Provider>
  )
}

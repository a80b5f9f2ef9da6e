/** @jsxImportSource preact */
/**
 * A conversation's menu (from the chat list's context menu or the chat header's "more" button):
 * mute, archive, mark unread, disappearing messages (a dialog of timers), delete (a confirmation).
 * useConversationMenu holds the menu and its dialogs, so that both places share them.
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import type { Conversation } from '../../node/src/rpc/api.ts'
import { Dialog } from './dialog.tsx'
import type { AppStore } from './logic/app-store.ts'
import {
  type ConversationAction,
  conversationMenu,
  TIMER_CHOICES,
  timerLabel,
} from './logic/conversation-menu.ts'
import { describeError } from './logic/rpc-errors.ts'
import { MessageMenu } from './message-menu.tsx'
import { useAction } from './use-action.ts'

type Open =
  | { readonly kind: 'menu'; readonly c: Conversation; readonly anchor: HTMLElement }
  | { readonly kind: 'delete' | 'timer'; readonly c: Conversation }
  | { readonly kind: 'error'; readonly text: string }
  | null

async function runAction(app: AppStore, c: Conversation, action: ConversationAction): Promise<void> {
  const conversationId = c.id
  const patch =
    action === 'mute' || action === 'unmute'
      ? { mute: action === 'mute' }
      : action === 'archive' || action === 'unarchive'
        ? { archived: action === 'archive' }
        : { unread: true }
  app.replaceConversation(await app.rpc.call('conversations.update', { conversationId, ...patch }))
  // a chat marked unread is left, or reading it would clear the mark at once
  if (action === 'unread' && app.state.openId === conversationId) app.open(null)
}

export function useConversationMenu(app: AppStore): {
  open: (c: Conversation, anchor: HTMLElement) => void
  view: JSX.Element | null
} {
  const [open, setOpen] = useState<Open>(null)
  const close = () => setOpen(null)
  let view: JSX.Element | null = null
  if (open?.kind === 'menu') {
    const { c, anchor } = open
    const items = conversationMenu(c, app.live.state.timers.get(c.id)).map((item) => ({
      label: item.label,
      danger: item.danger,
      onSelect: () => {
        if (item.action === 'delete' || item.action === 'timer') setOpen({ kind: item.action, c })
        else runAction(app, c, item.action).catch((e) => setOpen({ kind: 'error', text: describeError(e) }))
      },
    }))
    view = <MessageMenu anchor={anchor} items={items} label={`${c.title} actions`} onClose={close} />
  } else if (open?.kind === 'delete') view = <DeleteConversation app={app} c={open.c} onClose={close} />
  else if (open?.kind === 'timer') view = <TimerDialog app={app} c={open.c} onClose={close} />
  else if (open?.kind === 'error')
    view = (
      <Dialog title="That did not work" onClose={close}>
        <p class="error" role="alert">
          {open.text}
        </p>
      </Dialog>
    )
  return { open: (c, anchor) => setOpen({ kind: 'menu', c, anchor }), view }
}

function ErrorLine({ error }: { error: string | null }): JSX.Element | null {
  return error === null ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  )
}

function DeleteConversation({ app, c, onClose }: { app: AppStore; c: Conversation; onClose: () => void }) {
  const action = useAction()
  const remove = () =>
    action.run('delete', async () => {
      await app.rpc.call('conversations.delete', { conversationId: c.id })
      app.replaceConversation({ id: c.id, deleted: true })
      if (c.kind === 'group') await app.reloadConversations() // a group stays, without its history
      onClose()
    })
  return (
    <Dialog title={`Delete the chat with ${c.title}?`} onClose={onClose}>
      <div class="stack">
        <p>
          Every message of this chat and its files are erased from this device. Nothing is sent:{' '}
          {c.kind === 'group'
            ? 'the other members keep theirs, and you stay in the group.'
            : `${c.title} keeps theirs.`}
        </p>
        <ErrorLine error={action.error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="button" class="danger" disabled={action.busy !== null} onClick={remove}>
            Delete chat
          </button>
        </div>
      </div>
    </Dialog>
  )
}

function TimerDialog({ app, c, onClose }: { app: AppStore; c: Conversation; onClose: () => void }) {
  const current = app.live.state.timers.get(c.id)
  const [seconds, setSeconds] = useState<number | undefined>(current)
  const action = useAction()
  const save = (e: Event) => {
    e.preventDefault()
    if (seconds === undefined) return
    void action.run('timer', async () => {
      const r = await app.rpc.call('conversations.setTimer', { conversationId: c.id, seconds })
      app.live.noteTimer(c.id, r.seconds)
      onClose()
    })
  }
  return (
    <Dialog title="Disappearing messages" onClose={onClose}>
      <form class="stack" onSubmit={save}>
        <p class="muted small">
          {c.kind === 'group'
            ? 'New messages in this group disappear for every member this long after they are sent (yours) or read (theirs). The owner and admins can change it; the chat shows each change.'
            : `New messages in this chat disappear for you and ${c.title} this long after they are sent (yours) or read (theirs). Either of you can change it; the chat shows each change.`}
          {current === undefined ? '' : ` Now: ${timerLabel(current)}.`}
        </p>
        <fieldset class="pick">
          <legend class="sr-only">Timer</legend>
          {TIMER_CHOICES.map((t) => (
            <label key={t.seconds} class="pick-row">
              <input
                type="radio"
                name="timer"
                checked={seconds === t.seconds}
                onChange={() => setSeconds(t.seconds)}
              />
              <span class="pick-name">{t.label}</span>
            </label>
          ))}
        </fieldset>
        <ErrorLine error={action.error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={action.busy !== null || seconds === undefined}>
            Set
          </button>
        </div>
      </form>
    </Dialog>
  )
}

/** @jsxImportSource preact */
/** Dialogs of message actions: delete (for me / for everyone), forward to chats, save a file. */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import type { Conversation, Message } from '../../node/src/rpc/api.ts'
import { Avatar } from './avatar.tsx'
import { Dialog } from './dialog.tsx'
import type { AttachmentFeed } from './logic/attachment-feed.ts'
import type { ChatStore } from './logic/chat-store.ts'
import { actionsFor, forwardTargets, MAX_FORWARD_TARGETS, shortText } from './logic/message-actions.ts'
import { describeError } from './logic/rpc-errors.ts'

/** Runs one daemon call at a time and keeps its error for the dialog to show. */
function useAction(): {
  busy: boolean
  error: string | null
  run: (f: () => Promise<void>) => Promise<void>
} {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (f: () => Promise<void>) => {
    if (busy) return
    setBusy(true)
    setError(null)
    try {
      await f()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}

function ErrorLine({ error }: { error: string | null }): JSX.Element | null {
  return error === null ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  )
}

export function DeleteMessage({
  chat,
  message,
  peerName,
  onClose,
}: {
  chat: ChatStore
  message: Message
  /** The contact of a direct chat, named in the explanation; null in a group ("every member"). */
  peerName: string | null
  onClose: () => void
}): JSX.Element {
  const action = useAction()
  const can = actionsFor(message, true, Date.now())
  const remove = (forEveryone: boolean) =>
    action.run(async () => {
      await chat.delete(message.id, forEveryone)
      onClose()
    })
  return (
    <Dialog title="Delete message" onClose={onClose}>
      <div class="stack">
        <blockquote class="quote dialog-quote">{shortText(message)}</blockquote>
        <p class="muted small">
          {can.deleteForEveryone
            ? `Delete for everyone erases the text here and on ${peerName === null ? 'every member’s devices' : `${peerName}’s devices`}; a “deleted” mark stays.`
            : 'Delete for me removes it from this device only.'}
        </p>
        <ErrorLine error={action.error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            class="secondary danger-outline"
            disabled={action.busy}
            onClick={() => remove(false)}
          >
            Delete for me
          </button>
          {can.deleteForEveryone && (
            <button type="button" class="danger" disabled={action.busy} onClick={() => remove(true)}>
              Delete for everyone
            </button>
          )}
        </div>
      </div>
    </Dialog>
  )
}

export function ForwardMessage({
  chat,
  message,
  conversations,
  closed,
  onClose,
}: {
  chat: ChatStore
  message: Message
  conversations: readonly Conversation[]
  /** Conversations that take no message (groups we left). */
  closed: ReadonlySet<string>
  onClose: () => void
}): JSX.Element {
  const [query, setQuery] = useState('')
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set())
  const action = useAction()
  const shown = forwardTargets(conversations, query, closed)
  const full = picked.size >= MAX_FORWARD_TARGETS
  const toggle = (id: string, on: boolean) => {
    const next = new Set(picked)
    if (on) next.add(id)
    else next.delete(id)
    setPicked(next)
  }
  const submit = (e: Event) => {
    e.preventDefault()
    if (picked.size === 0) return
    void action.run(async () => {
      await chat.forward(message.id, [...picked])
      onClose()
    })
  }
  return (
    <Dialog title="Forward message" onClose={onClose}>
      <form class="stack" onSubmit={submit}>
        <blockquote class="quote dialog-quote">{shortText(message)}</blockquote>
        <label class="field">
          <span>Search chats</span>
          <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <fieldset class="pick">
          <legend class="sr-only">Forward to</legend>
          <ul class="pick-list">
            {shown.map((c) => {
              const on = picked.has(c.id)
              return (
                <li key={c.id}>
                  <label class="pick-row">
                    <input
                      type="checkbox"
                      checked={on}
                      disabled={!on && full}
                      onChange={(e) => toggle(c.id, e.currentTarget.checked)}
                    />
                    <Avatar name={c.title} id={c.peerUserId ?? c.id} size={32} />
                    <span class="pick-name">
                      {c.title}
                      {c.kind === 'group' && <span class="muted small"> · group</span>}
                    </span>
                  </label>
                </li>
              )
            })}
            {shown.length === 0 && <li class="muted small">No chat matches.</li>}
          </ul>
        </fieldset>
        <p class="muted small">It is sent as a new message marked “Forwarded”.</p>
        <ErrorLine error={action.error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={action.busy || picked.size === 0}>
            {picked.size > 1 ? `Forward to ${picked.size} chats` : 'Forward'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

export function SaveFile({
  files,
  message,
  onClose,
}: {
  files: AttachmentFeed
  message: Message
  onClose: () => void
}): JSX.Element {
  const [path, setPath] = useState('')
  const [saved, setSaved] = useState<string | null>(null)
  const action = useAction()
  const name = message.attachment?.name ?? 'file'
  const submit = (e: Event) => {
    e.preventDefault()
    const target = path.trim()
    if (target === '') return
    void action.run(async () => {
      const r = await files.save(message.id, target)
      setSaved(r.path)
    })
  }
  return (
    <Dialog title={`Save ${name}`} onClose={onClose}>
      <form class="stack" onSubmit={submit}>
        <label class="field">
          <span>Save as (a full path on this computer)</span>
          <input
            type="text"
            value={path}
            placeholder={`/home/you/Downloads/${name}`}
            spellcheck={false}
            onInput={(e) => setPath(e.currentTarget.value)}
          />
        </label>
        <p class="muted small">
          The daemon writes the decrypted file there; an existing file is never replaced.
        </p>
        {saved && (
          <p class="ok-text" role="status">
            Saved to {saved}
          </p>
        )}
        <ErrorLine error={action.error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>
            {saved ? 'Close' : 'Cancel'}
          </button>
          <button type="submit" class="primary" disabled={action.busy || path.trim() === ''}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  )
}

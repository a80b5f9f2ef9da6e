/** @jsxImportSource preact */
/**
 * The composer: a growing textarea (Enter sends, Shift+Enter adds a line), and above it the
 * message being answered or edited, if any (Escape cancels it). Editing puts the message's text
 * in the box and Enter saves it; the text typed before comes back when the edit ends. In direct
 * chats an attach button picks files to send (ChatStore.sendFiles; drops go there too).
 */
import type { JSX } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { Message } from '../../node/src/rpc/api.ts'
import { Icon } from './icons.tsx'
import type { ChatStore } from './logic/chat-store.ts'
import { completeMention, type MentionCandidate, mentionCandidates, mentionQuery } from './logic/mentions.ts'
import { shortText } from './logic/message-actions.ts'
import { describeError } from './logic/rpc-errors.ts'

/** Composer grows up to this many pixels before it scrolls. */
const COMPOSER_MAX_PX = 160
/** Message text limit (the daemon's MAX_TEXT_CHARS). */
const MAX_TEXT_CHARS = 65536

/** A reply being written, or a message being edited. */
export type Draft = { readonly kind: 'reply' | 'edit'; readonly message: Message } | null

function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export function Composer({
  chat,
  blocked,
  blockedText,
  title,
  draft,
  authorOf,
  onDraftDone,
  canAttach,
  members = null,
  me = '',
  onTyping,
}: {
  chat: ChatStore
  /** Files can be sent here (direct chats). */
  canAttach: boolean
  blocked: boolean
  blockedText: string
  title: string
  draft: Draft
  /** Who wrote a message, for the reply preview ('You' for ours). */
  authorOf: (m: Message) => string
  onDraftDone: () => void
  /** Members of a group, offered after `@` (null in a direct chat). */
  members?: readonly MentionCandidate[] | null
  me?: string
  /** The text box changed (typing indicators; called with false when it empties or the text is sent). */
  onTyping?: (typing: boolean) => void
}): JSX.Element {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const area = useRef<HTMLTextAreaElement>(null)
  const picker = useRef<HTMLInputElement>(null)
  /** What was typed before an edit started (restored when it ends). */
  const stashed = useRef<string | null>(null)
  const [caret, setCaret] = useState(0)
  const [active, setActive] = useState(0)
  const [dismissed, setDismissed] = useState<number | null>(null)
  const mention = members === null ? null : mentionQuery(text, caret)
  const suggestions =
    mention && members && mention.start !== dismissed ? mentionCandidates(members, mention.query, me) : []
  const pick = (c: MentionCandidate) => {
    if (!mention) return
    const next = completeMention(text, caret, mention.start, c.name)
    setText(next.text)
    setCaret(next.caret)
    setActive(0)
    requestAnimationFrame(() => area.current?.setSelectionRange(next.caret, next.caret))
  }

  useEffect(() => {
    const el = area.current
    if (!el) return
    el.style.height = 'auto'
    el.style.height = `${Math.min(el.scrollHeight, COMPOSER_MAX_PX)}px`
  }, [text])

  useEffect(() => {
    if (!blocked) area.current?.focus()
  }, [chat, blocked])

  // a layout effect: the box never shows the edited text once the edit preview is gone
  useLayoutEffect(() => {
    if (draft?.kind === 'edit') {
      stashed.current ??= text
      setText(draft.message.text)
    } else if (stashed.current !== null) {
      setText(stashed.current)
      stashed.current = null
    }
    if (draft !== null) area.current?.focus()
  }, [draft])

  const send = async () => {
    const body = text.replace(/^\s+|\s+$/g, '')
    if (!body || blocked || sending) return
    setSending(true)
    setError(null)
    try {
      if (draft?.kind === 'edit') {
        if (body !== draft.message.text) await chat.edit(draft.message.id, body)
        onDraftDone()
      } else {
        await chat.send(body, newClientId(), draft?.kind === 'reply' ? draft.message.id : undefined)
        setText('')
        onTyping?.(false)
        if (draft !== null) onDraftDone()
      }
    } catch (e) {
      setError(describeError(e))
    } finally {
      setSending(false)
      area.current?.focus()
    }
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (suggestions.length > 0 && !e.isComposing) {
      const n = suggestions.length
      const choose = e.key === 'Enter' || e.key === 'Tab'
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || choose || e.key === 'Escape') e.preventDefault()
      if (e.key === 'ArrowDown') return setActive((active + 1) % n)
      if (e.key === 'ArrowUp') return setActive((active - 1 + n) % n)
      if (choose) return pick(suggestions[Math.min(active, n - 1)]!)
      if (e.key === 'Escape') return setDismissed(mention?.start ?? null)
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault()
      void send()
    } else if (e.key === 'Escape' && draft !== null && !e.isComposing) {
      // cancels the reply or edit, not the chat
      e.preventDefault()
      onDraftDone()
    }
  }

  const editing = draft?.kind === 'edit'
  return (
    <div class="composer-wrap">
      {error && (
        <p class="error composer-error" role="alert">
          {error}
        </p>
      )}
      {draft && (
        <div class="draft" role="status" aria-label={editing ? 'Editing a message' : 'Replying'}>
          <Icon name={editing ? 'edit' : 'reply'} size={18} />
          <span class="draft-text">
            <span class="quote-author">
              {editing ? 'Edit message' : `Reply to ${authorOf(draft.message)}`}
            </span>
            <span class="quote-text">{shortText(draft.message)}</span>
          </span>
          <button
            type="button"
            class="icon-button small"
            onClick={onDraftDone}
            aria-label={editing ? 'Cancel the edit (Escape)' : 'Cancel the reply (Escape)'}
            title="Cancel (Escape)"
          >
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      {suggestions.length > 0 && (
        <div id="mention-list" class="mention-list" role="listbox" aria-label="Mention a member">
          {suggestions.map((c, i) => (
            <div
              key={c.userId}
              id={`mention-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              class={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault() // keep the focus in the text box
                pick(c)
              }}
            >
              @{c.name}
            </div>
          ))}
        </div>
      )}
      <div class="composer">
        {canAttach && (
          <>
            <button
              type="button"
              class="icon-button attach"
              onClick={() => picker.current?.click()}
              disabled={blocked}
              aria-label="Attach files"
              title={blocked ? blockedText : 'Attach files (or drop them on the chat)'}
            >
              <Icon name="attach" />
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              aria-hidden="true"
              tabIndex={-1}
              onChange={(e) => {
                const input = e.currentTarget
                if (input.files && input.files.length > 0) chat.sendFiles([...input.files])
                input.value = ''
              }}
            />
          </>
        )}
        <textarea
          ref={area}
          rows={1}
          value={text}
          maxLength={MAX_TEXT_CHARS}
          disabled={blocked}
          placeholder={blocked ? blockedText : editing ? 'Edit your message' : `Message ${title}`}
          aria-label={`Message ${title}`}
          aria-describedby="composer-hint"
          onInput={(e) => {
            const value = e.currentTarget.value
            setText(value)
            setCaret(e.currentTarget.selectionStart ?? value.length)
            setActive(0)
            if (draft?.kind !== 'edit') onTyping?.(value.trim() !== '')
          }}
          onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onBlur={() => onTyping?.(false)}
          onKeyDown={onKeyDown}
          aria-autocomplete={members === null ? undefined : 'list'}
          aria-controls={suggestions.length > 0 ? 'mention-list' : undefined}
          aria-activedescendant={suggestions.length > 0 ? `mention-${active}` : undefined}
        />
        <span id="composer-hint" class="sr-only">
          Enter sends, Shift+Enter adds a new line{draft ? ', Escape cancels' : ''}.
        </span>
        <button
          type="button"
          class="send"
          onClick={send}
          disabled={blocked || sending || text.trim() === ''}
          aria-label={editing ? 'Save the edit' : 'Send'}
          title={blocked ? blockedText : editing ? 'Save (Enter)' : 'Send (Enter)'}
        >
          <Icon name={editing ? 'check' : 'send'} />
        </button>
      </div>
    </div>
  )
}

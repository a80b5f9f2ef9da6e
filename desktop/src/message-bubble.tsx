/** @jsxImportSource preact */
/**
 * One message in the list: its bubble (sender, forwarded mark, quote, file card, text or
 * tombstone, edited mark, time and ticks), its reaction chips, and the actions shown on hover
 * or keyboard focus (reply, react, more). What an action does is the chat's business, reached
 * through MessageActionsContext so rows stay cheap to re-render.
 */
import type { JSX } from 'preact'
import { useContext, useRef, useState } from 'preact/hooks'
import type { Message } from '../../node/src/rpc/api.ts'
import { FileCard } from './file-card.tsx'
import { Icon } from './icons.tsx'
import type { ChatRow } from './logic/chat-rows.ts'
import { clockTime, fullTime } from './logic/format-time.ts'
import { groupStatusView } from './logic/groups.ts'
import { mentionSegments, mentionsMe } from './logic/mentions.ts'
import { actionsFor, myReaction, quoteView, reactionChips } from './logic/message-actions.ts'
import { statusView } from './logic/message-status.ts'
import { waitingWords } from './logic/waiting.ts'
import { type MessageActionsApi, MessageActionsContext } from './message-actions-context.ts'
import { type MenuItem, MessageMenu, ReactionPicker } from './message-menu.tsx'

function Ticks({
  status,
  receipts,
  recipients,
  why,
}: {
  why: string | undefined
  status: Parameters<typeof statusView>[0]
  receipts: number
  /** Other members of a group (aggregate ticks); null in a direct chat. */
  recipients: number | null
}) {
  const view =
    recipients === null ? statusView(status, receipts, why) : groupStatusView(status, receipts, recipients)
  const icon =
    view.kind === 'clock'
      ? 'clock'
      : view.kind === 'single'
        ? 'check'
        : view.kind === 'error'
          ? 'alert'
          : 'checks'
  return (
    <span class={`ticks ticks-${view.kind}`} title={view.label}>
      <Icon name={icon} size={14} />
      {view.detail && <span class="receipts">{view.detail}</span>}
      <span class="sr-only">{view.label}</span>
    </span>
  )
}

type Open = { kind: 'menu' | 'react'; anchor: HTMLElement } | null

function Actions({ m, api }: { m: Message; api: MessageActionsApi }): JSX.Element | null {
  const [open, setOpen] = useState<Open>(null)
  const reactButton = useRef<HTMLButtonElement>(null)
  const moreButton = useRef<HTMLButtonElement>(null)
  const can = actionsFor(m, api.canAct, Date.now())
  const items: MenuItem[] = []
  if (can.edit) items.push({ label: 'Edit', onSelect: () => api.edit(m) })
  if (can.copy) items.push({ label: 'Copy text', onSelect: () => api.copy(m) })
  if (can.forward) items.push({ label: 'Forward…', onSelect: () => api.forward(m) })
  const info = api.info
  if (info && m.direction === 'out' && m.deletedAt === undefined && m.call === undefined)
    items.push({ label: 'Message info', onSelect: () => info(m) })
  if (can.pin)
    items.push({ label: can.pin === 'pin' ? 'Pin' : 'Unpin', onSelect: () => api.pin(m, can.pin === 'pin') })
  if (can.deleteForMe || can.deleteForEveryone)
    items.push({ label: 'Delete…', onSelect: () => api.remove(m), danger: true })
  if (!can.reply && !can.react && items.length === 0) return null
  return (
    <div class="msg-actions" role="toolbar" aria-label="Message actions">
      {can.reply && (
        <button
          type="button"
          class="icon-button small"
          aria-label="Reply"
          title="Reply"
          onClick={() => api.reply(m)}
        >
          <Icon name="reply" size={16} />
        </button>
      )}
      {can.react && (
        <button
          ref={reactButton}
          type="button"
          class="icon-button small"
          aria-label="React"
          title="React"
          aria-haspopup="menu"
          aria-expanded={open?.kind === 'react'}
          onClick={() =>
            setOpen(open?.kind === 'react' ? null : { kind: 'react', anchor: reactButton.current! })
          }
        >
          <Icon name="smile" size={16} />
        </button>
      )}
      {items.length > 0 && (
        <button
          ref={moreButton}
          type="button"
          class="icon-button small"
          aria-label="More actions"
          title="More"
          aria-haspopup="menu"
          aria-expanded={open?.kind === 'menu'}
          onClick={() =>
            setOpen(open?.kind === 'menu' ? null : { kind: 'menu', anchor: moreButton.current! })
          }
        >
          <Icon name="more" size={16} />
        </button>
      )}
      {open?.kind === 'menu' && (
        <MessageMenu anchor={open.anchor} items={items} onClose={() => setOpen(null)} />
      )}
      {open?.kind === 'react' && (
        <ReactionPicker
          anchor={open.anchor}
          current={myReaction(m, api.me)}
          onPick={(emoji) => api.react(m, myReaction(m, api.me) === emoji ? null : emoji)}
          onClose={() => setOpen(null)}
        />
      )}
    </div>
  )
}

function Reactions({ m, api }: { m: Message; api: MessageActionsApi }): JSX.Element | null {
  const chips = reactionChips(m, api.me)
  if (chips.length === 0) return null
  const who = (senders: readonly string[]) =>
    senders.map((s) => (s === api.me ? 'You' : api.nameOf(s))).join(', ')
  return (
    <div class="reactions">
      {chips.map((c) => (
        <button
          key={c.emoji}
          type="button"
          class={c.mine ? 'reaction mine' : 'reaction'}
          aria-pressed={c.mine}
          disabled={!api.canAct || m.deletedAt !== undefined}
          title={who(c.senders)}
          aria-label={`${c.emoji} ${c.count}: ${who(c.senders)}${c.mine ? ' (click to remove yours)' : ''}`}
          onClick={() => api.react(m, c.mine ? null : c.emoji)}
        >
          <span aria-hidden="true">{c.emoji}</span>
          {c.count > 1 && <span class="reaction-count">{c.count}</span>}
        </button>
      ))}
    </div>
  )
}

export function MessageBubble({
  row,
  now,
  peerName,
}: {
  row: Extract<ChatRow, { kind: 'message' }>
  now: number
  peerName: string | null
}): JSX.Element {
  const api = useContext(MessageActionsContext)
  const m = row.message
  const at = m.direction === 'in' ? (m.receivedAt ?? m.sentAt) : m.sentAt
  const deleted = m.deletedAt !== undefined
  const atMe = api !== null && !deleted && mentionsMe(m, api.me)
  const cls = `msg msg-${m.direction}${row.first ? ' first' : ''}${row.last ? ' last' : ''}${m.status === 'failed' ? ' failed' : ''}${deleted ? ' deleted' : ''}${atMe ? ' mentions-me' : ''}`
  const quote = api ? quoteView(m, api.me, api.nameOf) : null
  const quoteBody = quote && (
    <>
      <span class="quote-author">{quote.author}</span>
      <span class={quote.deleted ? 'quote-text muted' : 'quote-text'}>{quote.text}</span>
    </>
  )
  return (
    <article
      class={cls}
      tabIndex={-1}
      data-message-id={m.id}
      aria-label={`${m.direction === 'out' ? 'You said' : row.senderName ? `${row.senderName} said` : 'They said'}${atMe ? ', mentioning you' : ''}`}
    >
      <div class="msg-body">
        <div class="bubble">
          {row.senderName && row.first && (
            <div class="sender" aria-hidden="true">
              {row.senderName}
            </div>
          )}
          {m.forwarded && !deleted && <div class="forwarded">Forwarded</div>}
          {quote &&
            (row.quoteLoaded && api ? (
              <button
                type="button"
                class="quote"
                onClick={() => api.jump(quote.messageId)}
                aria-label={`Reply to ${quote.author}: ${quote.text}. Show the original`}
              >
                {quoteBody}
              </button>
            ) : (
              <div class="quote" title="The original is not loaded here">
                {quoteBody}
              </div>
            ))}
          {m.attachment && !deleted && <FileCard message={m} />}
          {deleted ? (
            <div class="text tombstone">
              {m.direction === 'out' ? 'You deleted this message' : 'This message was deleted'}
            </div>
          ) : (
            m.text !== '' && (
              <div class="text">
                {api && m.mentions
                  ? mentionSegments(m.text, m.mentions, api.mentionNames, api.me).map((seg, i) =>
                      seg.mention ? (
                        <span
                          key={i}
                          class={seg.mention.me ? 'mention mention-me' : 'mention'}
                          title={seg.mention.me ? 'Mentions you' : api.nameOf(seg.mention.userId)}
                        >
                          {seg.text}
                        </span>
                      ) : (
                        seg.text
                      ),
                    )
                  : m.text}
              </div>
            )
          )}
          <span class="meta">
            {m.pinned && !deleted && (
              <span class="pin-mark" title="Pinned">
                <Icon name="pin" size={12} />
                <span class="sr-only">Pinned</span>
              </span>
            )}
            {m.editedAt !== undefined && !deleted && (
              <span class="edited" title={`Edited ${fullTime(m.editedAt)}`}>
                edited
              </span>
            )}
            <time dateTime={new Date(at).toISOString()} title={fullTime(at)}>
              {clockTime(at)}
            </time>
            {m.direction === 'out' && !deleted && (
              <Ticks
                status={m.status}
                receipts={m.receipts}
                recipients={row.recipients}
                why={m.waiting && peerName ? waitingWords(m.waiting, peerName, now) : undefined}
              />
            )}
          </span>
        </div>
        {api && <Reactions m={m} api={api} />}
      </div>
      {api && <Actions m={m} api={api} />}
    </article>
  )
}

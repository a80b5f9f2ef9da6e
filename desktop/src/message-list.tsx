/** @jsxImportSource preact */
/**
 * The virtualised message list. Only rows near the viewport are in the DOM; their heights are
 * measured after each render and fed back to the HeightIndex. The row at the top of the
 * viewport is the scroll anchor, so loading older history above (or late measurements) never
 * moves what the user is reading; at the bottom the list follows new messages.
 */
import { Component, type JSX } from 'preact'
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks'
import { Icon } from './icons.tsx'
import type { ChatRow } from './logic/chat-rows.ts'
import { dayLabel } from './logic/format-time.ts'
import { computeWindow, HeightIndex, isNearBottom, isNearTop } from './logic/virtual-list.ts'
import { MessageBubble } from './message-bubble.tsx'

/** Pixels above the anchor row shown when a chat opens at its unread divider. */
const UNREAD_DIVIDER_MARGIN_PX = 48
/** Pixels above a message the list jumps to (a quote's original, a pinned message). */
const JUMP_MARGIN_PX = 96
/** How long a message jumped to stays highlighted, in ms. */
const JUMP_HIGHLIGHT_MS = 1_600

interface Anchor {
  key: string
  delta: number
}

export interface MessageListProps {
  readonly rows: readonly ChatRow[]
  readonly now: number
  /** The contact of a direct chat, named in why a message waits; null in a group. */
  readonly peerName?: string | null
  readonly hasMore: boolean
  readonly loading: boolean
  readonly onNearTop: () => void
  /** Called when the user reaches the newest message (mark read). */
  readonly onAtBottom: () => void
  /** A loaded message to scroll to, highlight and focus (a new object for each jump). */
  readonly jumpTo?: { readonly messageId: string } | null
}

/** Rows re-render only when their row object or the day changes (scrolling re-renders the list). */
class Row extends Component<{ row: ChatRow; now: number; peerName: string | null }> {
  override shouldComponentUpdate(next: { row: ChatRow; now: number; peerName: string | null }): boolean {
    return next.row !== this.props.row || (next.row.kind === 'day' && next.now !== this.props.now)
  }

  override render(): JSX.Element {
    return <RowView row={this.props.row} now={this.props.now} peerName={this.props.peerName} />
  }
}

function RowView({
  row,
  now,
  peerName,
}: {
  row: ChatRow
  now: number
  peerName: string | null
}): JSX.Element {
  if (row.kind === 'day')
    return (
      // biome-ignore lint/a11y/useSemanticElements: an <hr> cannot carry the day label
      <div class="day-sep" role="separator">
        <span>{dayLabel(row.at, now)}</span>
      </div>
    )
  if (row.kind === 'unread')
    return (
      // biome-ignore lint/a11y/useSemanticElements: an <hr> cannot carry the unread count
      <div class="unread-sep" role="separator">
        <span>
          {row.count} unread {row.count === 1 ? 'message' : 'messages'}
        </span>
      </div>
    )
  return <MessageBubble row={row} now={now} peerName={peerName} />
}

export function MessageList({
  rows,
  now,
  peerName = null,
  hasMore,
  loading,
  onNearTop,
  onAtBottom,
  jumpTo = null,
}: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null)
  const index = useMemo(() => new HeightIndex(), [])
  const keyIndex = useMemo(() => {
    index.setKeys(rows.map((r) => r.key))
    return new Map(rows.map((r, i) => [r.key, i]))
  }, [rows, index])
  const [scrollTop, setScrollTop] = useState(0)
  const [viewport, setViewport] = useState(800)
  const [, remeasured] = useReducer((n: number) => n + 1, 0)
  const stick = useRef(true)
  const anchor = useRef<Anchor | null>(null)
  const initialised = useRef(false)
  const [showJump, setShowJump] = useState(false)
  const [highlight, setHighlight] = useState<string | null>(null)
  const focusAfterJump = useRef<string | null>(null)

  useEffect(() => {
    if (jumpTo === null || !keyIndex.has(jumpTo.messageId)) return
    stick.current = false
    anchor.current = { key: jumpTo.messageId, delta: -JUMP_MARGIN_PX }
    focusAfterJump.current = jumpTo.messageId
    setHighlight(jumpTo.messageId)
    remeasured(0)
    const t = setTimeout(() => setHighlight(null), JUMP_HIGHLIGHT_MS)
    return () => clearTimeout(t)
  }, [jumpTo])

  // Open at the unread divider when there is one, else at the bottom.
  if (!initialised.current && rows.length > 0) {
    initialised.current = true
    if (rows.some((r) => r.kind === 'unread')) {
      stick.current = false
      anchor.current = { key: 'unread', delta: -UNREAD_DIVIDER_MARGIN_PX }
    }
  }

  const win = computeWindow(index, scrollTop, viewport)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    let changed = false
    for (const child of el.querySelectorAll<HTMLElement>('[data-key]'))
      changed = index.measure(child.dataset.key!, child.offsetHeight) || changed
    const total = index.total
    let target: number | null = null
    if (stick.current) target = Math.max(0, total - el.clientHeight)
    else if (anchor.current) {
      const i = keyIndex.get(anchor.current.key)
      if (i !== undefined) target = Math.max(0, index.offsetOf(i) + anchor.current.delta)
    }
    if (target !== null && Math.abs(el.scrollTop - target) >= 1) {
      // the spacers must already give the content its full height before scrolling
      const pad = el.querySelector<HTMLElement>('.pad-bottom')
      if (pad && changed) pad.style.height = `${Math.max(0, total - index.offsetOf(win.end))}px`
      el.scrollTop = target
    }
    // short chats never scroll: reaching the newest message also counts after layout
    if (rows.length > 0 && isNearBottom(el.scrollTop, el.clientHeight, total)) onAtBottom()
    const focusKey = focusAfterJump.current
    const jumped =
      focusKey === null ? null : el.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"] article`)
    if (jumped) {
      focusAfterJump.current = null
      jumped.focus({ preventScroll: true })
    }
    if (changed || (target !== null && Math.abs(scrollTop - el.scrollTop) >= 1)) {
      setScrollTop(el.scrollTop)
      remeasured(0)
    }
  })

  useEffect(() => {
    const el = scroller.current
    if (!el) return
    const ro = new ResizeObserver(() => setViewport(el.clientHeight))
    ro.observe(el)
    setViewport(el.clientHeight)
    return () => ro.disconnect()
  }, [])

  const onScroll = () => {
    const el = scroller.current
    if (!el) return
    const top = el.scrollTop
    setScrollTop(top)
    const total = index.total
    stick.current = isNearBottom(top, el.clientHeight, total)
    setShowJump(!stick.current && total > el.clientHeight * 2)
    const i = index.indexAt(top)
    const key = rows[i]?.key
    anchor.current = key === undefined ? null : { key, delta: top - index.offsetOf(i) }
    if (stick.current) onAtBottom()
    if (hasMore && !loading && isNearTop(top)) onNearTop()
  }

  useEffect(() => {
    if (stick.current && rows.length > 0) onAtBottom()
  }, [rows.length])

  const jump = () => {
    stick.current = true
    setShowJump(false)
    remeasured(0)
  }

  return (
    <div class="message-scroller" ref={scroller} onScroll={onScroll}>
      {loading && hasMore && (
        <div class="history-loading" role="status">
          Loading earlier messages…
        </div>
      )}
      <div
        class="message-list"
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label="Messages"
        aria-busy={loading}
      >
        <div class="pad-top" style={{ height: `${win.padTop}px` }} />
        {rows.slice(win.start, win.end).map((row) => (
          <div key={row.key} data-key={row.key} class={row.key === highlight ? 'row highlight' : 'row'}>
            <Row row={row} now={now} peerName={peerName} />
          </div>
        ))}
        <div class="pad-bottom" style={{ height: `${win.padBottom}px` }} />
      </div>
      {showJump && (
        <button type="button" class="jump" onClick={jump} aria-label="Jump to the newest message">
          <Icon name="down" />
        </button>
      )}
    </div>
  )
}

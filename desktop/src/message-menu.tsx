/** @jsxImportSource preact */
/**
 * The popovers of a message: the "more" menu (edit, delete, forward, pin, copy) and the reaction
 * picker. Both are fixed-position next to the button that opened them, take focus on open, move
 * with the arrow keys, and close on Escape (focus back to the opener), Tab, a click elsewhere or
 * a scroll of the list (the opener moved away).
 */
import type { ComponentChildren, JSX } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { QUICK_REACTIONS } from './logic/message-actions.ts'

/** Gap between the opener and the popover, and the popover and the window edge, in px. */
const POPOVER_GAP_PX = 6

export interface MenuItem {
  readonly label: string
  readonly onSelect: () => void
  readonly danger?: boolean
}

/** Position below the opener (above when it does not fit), kept inside the window. */
function usePlacement(
  anchor: HTMLElement,
  box: { current: HTMLElement | null },
): { top: number; left: number } {
  const [pos, setPos] = useState({ top: -9999, left: -9999 })
  useLayoutEffect(() => {
    const a = anchor.getBoundingClientRect()
    const el = box.current
    const w = el?.offsetWidth ?? 0
    const h = el?.offsetHeight ?? 0
    const below = a.bottom + POPOVER_GAP_PX
    const top =
      below + h + POPOVER_GAP_PX <= window.innerHeight
        ? below
        : Math.max(POPOVER_GAP_PX, a.top - h - POPOVER_GAP_PX)
    const left = Math.min(Math.max(POPOVER_GAP_PX, a.right - w), window.innerWidth - w - POPOVER_GAP_PX)
    setPos({ top, left })
  }, [anchor])
  return pos
}

function Popover({
  anchor,
  label,
  orientation,
  onClose,
  children,
}: {
  anchor: HTMLElement
  label: string
  orientation: 'vertical' | 'horizontal'
  onClose: () => void
  children: ComponentChildren
}): JSX.Element {
  const box = useRef<HTMLDivElement>(null)
  const pos = usePlacement(anchor, box)
  useEffect(() => {
    box.current?.querySelector<HTMLElement>('[role^=menuitem]')?.focus()
    const away = (e: Event) => {
      if (!box.current?.contains(e.target as Node) && e.target !== anchor) onClose()
    }
    const scrolled = (e: Event) => {
      if (!box.current?.contains(e.target as Node)) onClose()
    }
    document.addEventListener('pointerdown', away, true)
    document.addEventListener('scroll', scrolled, true)
    return () => {
      document.removeEventListener('pointerdown', away, true)
      document.removeEventListener('scroll', scrolled, true)
    }
  }, [])
  const onKeyDown = (e: KeyboardEvent) => {
    const items = [...(box.current?.querySelectorAll<HTMLElement>('[role^=menuitem]') ?? [])]
    const i = items.indexOf(document.activeElement as HTMLElement)
    const next = orientation === 'vertical' ? 'ArrowDown' : 'ArrowRight'
    const prev = orientation === 'vertical' ? 'ArrowUp' : 'ArrowLeft'
    let to: number | null = null
    if (e.key === next) to = (i + 1) % items.length
    else if (e.key === prev) to = (i - 1 + items.length) % items.length
    else if (e.key === 'Home') to = 0
    else if (e.key === 'End') to = items.length - 1
    else if (e.key === 'Escape') {
      e.preventDefault()
      e.stopPropagation()
      onClose()
      anchor.focus()
    } else if (e.key === 'Tab') onClose()
    if (to !== null) {
      e.preventDefault()
      items[to]?.focus()
    }
  }
  return (
    <div
      ref={box}
      class={`popover popover-${orientation}`}
      role="menu"
      aria-label={label}
      aria-orientation={orientation}
      style={{ top: `${pos.top}px`, left: `${pos.left}px` }}
      onKeyDown={onKeyDown}
    >
      {children}
    </div>
  )
}

export function MessageMenu({
  anchor,
  items,
  onClose,
  label = 'Message actions',
}: {
  anchor: HTMLElement
  items: readonly MenuItem[]
  onClose: () => void
  label?: string
}): JSX.Element {
  return (
    <Popover anchor={anchor} label={label} orientation="vertical" onClose={onClose}>
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          tabIndex={-1}
          class={item.danger ? 'menu-item menu-danger' : 'menu-item'}
          onClick={() => {
            onClose()
            anchor.focus()
            item.onSelect()
          }}
        >
          {item.label}
        </button>
      ))}
    </Popover>
  )
}

export function ReactionPicker({
  anchor,
  current,
  onPick,
  onClose,
}: {
  anchor: HTMLElement
  /** Our reaction now (its button is pressed; picking it again removes it). */
  current: string | null
  onPick: (emoji: string) => void
  onClose: () => void
}): JSX.Element {
  return (
    <Popover anchor={anchor} label="Reactions" orientation="horizontal" onClose={onClose}>
      {QUICK_REACTIONS.map((emoji) => (
        <button
          key={emoji}
          type="button"
          role="menuitemcheckbox"
          aria-checked={current === emoji}
          tabIndex={-1}
          class={current === emoji ? 'reaction-pick mine' : 'reaction-pick'}
          aria-label={current === emoji ? `Remove reaction ${emoji}` : `React with ${emoji}`}
          onClick={() => {
            onClose()
            anchor.focus()
            onPick(emoji)
          }}
        >
          {emoji}
        </button>
      ))}
    </Popover>
  )
}

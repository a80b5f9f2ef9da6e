/** @jsxImportSource preact */
/**
 * Pinned messages under the chat header: the latest pin's first line (click: jump to it), with
 * "n of N" to step through older pins and an unpin button. Pins come from the loaded messages.
 */
import type { JSX } from 'preact'
import { useState } from 'preact/hooks'
import type { Message } from '../../node/src/rpc/api.ts'
import { Icon } from './icons.tsx'
import { shortText } from './logic/message-actions.ts'

export function PinnedBar({
  pinned,
  onJump,
  onUnpin,
}: {
  /** Pinned messages, the most recently pinned first. */
  pinned: readonly Message[]
  onJump: (m: Message) => void
  onUnpin: ((m: Message) => void) | null
}): JSX.Element | null {
  const [index, setIndex] = useState(0)
  if (pinned.length === 0) return null
  const i = index % pinned.length
  const m = pinned[i]!
  return (
    <section class="pinned-bar" aria-label="Pinned messages">
      <Icon name="pin" size={16} />
      <button
        type="button"
        class="pinned-text"
        onClick={() => onJump(m)}
        aria-label={`Pinned message${pinned.length > 1 ? ` ${i + 1} of ${pinned.length}` : ''}: ${shortText(m)}. Show it`}
      >
        <span class="pinned-label">
          {pinned.length > 1 ? `Pinned ${i + 1} of ${pinned.length}` : 'Pinned'}
        </span>
        <span class="pinned-line">{shortText(m)}</span>
      </button>
      {pinned.length > 1 && (
        <button
          type="button"
          class="icon-button small"
          onClick={() => setIndex(i + 1)}
          aria-label="Next pinned message"
          title="Next pinned message"
        >
          <Icon name="down" size={16} />
        </button>
      )}
      {onUnpin && (
        <button
          type="button"
          class="icon-button small"
          onClick={() => onUnpin(m)}
          aria-label="Unpin this message"
          title="Unpin"
        >
          <Icon name="close" size={16} />
        </button>
      )}
    </section>
  )
}

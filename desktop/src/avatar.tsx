/** @jsxImportSource preact */
import type { JSX } from 'preact'
import { avatarColour, initials } from './logic/conversations.ts'

/** Initials on a stable colour; `online` adds the green presence dot with an accessible label. */
export function Avatar({
  name,
  id,
  size = 44,
  online = false,
}: {
  name: string
  id: string
  size?: number
  online?: boolean
}): JSX.Element {
  const avatar = (
    <span
      class={`avatar avatar-${avatarColour(id)}`}
      style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.38)}px` }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  )
  if (!online) return avatar
  return (
    <span class="avatar-wrap">
      {avatar}
      <span class="online-dot" role="img" aria-label="online" title="online" />
    </span>
  )
}

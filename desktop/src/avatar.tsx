/** @jsxImportSource preact */
import type { JSX } from 'preact'
import { avatarColour, initials } from './logic/conversations.ts'

export function Avatar({ name, id, size = 44 }: { name: string; id: string; size?: number }): JSX.Element {
  return (
    <span
      class={`avatar avatar-${avatarColour(id)}`}
      style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.38)}px` }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  )
}

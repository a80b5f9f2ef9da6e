/** @jsxImportSource preact */
import { createContext, type JSX } from 'preact'
import { useContext } from 'preact/hooks'
import { avatarColour, initials } from './logic/conversations.ts'
import { IDENTICON_GRID, identicon, identiconRects } from './logic/identicon.ts'

/** What an avatar can show for a user id: their picture (a data URL) and their identity key (hex). */
export interface AvatarSource {
  readonly identityKey?: string
  readonly picture?: string
}

/**
 * Looks up the user behind an avatar's id (the app provides one from identity.get and
 * contacts.list); ids that are no user (groups) find nothing and keep their initials.
 */
export const AvatarSources = createContext<(id: string) => AvatarSource | undefined>(() => undefined)

/** An identicon as inline SVG on a light tile; null when the key is not a key. */
function IdenticonSvg({ identityKey, size }: { identityKey: string; size: number }): JSX.Element | null {
  const icon = identicon(identityKey)
  if (icon === null) return null
  // one cell of margin around the grid, as GitHub's identicons have
  const box = IDENTICON_GRID + 1
  return (
    <svg
      class="avatar avatar-identicon"
      width={size}
      height={size}
      viewBox={`-0.5 -0.5 ${box} ${box}`}
      shape-rendering="crispEdges"
      aria-hidden="true"
      data-identicon={identityKey.slice(0, 16)}
    >
      <rect x={-0.5} y={-0.5} width={box} height={box} class="identicon-ground" />
      {identiconRects(icon).map(({ x, y }) => (
        <rect key={`${x}:${y}`} x={x} y={y} width={1} height={1} fill={icon.colour} />
      ))}
    </svg>
  )
}

/**
 * A user's picture when they set one, else the identicon of their identity key, else (groups,
 * unknown ids) initials on a stable colour; `online` adds the green presence dot with an
 * accessible label.
 */
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
  const source = useContext(AvatarSources)(id)
  const style = { width: `${size}px`, height: `${size}px` }
  const avatar = (source?.picture !== undefined && (
    <img class="avatar avatar-picture" src={source.picture} alt="" style={style} aria-hidden="true" />
  )) ||
    (source?.identityKey !== undefined && <IdenticonSvg identityKey={source.identityKey} size={size} />) || (
      <span
        class={`avatar avatar-${avatarColour(id)}`}
        style={{ ...style, fontSize: `${Math.round(size * 0.38)}px` }}
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

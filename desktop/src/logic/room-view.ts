/**
 * The Ephemeral chat screen's words and its one reducer: what each room state tells the user, and
 * the lines of the open room. Lines live in the page's memory only (never localStorage), and
 * only for the room on screen.
 */
import type { EventPayload, RoomState } from '../../../node/src/rpc/api.ts'

/** One room line in characters (the daemon's MAX_ROOM_TEXT_CHARS, core's MAX_ROOM_LINE_CHARS). */
export const MAX_ROOM_TEXT_CHARS = 1000

/** Lines kept on screen: a room is a conversation of minutes, not an archive. */
export const MAX_ROOM_LINES_SHOWN = 500

export const ROOM_STATE_WORDS: Readonly<Record<RoomState, string>> = {
  searching: 'Waiting for the other person…',
  found: 'Found someone: setting up keys…',
  'key-setup': 'Checking that you both have the same code…',
  connected: 'Connected: end-to-end encrypted, keys in memory only.',
  destroyed: 'The room is closed.',
}

export interface RoomLine {
  readonly from: 'me' | 'them'
  readonly text: string
  readonly at: number
}

export interface RoomView {
  readonly roomId: string
  readonly code: string
  readonly role: 'created' | 'joined'
  readonly state: RoomState
  /** Why the room closed (room.state detail), once it has. */
  readonly ended: string | null
  readonly lines: readonly RoomLine[]
}

/** Apply one room event to the view (events of other rooms leave it as it is). */
export function roomReduce(
  view: RoomView,
  event:
    | { kind: 'state'; payload: EventPayload<'room.state'> }
    | { kind: 'message'; payload: EventPayload<'room.message'> },
): RoomView {
  if (event.payload.roomId !== view.roomId) return view
  if (event.kind === 'message') {
    const { from, text, at } = event.payload
    return { ...view, lines: [...view.lines, { from, text, at }].slice(-MAX_ROOM_LINES_SHOWN) }
  }
  const { state, detail } = event.payload
  return {
    ...view,
    state,
    ended: state === 'destroyed' ? (detail ?? ROOM_STATE_WORDS.destroyed) : view.ended,
  }
}

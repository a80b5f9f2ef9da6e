/**
 * rooms.*: the daemon's ephemeral rooms (node/src/room/room-registry.ts). A room needs an unlocked
 * profile: `node.runtime()` answers LOCKED / NO_IDENTITY otherwise, and gives the relays and
 * bootstrap peers the room's own host meets through. The profile's keys are not used: a room is
 * unlinkable to this identity. Room events become room.state / room.message here.
 */
import type { DestroyReason } from '../../../../core/src/room/session.ts'
import type { RoomRegistryEvent } from '../../room/room-registry.ts'
import type { EventName, EventPayload } from '../api.ts'
import type { HandlerDeps, NamespaceHandlers } from './deps.ts'

/** Minutes → ms for rooms.create's expiryMinutes. */
const MS_PER_MINUTE = 60_000

export function roomsHandlers({ node, rooms }: HandlerDeps): NamespaceHandlers<'rooms'> {
  /** Where a room meets the other person: this node's relays, then its bootstrap peers. */
  const meetingPoints = (): string[] => {
    const { network } = node.runtime()
    return [...network.relays, ...network.bootstrap]
  }
  return {
    'rooms.create': async ({ expiryMinutes }) =>
      rooms.create(meetingPoints(), expiryMinutes === undefined ? undefined : expiryMinutes * MS_PER_MINUTE),
    'rooms.join': async ({ code }) => rooms.join(code, meetingPoints()),
    'rooms.send': async ({ roomId, text }) => {
      node.runtime()
      rooms.send(roomId, text)
      return { sent: true as const }
    },
    'rooms.leave': async ({ roomId }) => {
      node.runtime()
      await rooms.leave(roomId)
      return { left: true as const }
    },
    'rooms.list': async () => {
      node.runtime()
      return { rooms: rooms.list() }
    },
  }
}

/** The registry's events as RPC events (the daemon's composition wires this to ctx.notify). */
export function roomEventNotifier(
  notify: <E extends EventName>(event: E, payload: EventPayload<E>) => void,
): (event: RoomRegistryEvent) => void {
  return (event) => {
    if (event.type === 'message') {
      const { roomId, from, text, at } = event
      notify('room.message', { roomId, from, text, at })
      return
    }
    const { roomId, state, reason, detail } = event
    notify('room.state', {
      roomId,
      state,
      ...(reason === undefined ? {} : { reason: reason satisfies DestroyReason }),
      ...(detail === undefined ? {} : { detail }),
    })
  }
}

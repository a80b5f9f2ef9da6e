/**
 * The daemon's ephemeral rooms (issue 19 item 1, RPC rooms.*): a few Rooms held in memory only,
 * by a random room id. Each Room runs its own short-lived libp2p host with a fresh key (see
 * room-host.ts), so the person in the room never learns this daemon's PeerId, addresses or
 * identity, and the relays see an unrelated peer. Nothing here touches the profile's store or
 * the log: codes and lines live in this map and in the events handed to `onEvent`, and an ended
 * room is dropped (its session wiped its keys).
 */
import { randomBytes } from 'node:crypto'
import {
  formatRoomCode,
  generateRoomCode,
  normalizeRoomCode,
  RoomCodeError,
} from '../../../core/src/room/code.ts'
import type { RoomState } from '../../../core/src/room/machine.ts'
import type { DestroyReason } from '../../../core/src/room/session.ts'
import { InvalidInputError, NotFoundError, UnavailableError } from '../errors.ts'
import { Room } from './room.ts'

/** Rooms one daemon holds at once: each runs a libp2p host and a 64 MiB slow hash at start. */
export const MAX_DAEMON_ROOMS = 4
/** Bytes of a room id (hex on the API): unguessable, and unrelated to the code. */
const ROOM_ID_BYTES = 12

export type RoomRole = 'created' | 'joined'

export interface RoomSummary {
  readonly roomId: string
  /** The code, formatted in groups (ABCD-EFGH-JKMN): shown so the creator can pass it on. */
  readonly code: string
  readonly role: RoomRole
  readonly state: RoomState
  readonly createdAt: number
}

export type RoomRegistryEvent =
  | {
      readonly type: 'state'
      readonly roomId: string
      readonly state: RoomState
      readonly reason?: DestroyReason
      readonly detail?: string
    }
  | {
      readonly type: 'message'
      readonly roomId: string
      readonly from: 'me' | 'them'
      readonly text: string
      readonly at: number
    }

export interface RoomRegistryInit {
  readonly onEvent: (event: RoomRegistryEvent) => void
  readonly now?: () => number
  /** Room code expiry in ms (tests); the Room's default otherwise. */
  readonly expiryMs?: number
}

/** A line the room would not send now: not connected yet, or over the input rate. */
export class RoomSendRefusedError extends UnavailableError {
  constructor(message: string) {
    super(message)
    this.name = 'RoomSendRefusedError'
  }
}

interface Entry {
  readonly room: Room
  readonly summary: { -readonly [K in keyof RoomSummary]: RoomSummary[K] }
}

export class RoomRegistry {
  readonly #init: RoomRegistryInit
  readonly #rooms = new Map<string, Entry>()
  readonly #now: () => number

  constructor(init: RoomRegistryInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
  }

  /** A new room with a fresh code; it starts searching through `bootstrap` (relays, peers). */
  create(bootstrap: readonly string[], expiryMs?: number): RoomSummary {
    return this.#open(
      generateRoomCode((n) => new Uint8Array(randomBytes(n))),
      'created',
      bootstrap,
      expiryMs,
    )
  }

  /** Join the room of a typed code (any case, dashes); InvalidInputError for a malformed one. */
  join(input: string, bootstrap: readonly string[]): RoomSummary {
    let code: string
    try {
      code = normalizeRoomCode(input)
    } catch (err) {
      if (err instanceof RoomCodeError) throw new InvalidInputError(err.message)
      throw err
    }
    for (const { summary } of this.#rooms.values())
      if (summary.code === formatRoomCode(code))
        throw new InvalidInputError('this daemon is already in the room of that code')
    return this.#open(code, 'joined', bootstrap)
  }

  send(roomId: string, text: string): void {
    const { room, summary } = this.#entry(roomId)
    const refused = room.trySend(text)
    if (refused !== null) throw new RoomSendRefusedError(refused)
    this.#init.onEvent({ type: 'message', roomId: summary.roomId, from: 'me', text, at: this.#now() })
  }

  /** Leave: BYE to the other side, keys wiped, the room's host stopped; resolves when it has ended. */
  async leave(roomId: string): Promise<void> {
    await this.#entry(roomId).room.quit()
  }

  list(): RoomSummary[] {
    return [...this.#rooms.values()].map(({ summary }) => ({ ...summary }))
  }

  /** End every room (the profile locks, the daemon stops), saying why to the other sides' clients. */
  async closeAll(detail: string): Promise<void> {
    await Promise.all([...this.#rooms.values()].map(({ room }) => room.quit(detail)))
  }

  #entry(roomId: string): Entry {
    const entry = this.#rooms.get(roomId)
    if (entry === undefined) throw new NotFoundError('no such room (it may have ended)')
    return entry
  }

  #open(code: string, role: RoomRole, bootstrap: readonly string[], expiryMs?: number): RoomSummary {
    if (this.#rooms.size >= MAX_DAEMON_ROOMS)
      throw new UnavailableError(`this daemon holds ${MAX_DAEMON_ROOMS} rooms already: leave one first`)
    const roomId = randomBytes(ROOM_ID_BYTES).toString('hex')
    const summary = {
      roomId,
      code: formatRoomCode(code),
      role,
      state: 'searching' as RoomState,
      createdAt: this.#now(),
    }
    const emit = this.#init.onEvent
    const room = new Room({
      code,
      bootstrap,
      ...((expiryMs ?? this.#init.expiryMs) !== undefined
        ? { expiryMs: expiryMs ?? this.#init.expiryMs }
        : {}),
      onEvent: (event) => {
        if (event.type === 'state') {
          if (event.state === 'destroyed' || event.state === summary.state) return
          summary.state = event.state
          emit({ type: 'state', roomId, state: event.state })
        } else if (event.type === 'text')
          emit({ type: 'message', roomId, from: 'them', text: event.text, at: this.#now() })
        else if (event.type === 'ended') {
          summary.state = 'destroyed'
          this.#rooms.delete(roomId)
          emit({ type: 'state', roomId, state: 'destroyed', reason: event.reason, detail: event.detail })
        }
        // notices (a third person refused) are the CLI's; the room itself is undisturbed
      },
    })
    this.#rooms.set(roomId, { room, summary })
    emit({ type: 'state', roomId, state: 'searching' })
    void room.open().catch(() => room.quit('the room could not start (network)', 'transport'))
    return { ...summary }
  }
}

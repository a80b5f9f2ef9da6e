/**
 * What a room session reports (events), why it ends (reasons), and its two errors: the user's
 * input refused (the session goes on) and a fault (the session ends).
 */
import { WrenCoreError } from '../errors.ts'
import { ABORT_KEY_CONFIRMATION, ABORT_ROOM_FULL } from './constants.ts'
import type { RoomState } from './machine.ts'

/** Why a session ended. */
export type DestroyReason =
  | 'quit' // we typed /quit
  | 'peer-quit' // they did (an authenticated BYE)
  | 'peer-left' // the stream ended without a BYE
  | 'room-full' // the room already holds two people
  | 'wrong-code' // key confirmation failed on our side or theirs
  | 'protocol' // a malformed, unexpected or unauthenticated frame
  | 'flood' // the peer sent faster than PEER_BUCKET allows
  | 'expired' // nobody came before the code expired
  | 'transport' // the network failed

export type RoomEvent =
  | { readonly type: 'send'; readonly frame: Uint8Array }
  | { readonly type: 'state'; readonly state: RoomState }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'destroyed'; readonly reason: DestroyReason; readonly detail: string }

/** A line we may not send: too long, rate-limited, or not connected. The session goes on. */
export class RoomInputError extends WrenCoreError {
  constructor(message: string) {
    super('ERR_ROOM_INPUT', message)
    this.name = 'RoomInputError'
  }
}

/** A fault that ends the session; `reason` is what the user is told. */
export class SessionFault extends Error {
  readonly reason: DestroyReason
  readonly abort: number | null
  constructor(reason: DestroyReason, message: string, abort: number | null) {
    super(message)
    this.name = 'SessionFault'
    this.reason = reason
    this.abort = abort
  }
}

export function peerAbort(reason: number): SessionFault {
  if (reason === ABORT_ROOM_FULL)
    return new SessionFault('room-full', 'the room is full: two people are in it already', null)
  if (reason === ABORT_KEY_CONFIRMATION)
    return new SessionFault(
      'wrong-code',
      'the other side could not confirm the key: the room codes differ',
      null,
    )
  return new SessionFault('protocol', 'the other side ended the session after a protocol error', null)
}

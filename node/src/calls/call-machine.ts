/**
 * One call's state machine, pure: a state and an input give the next state and what to tell the
 * other side. No timers, no I/O, no clock (the time comes in with the input); the service
 * (call-service.ts) owns those.
 *
 *   outgoing: ringing ──remote accept──▶ connecting ──media connected──▶ connected ──▶ ended
 *   incoming: incoming ──accept──▶ connecting ──media connected──▶ connected ──▶ ended
 *             incoming ──decline──▶ ended (declined)
 *             incoming ──the caller's media signals (another of our devices answered)──▶ ended
 *
 * Every live phase can end: hangup (either side), declined, busy, timeout (ring timeout, or the
 * caller's timeout reaching the callee), failed-ice (the media owner says so, or the connect
 * timeout), failed-decrypt (the media owner's frames do not decrypt). A local input that does not
 * fit the phase is a CallStateError; a remote signal that does not fit is ignored (a straggler
 * or a confused peer must not break the call).
 */
import type { CallEntry } from '../messaging/records.ts'
import { CallStateError } from './errors.ts'

export type CallDirection = 'outgoing' | 'incoming'
export type CallPhase = 'ringing' | 'incoming' | 'connecting' | 'connected' | 'ended'
export type EndReason = CallEntry['endReason']
export type MediaFailure = 'failed-ice' | 'failed-decrypt'

export interface CallState {
  readonly callId: string
  readonly peerUserId: string
  readonly direction: CallDirection
  readonly phase: CallPhase
  /** When the call was offered (the caller's clock for an incoming call). */
  readonly startedAt: number
  /** When the callee accepted (our clock), null before. */
  readonly acceptedAt: number | null
  readonly connectedAt: number | null
  readonly endedAt: number | null
  readonly endReason: EndReason | null
  /** The callee's device said it rings (outgoing calls). */
  readonly remoteRinging: boolean
}

export type CallInput =
  // the local user (RPC)
  | { readonly type: 'accept' }
  | { readonly type: 'decline' }
  | { readonly type: 'hangup' }
  // the local media owner (RPC calls.media)
  | { readonly type: 'media-connected' }
  | { readonly type: 'media-failed'; readonly reason: MediaFailure }
  // timers
  | { readonly type: 'ring-timeout' }
  | { readonly type: 'connect-timeout' }
  // the other side (signals)
  | { readonly type: 'remote-ringing' }
  | { readonly type: 'remote-accept' }
  | { readonly type: 'remote-decline' }
  | { readonly type: 'remote-busy' }
  | { readonly type: 'remote-hangup'; readonly reason: EndReason }
  // the caller's media signals reach a device of ours that still rings: another one answered
  | { readonly type: 'answered-elsewhere' }

/** What to tell the other side after a step. */
export type Reply =
  | { readonly kind: 'accept' }
  | { readonly kind: 'decline' }
  | { readonly kind: 'hangup'; readonly reason: 'hangup' | 'timeout' | MediaFailure }

export interface Step {
  readonly call: CallState
  readonly reply: Reply | null
  /** False when the input changed nothing (a remote straggler, a repeated report). */
  readonly changed: boolean
}

const LIVE: ReadonlySet<CallPhase> = new Set(['ringing', 'incoming', 'connecting', 'connected'])

export function isLive(call: CallState): boolean {
  return LIVE.has(call.phase)
}

export function newOutgoingCall(callId: string, peerUserId: string, now: number): CallState {
  return base(callId, peerUserId, 'outgoing', 'ringing', now)
}

export function newIncomingCall(callId: string, peerUserId: string, offeredAt: number): CallState {
  return base(callId, peerUserId, 'incoming', 'incoming', offeredAt)
}

function base(
  callId: string,
  peerUserId: string,
  direction: CallDirection,
  phase: CallPhase,
  startedAt: number,
): CallState {
  return {
    callId,
    peerUserId,
    direction,
    phase,
    startedAt,
    acceptedAt: null,
    connectedAt: null,
    endedAt: null,
    endReason: null,
    remoteRinging: false,
  }
}

const same = (call: CallState): Step => ({ call, reply: null, changed: false })
const to = (call: CallState, patch: Partial<CallState>, reply: Reply | null = null): Step => ({
  call: { ...call, ...patch },
  reply,
  changed: true,
})
const end = (call: CallState, reason: EndReason, now: number, reply: Reply | null = null): Step =>
  to(call, { phase: 'ended', endReason: reason, endedAt: now }, reply)

/** The next state of `call` after `input` at time `now`. */
export function step(call: CallState, input: CallInput, now: number): Step {
  const { phase } = call
  if (phase === 'ended') {
    // hanging up an ended call is a no-op; anything else local is an error, remote is ignored
    if (input.type === 'accept' || input.type === 'decline')
      throw new CallStateError(`call ${call.callId} ended`)
    return same(call)
  }
  switch (input.type) {
    case 'accept':
      if (phase !== 'incoming') throw new CallStateError(`call ${call.callId} is not ringing here`)
      return to(call, { phase: 'connecting', acceptedAt: now }, { kind: 'accept' })
    case 'decline':
      if (phase !== 'incoming') throw new CallStateError(`call ${call.callId} is not ringing here`)
      return end(call, 'declined', now, { kind: 'decline' })
    case 'hangup':
      // hanging up a call that rings here is declining it
      if (phase === 'incoming') return end(call, 'declined', now, { kind: 'decline' })
      return end(call, 'hangup', now, { kind: 'hangup', reason: 'hangup' })
    case 'media-connected':
      if (phase === 'connected') return same(call)
      if (phase !== 'connecting') throw new CallStateError(`call ${call.callId} is not connecting`)
      return to(call, { phase: 'connected', connectedAt: now })
    case 'media-failed':
      if (phase !== 'connecting' && phase !== 'connected')
        throw new CallStateError(`call ${call.callId} has no media yet`)
      return end(call, input.reason, now, { kind: 'hangup', reason: input.reason })
    case 'ring-timeout':
      if (phase === 'ringing') return end(call, 'timeout', now, { kind: 'hangup', reason: 'timeout' })
      // the caller times out on its own clock and tells us; no need to answer it
      if (phase === 'incoming') return end(call, 'timeout', now)
      return same(call)
    case 'connect-timeout':
      if (phase !== 'connecting') return same(call)
      return end(call, 'failed-ice', now, { kind: 'hangup', reason: 'failed-ice' })
    case 'remote-ringing':
      if (phase !== 'ringing' || call.remoteRinging) return same(call)
      return to(call, { remoteRinging: true })
    case 'remote-accept':
      if (phase !== 'ringing') return same(call)
      return to(call, { phase: 'connecting', acceptedAt: now })
    case 'remote-decline':
      if (phase !== 'ringing') return same(call)
      return end(call, 'declined', now)
    case 'remote-busy':
      if (phase !== 'ringing') return same(call)
      return end(call, 'busy', now)
    case 'remote-hangup':
      return end(call, input.reason, now)
    case 'answered-elsewhere':
      // it rings here, or we accepted too but the caller took another device's accept: the
      // caller already dropped ours, so nothing is sent
      if (phase === 'incoming' || (phase === 'connecting' && call.direction === 'incoming'))
        return end(call, 'answered-elsewhere', now)
      return same(call)
  }
}

/**
 * The history line's kind: a call that rang here and was neither answered (here or on another of
 * our devices) nor declined is missed.
 */
export function historyKind(call: CallState): CallEntry['kind'] {
  if (call.direction === 'outgoing') return 'outgoing'
  const handled = call.endReason === 'declined' || call.endReason === 'answered-elsewhere'
  return call.acceptedAt === null && !handled ? 'missed' : 'incoming'
}

/** Connected time in ms (0 when the media never connected). */
export function durationOf(call: CallState): number {
  if (call.connectedAt === null) return 0
  return Math.max(0, (call.endedAt ?? call.connectedAt) - call.connectedAt)
}

/**
 * Between the call machine (call-machine.ts) and the wire (core/src/call/signal.ts), both ways
 * and pure: the signal a step's reply sends, and what a signal from the peer means for a call in
 * its phase. A signal that does not fit the phase means nothing (a straggler or a confused peer
 * must not break the call).
 */

import { bytesEqual } from '../../../core/src/bytes.ts'
import {
  HANGUP_BY_USER,
  HANGUP_FAILED_DECRYPT,
  HANGUP_FAILED_ICE,
  HANGUP_TIMEOUT,
  SIGNAL_ACCEPT,
  SIGNAL_ANSWER,
  SIGNAL_ANSWERED_ELSEWHERE,
  SIGNAL_BUSY,
  SIGNAL_DECLINE,
  SIGNAL_HANGUP,
  SIGNAL_ICE,
  SIGNAL_INVITE,
  SIGNAL_OFFER,
  SIGNAL_RINGING,
} from '../../../core/src/call/constants.ts'
import type { CallSignal } from '../../../core/src/call/signal.ts'
import type { CallInput, CallState, EndReason, Reply } from './call-machine.ts'
import type { MediaSignal, MediaSignalKind } from './types.ts'

/** A signal without its call id and time (the sender adds them). */
export type SignalBody =
  | { kind: typeof SIGNAL_INVITE | typeof SIGNAL_ACCEPT; mediaKey: Uint8Array }
  | { kind: typeof SIGNAL_RINGING | typeof SIGNAL_BUSY | typeof SIGNAL_DECLINE }
  | { kind: typeof SIGNAL_ANSWERED_ELSEWHERE; answeredKey: Uint8Array | null }
  | { kind: typeof SIGNAL_HANGUP; reason: number }
  | { kind: typeof SIGNAL_OFFER | typeof SIGNAL_ANSWER | typeof SIGNAL_ICE; data: string }

const TO_WIRE_REASON = {
  hangup: HANGUP_BY_USER,
  timeout: HANGUP_TIMEOUT,
  'failed-ice': HANGUP_FAILED_ICE,
  'failed-decrypt': HANGUP_FAILED_DECRYPT,
} as const satisfies Record<Extract<Reply, { kind: 'hangup' }>['reason'], number>

const FROM_WIRE_REASON: ReadonlyMap<number, EndReason> = new Map([
  [HANGUP_BY_USER, 'hangup'],
  [HANGUP_TIMEOUT, 'timeout'],
  [HANGUP_FAILED_ICE, 'failed-ice'],
  [HANGUP_FAILED_DECRYPT, 'failed-decrypt'],
])

const MEDIA_KINDS = { offer: SIGNAL_OFFER, answer: SIGNAL_ANSWER, ice: SIGNAL_ICE } as const
const MEDIA_KIND_NAMES: ReadonlyMap<number, MediaSignalKind> = new Map([
  [SIGNAL_OFFER, 'offer'],
  [SIGNAL_ANSWER, 'answer'],
  [SIGNAL_ICE, 'ice'],
])

/** The signal a step's reply sends; an accept carries our media public key. */
export function replyOf(reply: Reply, mediaKey: Uint8Array): SignalBody {
  switch (reply.kind) {
    case 'accept':
      return { kind: SIGNAL_ACCEPT, mediaKey }
    case 'decline':
      return { kind: SIGNAL_DECLINE }
    case 'hangup':
      return { kind: SIGNAL_HANGUP, reason: TO_WIRE_REASON[reply.reason] }
  }
}

/** The signal that carries the local media owner's SDP or ICE. */
export function mediaSignalBody(signal: MediaSignal): SignalBody {
  return { kind: MEDIA_KINDS[signal.kind], data: signal.data }
}

/** What a signal from the peer (its bound device, or any of its devices while it rings) does. */
export type SignalAction =
  | { readonly do: 'nothing' }
  /** Step the call with this input. */
  | { readonly do: 'step'; readonly input: CallInput }
  /** The callee's sending device accepted: bind the call to it, with its media key. */
  | { readonly do: 'accepted'; readonly mediaKey: Uint8Array }
  /** The peer's media owner's SDP or ICE, for ours. */
  | { readonly do: 'media'; readonly signal: MediaSignal }

const NOTHING: SignalAction = { do: 'nothing' }

/**
 * What `signal` does to `call` (a signal not of the call's direction or phase does nothing);
 * `ownMediaKey` is this side's media public key of the call (what our accept carried).
 */
export function signalAction(call: CallState, signal: CallSignal, ownMediaKey: Uint8Array): SignalAction {
  const outgoingOnly = (input: CallInput): SignalAction =>
    call.direction === 'outgoing' ? { do: 'step', input } : NOTHING
  switch (signal.kind) {
    case SIGNAL_INVITE:
      return NOTHING
    case SIGNAL_RINGING:
      return outgoingOnly({ type: 'remote-ringing' })
    case SIGNAL_ACCEPT:
      if (call.direction !== 'outgoing' || call.phase !== 'ringing') return NOTHING
      return { do: 'accepted', mediaKey: signal.mediaKey }
    case SIGNAL_ANSWERED_ELSEWHERE:
      return answeredElsewhere(call, signal.answeredKey, ownMediaKey)
    case SIGNAL_BUSY:
      return outgoingOnly({ type: 'remote-busy' })
    case SIGNAL_DECLINE:
      return outgoingOnly({ type: 'remote-decline' })
    case SIGNAL_HANGUP:
      return {
        do: 'step',
        input: { type: 'remote-hangup', reason: FROM_WIRE_REASON.get(signal.reason) ?? 'hangup' },
      }
    case SIGNAL_OFFER:
    case SIGNAL_ANSWER:
    case SIGNAL_ICE: {
      // media signals come only after an accept: it rings here, so another device of ours took it
      if (call.phase === 'incoming') return { do: 'step', input: { type: 'answered-elsewhere' } }
      if (call.phase !== 'connecting' && call.phase !== 'connected') return NOTHING
      const kind = MEDIA_KIND_NAMES.get(signal.kind) as MediaSignalKind
      return { do: 'media', signal: { kind, data: signal.data } }
    }
  }
}

/**
 * Another device of ours answered: a call that rings here stops; one we accepted too (our accept
 * lost the race at the caller, or this came after it) ends unless the key the caller names is
 * ours — then we are the device that answered, and it is ignored.
 */
function answeredElsewhere(
  call: CallState,
  answeredKey: Uint8Array | null,
  ownMediaKey: Uint8Array,
): SignalAction {
  const input: CallInput = { type: 'answered-elsewhere' }
  if (call.phase === 'incoming') return { do: 'step', input }
  const acceptedHere = call.direction === 'incoming' && call.phase === 'connecting'
  if (!acceptedHere || answeredKey === null || bytesEqual(answeredKey, ownMediaKey)) return NOTHING
  return { do: 'step', input }
}

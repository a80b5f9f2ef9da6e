/**
 * A live call and what only the daemon holds about it: the machine's state, the call's X25519
 * key pair and the keys derived from it, the device it is bound to, the signal path's state and
 * its one timer (ringing, then connecting). Live calls are not stored: a call does not survive
 * its daemon.
 */
import {
  deriveMediaKeys,
  deriveSignalKeys,
  type MediaKeys,
  newCallKeyPair,
} from '../../../core/src/call/media-keys.ts'
import type { CryptoSuite, KeyPair } from '../../../core/src/crypto/suite.ts'
import type { MessageVia } from '../messaging/message-path.ts'
import { type CallState, durationOf, historyKind } from './call-machine.ts'
import { newSignalPathState, type PathCall } from './signal-path.ts'
import type { CallInfo } from './types.ts'

export interface LiveCall extends PathCall {
  state: CallState
  readonly ownKey: KeyPair
  peerMediaKey: Uint8Array | null
  readonly peerIdentityKey: Uint8Array
  /**
   * The peer's device in this call (its device key): the caller's device for an incoming call,
   * the device that accepted for an outgoing one (null while it rings: every device of the callee
   * rings, and any may answer). Signals from the peer's other devices are not about this call.
   */
  peerDevice: Uint8Array | null
  keys: MediaKeys | null
  timer: ReturnType<typeof setTimeout> | null
  /** How the offer reached us (incoming calls): the history line is announced with it. */
  readonly via: MessageVia | null
}

/** A new live call with a fresh key pair, no keys derived yet and no timer. */
export function newLiveCall(
  suite: CryptoSuite,
  fields: Pick<LiveCall, 'state' | 'callIdBytes' | 'peerMediaKey' | 'peerIdentityKey' | 'peerDevice' | 'via'>,
): LiveCall {
  return {
    ...fields,
    ownKey: newCallKeyPair(suite),
    keys: null,
    ...newSignalPathState(),
    timer: null,
  }
}

/**
 * Derive the media and signalling keys of an accepted call into `live`; throws a WrenCoreError
 * when the peer's media key is bad.
 */
export function deriveCallKeys(suite: CryptoSuite, ownIdentityKey: Uint8Array, live: LiveCall): void {
  const outgoing = live.state.direction === 'outgoing'
  const input = {
    role: outgoing ? 'caller' : 'callee',
    callId: live.callIdBytes,
    own: live.ownKey,
    peerMediaKey: live.peerMediaKey ?? new Uint8Array(0),
    callerIdentityKey: outgoing ? ownIdentityKey : live.peerIdentityKey,
    calleeIdentityKey: outgoing ? live.peerIdentityKey : ownIdentityKey,
  } as const
  live.keys = deriveMediaKeys(suite, input)
  live.signalKeys = deriveSignalKeys(suite, input)
}

/** Zero and drop every secret of an ended call. */
export function wipeCallKeys(live: LiveCall): void {
  live.ownKey.secretKey.fill(0)
  live.keys?.sendKey.fill(0)
  live.keys?.receiveKey.fill(0)
  live.keys = null
  live.signalKeys?.sendKey.fill(0)
  live.signalKeys?.receiveKey.fill(0)
  live.signalKeys = null
}

/** Run `fire` in `ms` (the call's one timer: a new one replaces the old). */
export function armTimer(live: LiveCall, ms: number, fire: () => void): void {
  disarmTimer(live)
  live.timer = setTimeout(fire, Math.max(0, ms))
  live.timer.unref?.()
}

export function disarmTimer(live: LiveCall): void {
  if (live.timer !== null) clearTimeout(live.timer)
  live.timer = null
}

/** A call as lists and events show it, at `now`. */
export function callInfo(call: CallState, now: number): CallInfo {
  return {
    callId: call.callId,
    peerUserId: call.peerUserId,
    direction: call.direction,
    state: call.phase,
    endReason: call.endReason,
    remoteRinging: call.remoteRinging,
    startedAt: call.startedAt,
    connectedAt: call.connectedAt,
    endedAt: call.endedAt,
    durationMs:
      call.connectedAt === null ? 0 : durationOf(call.endedAt === null ? { ...call, endedAt: now } : call),
    missed: call.phase === 'ended' && historyKind(call) === 'missed',
  }
}

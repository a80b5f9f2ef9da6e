/**
 * Which way a call's signals go, and the per-call state of that choice. Before the accept every
 * signal goes over the pairwise session (Messenger.sendApp: in order, retried, through the
 * contact's mailboxes when its device is away). Once the call is accepted and both sides hold its
 * signalling keys, the signals of STREAM_SIGNALS go on /wren/call/1.0.0 (call-stream.ts) to the
 * bound device, sealed with a counter per frame; a frame that cannot go that way (no open
 * connection, a failed stream, the other side not ready) is sent over the session instead, and
 * so is the rest of that call, so its signals keep their order. The counts say how each went.
 *
 * Receiving is the mirror: a frame opens only from the bound device, under the call's keys, with
 * a counter above the last one accepted.
 */
import { formatCallId } from '../../../core/src/call/call-id.ts'
import {
  STREAM_DELIVERED,
  STREAM_GONE,
  STREAM_NOT_READY,
  STREAM_SIGNALS,
} from '../../../core/src/call/constants.ts'
import type { MediaKeys } from '../../../core/src/call/media-keys.ts'
import { type CallSignal, encodeCallSignal } from '../../../core/src/call/signal.ts'
import { type CallFrame, openCallFrame, sealCallFrame } from '../../../core/src/call/stream-frame.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import type { CallState } from './call-machine.ts'
import type { CallSignalChannel } from './call-stream.ts'
import { APP_CALL_SIGNAL } from './constants.ts'
import type { SerialWork } from './serial-work.ts'
import type { CallLogger, CallPairwise } from './types.ts'
import type { SignalBody } from './wire-signals.ts'

/** How many of a call's signals went which way (logged when it ends). */
export interface SignalCounts {
  /** Sent on /wren/call (delivered there, or the call was gone there). */
  overStream: number
  /** Sent over the pairwise session (the outbox, and the mailboxes when the device is away). */
  overSession: number
  /** Received on /wren/call and applied. */
  receivedOverStream: number
}

/** What the signal path keeps per call. */
export interface SignalPathState {
  /** The signalling keys of the accepted call (/wren/call frames); null before the accept. */
  signalKeys: MediaKeys | null
  /** Counter of the last frame we sealed (each frame takes the next). */
  sentFrames: number
  /** Counter of the last frame we accepted (a frame not above it is a replay). */
  receivedFrames: number
  /** The bound device's PeerId, once looked up (undefined: not yet; null: unknown). */
  peerPeerId: Uint8Array | null | undefined
  /** A signal of this call went over the session: the rest follows it there (keeps the order). */
  overSession: boolean
  readonly counts: SignalCounts
}

/** What the signal path reads of a live call. */
export interface PathCall extends SignalPathState {
  readonly state: CallState
  readonly callIdBytes: Uint8Array
  /** The peer's device bound to the call (its device key), null while an outgoing call rings. */
  readonly peerDevice: Uint8Array | null
}

/** The signal path's state of a new call. */
export function newSignalPathState(): SignalPathState {
  return {
    signalKeys: null,
    sentFrames: 0,
    receivedFrames: 0,
    peerPeerId: undefined,
    overSession: false,
    counts: { overStream: 0, overSession: 0, receivedOverStream: 0 },
  }
}

export interface SignalPathComponents {
  readonly suite: CryptoSuite
  readonly pairwise: Pick<CallPairwise, 'sendApp'>
  readonly now: () => number
  readonly log: CallLogger
  /** The calls service's queue: a signal goes after everything queued before it. */
  readonly work: SerialWork
  /** /wren/call/1.0.0; without it every signal goes over the session. */
  readonly channel?: CallSignalChannel
  /** The libp2p PeerId (bytes) of a contact's device by its device key, when known. */
  readonly devicePeerOf?: (userId: string, deviceKey: Uint8Array) => Promise<Uint8Array | null>
}

/** A frame received for a call: the status to answer, and the signal when it is to be applied. */
export type FrameReceipt<C extends PathCall> =
  | { readonly status: typeof STREAM_DELIVERED; readonly call: C; readonly signal: CallSignal }
  | { readonly status: typeof STREAM_GONE | typeof STREAM_NOT_READY }

export class SignalPath {
  readonly #c: SignalPathComponents

  constructor(components: SignalPathComponents) {
    this.#c = components
  }

  /**
   * Send a signal of `call` after everything queued before it. A frame for the stream is sealed
   * now, in queue order (the counters follow the order the frames go in, and the keys may be
   * wiped by an end before the send runs).
   */
  send(call: PathCall, body: SignalBody): Promise<void> {
    const signal = { ...body, callId: call.callIdBytes, sentAt: this.#c.now() } as CallSignal
    const frame = this.#sealFrame(call, signal)
    return this.#c.work.run(() => this.#deliver(call, signal, frame))
  }

  /** Send `signal` over the pairwise session now (to the peer of `call`). */
  async sendOverSession(call: { readonly state: CallState }, signal: CallSignal): Promise<void> {
    await this.#c.pairwise.sendApp([call.state.peerUserId], APP_CALL_SIGNAL, encodeCallSignal(signal))
  }

  /**
   * A frame from `peer` (PeerId string) on /wren/call for the call `lookup` finds. Not ready while
   * the call has no signalling keys yet or the frame is not from its bound device (the sender then
   * uses the session); AeadError for a frame that does not open (counted against the peer).
   */
  async receive<C extends PathCall>(
    peer: string,
    frame: CallFrame,
    lookup: (callId: string) => C | undefined,
  ): Promise<FrameReceipt<C>> {
    const callId = formatCallId(frame.callId)
    const call = lookup(callId)
    if (call === undefined) return { status: STREAM_GONE }
    if (call.signalKeys === null) return { status: STREAM_NOT_READY }
    const bound = await this.#peerOf(call)
    if (bound === null || peerIdFromBytes(bound).toString() !== peer) return { status: STREAM_NOT_READY }
    // the call may have ended, or been re-keyed, while we looked
    if (lookup(callId) !== call || call.signalKeys === null) return { status: STREAM_GONE }
    const signal = openCallFrame(this.#c.suite, call.signalKeys.receiveKey, frame)
    // frames come one at a time, each answered before the next: an old counter is a replay
    if (frame.counter <= call.receivedFrames) return { status: STREAM_NOT_READY }
    call.receivedFrames = frame.counter
    call.counts.receivedOverStream++
    return { status: STREAM_DELIVERED, call, signal }
  }

  /** The bound device's PeerId (looked up once per binding), null when unknown. */
  async #peerOf(call: PathCall): Promise<Uint8Array | null> {
    if (call.peerPeerId !== undefined) return call.peerPeerId
    const device = call.peerDevice
    const found =
      device === null || this.#c.devicePeerOf === undefined
        ? null
        : await this.#c.devicePeerOf(call.state.peerUserId, device).catch(() => null)
    // the binding may have changed while we looked
    if (call.peerDevice === device) call.peerPeerId = found
    return found
  }

  /** The /wren/call frame of `signal`, or null when it goes over the session. */
  #sealFrame(call: PathCall, signal: CallSignal): Uint8Array | null {
    if (this.#c.channel === undefined || call.signalKeys === null || call.overSession) return null
    if (!STREAM_SIGNALS.has(signal.kind)) return null
    call.sentFrames++
    return sealCallFrame(this.#c.suite, call.signalKeys.sendKey, call.sentFrames, signal)
  }

  async #deliver(call: PathCall, signal: CallSignal, frame: Uint8Array | null): Promise<void> {
    const channel = this.#c.channel
    if (frame !== null && channel !== undefined && !call.overSession) {
      const peer = await this.#peerOf(call)
      const outcome = peer === null ? 'no-connection' : await channel.send(peer, frame)
      if (outcome === 'delivered' || outcome === 'gone') {
        call.counts.overStream++
        return
      }
      this.#c.log.info('call signals go over the session', { callId: call.state.callId, outcome })
      call.overSession = true
    }
    call.counts.overSession++
    await this.sendOverSession(call, signal)
  }
}

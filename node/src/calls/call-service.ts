/**
 * The calls service: the daemon side of a call (issue 15). It owns the call — signalling and the
 * per-call media keys — while the media owner (the desktop page, or the CLI) owns the media.
 *
 * Signals travel end-to-end encrypted over the pairwise sessions as app payloads of kind
 * APP_CALL_SIGNAL (Messenger.sendApp / registerApp): in order per contact, retried, and through
 * the contact's mailboxes when its device is away — which is how a callee who was offline learns
 * of a missed call: an offer older than RING_TIMEOUT_MS is not rung. The SDP and ICE of the
 * media owners ride the same sessions, so their DTLS fingerprints are authenticated by Wren.
 *
 * Once a call is accepted both sides hold its signalling keys (from the call's own X25519
 * exchange, like the media keys), and the rest of its signals — SDP, ICE, hang-up — go on
 * /wren/call/1.0.0 straight to the bound device, falling back to the session (signal-path.ts).
 * The invite, ringing, accept, busy and decline always go over the session.
 *
 * Each call's state is call-machine.ts (pure), and what a signal means to it wire-signals.ts
 * (pure); this class adds the timers, the keys (live-call.ts), the signals, the events and what
 * stays of an ended call (call-history.ts). One live call at a time.
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import { formatCallId, newCallId } from '../../../core/src/call/call-id.ts'
import {
  MAX_MEDIA_DATA_BYTES,
  SIGNAL_ANSWERED_ELSEWHERE,
  SIGNAL_BUSY,
  SIGNAL_INVITE,
  SIGNAL_RINGING,
  STREAM_DELIVERED,
  STREAM_GONE,
} from '../../../core/src/call/constants.ts'
import { type CallSignal, decodeCallSignal } from '../../../core/src/call/signal.ts'
import type { CallFrame } from '../../../core/src/call/stream-frame.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { WrenCoreError } from '../../../core/src/errors.ts'
import type { AppDelivery, AppEffect } from '../messaging/app-payloads.ts'
import type { MessageVia } from '../messaging/message-path.ts'
import type { Vault } from '../messaging/vault.ts'
import { CallHistory } from './call-history.ts'
import { type CallInput, type CallState, newIncomingCall, newOutgoingCall, step } from './call-machine.ts'
import type { CallSignalChannel } from './call-stream.ts'
import {
  APP_CALL_SIGNAL,
  CONNECT_TIMEOUT_MS,
  DEFAULT_CALL_LIST_LIMIT,
  MAX_LIVE_CALLS,
  RING_TIMEOUT_MS,
} from './constants.ts'
import {
  CallInProgressError,
  CallKeyChangedError,
  CallNotFoundError,
  CallStateError,
  MediaDataTooLargeError,
} from './errors.ts'
import {
  armTimer,
  callInfo,
  deriveCallKeys,
  disarmTimer,
  type LiveCall,
  newLiveCall,
  wipeCallKeys,
} from './live-call.ts'
import { SerialWork } from './serial-work.ts'
import { SignalPath } from './signal-path.ts'
import type { CallInfo, CallLogger, CallNotify, CallPairwise, MediaReport, MediaSignal } from './types.ts'
import { mediaSignalBody, replyOf, signalAction } from './wire-signals.ts'

export interface CallServiceInit {
  /** Ring timeout in ms (default RING_TIMEOUT_MS; tests shorten it). */
  readonly ringTimeoutMs?: number
  /** Connect timeout in ms (default CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number
}

export interface CallServiceComponents {
  readonly suite: CryptoSuite
  /** Our Ed25519 identity public key (bound into the media keys). */
  readonly identityKey: Uint8Array
  readonly userId: string
  readonly pairwise: CallPairwise
  /** The profile database (the call log lives beside the messages). */
  readonly vault: Vault
  readonly notify: CallNotify
  readonly now: () => number
  readonly log: CallLogger
  /** A call starts here or rings here: the node asks its relays for TURN credentials meanwhile. */
  readonly onCallStarting?: () => void
  /** /wren/call/1.0.0 (call-stream.ts); without it every signal goes over the session. */
  readonly channel?: CallSignalChannel
  /** The libp2p PeerId (bytes) of a contact's device by its device key, when known. */
  readonly devicePeerOf?: (userId: string, deviceKey: Uint8Array) => Promise<Uint8Array | null>
}

const utf8 = new TextEncoder()

export class CallService {
  readonly #c: CallServiceComponents
  readonly #ringTimeoutMs: number
  readonly #connectTimeoutMs: number
  readonly #live = new Map<string, LiveCall>()
  /** Sends, log appends and history lines run one at a time, in the order the calls made them. */
  readonly #work: SerialWork
  readonly #path: SignalPath
  readonly #history: CallHistory
  #running = false

  constructor(init: CallServiceInit, components: CallServiceComponents) {
    this.#c = components
    this.#ringTimeoutMs = init.ringTimeoutMs ?? RING_TIMEOUT_MS
    this.#connectTimeoutMs = init.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    this.#work = new SerialWork(components.log)
    this.#path = new SignalPath({ ...components, work: this.#work })
    this.#history = new CallHistory(components)
  }

  /** Register the signal handler; call before the messenger starts delivering. */
  async start(): Promise<void> {
    if (this.#running) return
    this.#c.pairwise.registerApp(APP_CALL_SIGNAL, async (delivery) => this.#onPayload(delivery))
    await this.#c.channel?.serve(async (peer, frame) => this.#onFrame(peer.toString(), frame))
    this.#running = true
  }

  /** End every live call here (a daemon going down cannot carry one) and wait for the writes. */
  async stop(): Promise<void> {
    if (!this.#running) return
    for (const live of [...this.#live.values()]) this.#apply(live, { type: 'hangup' })
    this.#running = false
    await this.#work.idle()
    await this.#c.channel?.stop()
  }

  // ---- the local user (RPC)

  /** Call a contact: it rings there; returns the call id. */
  async startCall(contactId: string): Promise<string> {
    if (this.#live.size >= MAX_LIVE_CALLS) throw new CallInProgressError()
    const contact = await this.#c.pairwise.requireContact(contactId)
    if (contact.keyChanged) throw new CallKeyChangedError(contact.displayName)
    if (this.#live.size >= MAX_LIVE_CALLS) throw new CallInProgressError()
    const now = this.#c.now()
    const callIdBytes = newCallId(this.#c.suite.randomBytes)
    const callId = formatCallId(callIdBytes)
    const live = newLiveCall(this.#c.suite, {
      state: newOutgoingCall(callId, contact.userId, now),
      callIdBytes,
      peerMediaKey: null,
      peerIdentityKey: contact.identityKey,
      peerDevice: null,
      via: null,
    })
    this.#live.set(callId, live)
    this.#c.onCallStarting?.()
    this.#arm(live, this.#ringTimeoutMs, { type: 'ring-timeout' })
    await this.#path.send(live, { kind: SIGNAL_INVITE, mediaKey: live.ownKey.publicKey })
    this.#c.log.info('call started', { callId })
    this.#c.notify('call.state', { call: this.#info(live.state) })
    return callId
  }

  accept(callId: string): CallInfo {
    return this.#local(callId, { type: 'accept' })
  }

  decline(callId: string): CallInfo {
    return this.#local(callId, { type: 'decline' })
  }

  hangup(callId: string): CallInfo {
    return this.#local(callId, { type: 'hangup' })
  }

  /** The local media owner's SDP or ICE, for the other side's media owner (call.signal there). */
  async signal(callId: string, signal: MediaSignal): Promise<void> {
    const live = this.#require(callId)
    const { phase } = live.state
    if (phase !== 'connecting' && phase !== 'connected')
      throw new CallStateError(`call ${callId} is not accepted yet: no media signals before it is`)
    if (utf8.encode(signal.data).length > MAX_MEDIA_DATA_BYTES)
      throw new MediaDataTooLargeError(MAX_MEDIA_DATA_BYTES)
    await this.#path.send(live, mediaSignalBody(signal))
  }

  /** What the local media owner reports: the media connected, or failed (the call then ends). */
  media(callId: string, report: MediaReport): CallInfo {
    return this.#local(
      callId,
      report === 'connected' ? { type: 'media-connected' } : { type: 'media-failed', reason: report },
    )
  }

  /** The media keys of a call for the local media owner (hex); once it is accepted. */
  mediaKeys(callId: string): { sendKey: string; receiveKey: string } {
    const live = this.#require(callId)
    if (live.keys === null)
      throw new CallStateError(`call ${callId} has no media keys yet: it is not accepted`)
    return { sendKey: toHex(live.keys.sendKey), receiveKey: toHex(live.keys.receiveKey) }
  }

  /** Live calls first, then ended ones from the call log, newest first. */
  async list(limit = DEFAULT_CALL_LIST_LIMIT): Promise<CallInfo[]> {
    const live = [...this.#live.values()].map((l) => this.#info(l.state))
    if (live.length >= limit) return live.slice(0, limit)
    return [...live, ...(await this.#history.newest(limit - live.length))]
  }

  #require(callId: string): LiveCall {
    const live = this.#live.get(callId)
    if (live === undefined) throw new CallNotFoundError(callId)
    return live
  }

  #local(callId: string, input: CallInput): CallInfo {
    const live = this.#require(callId)
    this.#apply(live, input)
    return this.#info(live.state)
  }

  // ---- the other side (signals over the session, frames on /wren/call)

  /** Runs inside the messenger's lock: decode only; the work runs after the payload is committed. */
  #onPayload(delivery: AppDelivery): AppEffect {
    let signal: CallSignal
    try {
      signal = decodeCallSignal(delivery.payload)
    } catch (error) {
      if (!(error instanceof WrenCoreError)) throw error
      this.#c.log.debug('malformed call signal dropped', { error: error.name })
      return {}
    }
    return { after: () => this.#onSignal(delivery, signal) }
  }

  #onSignal(delivery: AppDelivery, signal: CallSignal): void {
    if (!this.#running) return
    const callId = formatCallId(signal.callId)
    if (signal.kind === SIGNAL_INVITE) {
      this.#onInvite(delivery, callId, signal.callId, signal.sentAt, signal.mediaKey)
      return
    }
    const live = this.#live.get(callId)
    // a straggler of an ended call, or a signal about someone else's call: nothing to do
    if (live === undefined || live.state.peerUserId !== delivery.senderUserId) {
      this.#c.log.debug('call signal for no live call dropped', { kind: signal.kind })
      return
    }
    // another device of the peer's (one that rang too, say, while a first one answered): its
    // accept, media and hang-up are not this call's, and must not end it
    if (live.peerDevice !== null && !bytesEqual(live.peerDevice, delivery.senderDeviceKey)) {
      this.#c.log.debug('call signal from another device of the peer dropped', { kind: signal.kind })
      return
    }
    this.#dispatch(live, signal, delivery.senderDeviceKey)
  }

  /** A frame from `peer` (PeerId string) on /wren/call: the STREAM_* status to answer. */
  async #onFrame(peer: string, frame: CallFrame): Promise<number> {
    if (!this.#running) return STREAM_GONE
    const receipt = await this.#path.receive(peer, frame, (callId) => this.#live.get(callId))
    if (receipt.status === STREAM_DELIVERED)
      this.#dispatch(receipt.call, receipt.signal, receipt.call.peerDevice as Uint8Array)
    return receipt.status
  }

  /** A signal of the bound device (or of any device of the peer's, while it rings) for `live`. */
  #dispatch(live: LiveCall, signal: CallSignal, senderDeviceKey: Uint8Array): void {
    const action = signalAction(live.state, signal, live.ownKey.publicKey)
    switch (action.do) {
      case 'nothing':
        return
      case 'step':
        this.#apply(live, action.input)
        return
      case 'accepted':
        live.peerMediaKey = action.mediaKey
        live.peerDevice = senderDeviceKey
        live.peerPeerId = undefined
        this.#apply(live, { type: 'remote-accept' })
        void this.#tellOtherDevices(live)
        return
      case 'media':
        this.#c.notify('call.signal', { callId: live.state.callId, signal: action.signal })
        return
    }
  }

  #onInvite(
    delivery: AppDelivery,
    callId: string,
    callIdBytes: Uint8Array,
    offeredAt: number,
    peerMediaKey: Uint8Array,
  ): void {
    if (this.#live.has(callId)) return
    const now = this.#c.now()
    const peer = delivery.senderUserId
    const fresh = newIncomingCall(callId, peer, offeredAt)
    const age = Math.max(0, now - offeredAt)
    // an offer older than its timeout is not rung: a missed call (it came from a mailbox)
    if (age >= this.#ringTimeoutMs) {
      this.#c.log.info('call offer too old to ring: missed', { callId, ageMs: age })
      this.#finish(step(fresh, { type: 'ring-timeout' }, now).call, delivery.via)
      return
    }
    if (this.#live.size >= MAX_LIVE_CALLS) {
      this.#c.log.info('call offer while in a call: busy', { callId })
      const stub = { state: fresh }
      const busy: CallSignal = { kind: SIGNAL_BUSY, callId: callIdBytes, sentAt: now }
      void this.#work.run(() => this.#path.sendOverSession(stub, busy))
      this.#finish({ ...fresh, phase: 'ended', endReason: 'busy', endedAt: now }, delivery.via)
      return
    }
    const live = newLiveCall(this.#c.suite, {
      state: fresh,
      callIdBytes,
      peerMediaKey,
      peerIdentityKey: delivery.contact.identityKey,
      peerDevice: delivery.senderDeviceKey,
      via: delivery.via,
    })
    this.#live.set(callId, live)
    this.#c.onCallStarting?.()
    this.#arm(live, this.#ringTimeoutMs - age, { type: 'ring-timeout' })
    void this.#path.send(live, { kind: SIGNAL_RINGING })
    this.#c.log.info('call rings', { callId, via: delivery.via })
    this.#c.notify('call.incoming', { call: this.#info(live.state) })
  }

  // ---- applying a step: timers, keys, replies, events, the end

  #apply(live: LiveCall, input: CallInput): void {
    const before = live.state.phase
    const { call, reply, changed } = step(live.state, input, this.#c.now())
    if (!changed) return
    live.state = call
    if (reply !== null) void this.#path.send(live, replyOf(reply, live.ownKey.publicKey))
    if (call.phase === 'connecting' && before !== 'connecting') {
      this.#arm(live, this.#connectTimeoutMs, { type: 'connect-timeout' })
      if (!this.#deriveKeys(live)) return
    } else if (call.phase !== before) disarmTimer(live)
    if (call.phase === 'ended') {
      this.#end(live)
      return
    }
    this.#c.notify('call.state', { call: this.#info(call) })
  }

  /** The media keys of an accepted call; a bad peer key ends it (failed-decrypt). */
  #deriveKeys(live: LiveCall): boolean {
    try {
      deriveCallKeys(this.#c.suite, this.#c.identityKey, live)
      return true
    } catch (error) {
      if (!(error instanceof WrenCoreError)) throw error
      this.#c.log.warn('call media keys failed', { callId: live.state.callId, error: error.name })
      this.#apply(live, { type: 'media-failed', reason: 'failed-decrypt' })
      return false
    }
  }

  #arm(live: LiveCall, ms: number, input: CallInput): void {
    armTimer(live, ms, () => this.#apply(live, input))
  }

  #end(live: LiveCall): void {
    disarmTimer(live)
    this.#live.delete(live.state.callId)
    wipeCallKeys(live)
    // after the signals queued before the end (the hang-up) went: how each went
    const { callId } = live.state
    void this.#work.run(async () => this.#c.log.info('call signalling', { callId, ...live.counts }))
    this.#finish(live.state, live.via)
  }

  /** An ended call: announce it, log it, and write its line in the conversation. */
  #finish(call: CallState, via: MessageVia | null): void {
    this.#c.log.info('call ended', { callId: call.callId, reason: call.endReason })
    this.#c.notify('call.state', { call: this.#info(call) })
    void this.#work.run(() => this.#history.record(call, via))
  }

  /**
   * An outgoing call was accepted by one of the callee's devices: when the callee has others (its
   * pinned device list names more than one), tell them over the session, so they stop ringing —
   * and one that accepted too stops connecting: the signal names the accepting device's media key
   * — the media signals that follow go on /wren/call to the accepting device only.
   */
  async #tellOtherDevices(live: LiveCall): Promise<void> {
    try {
      const contact = await this.#c.pairwise.requireContact(live.state.peerUserId)
      const devices = contact.deviceList?.devices.length ?? 0
      if (devices > 1 && live.state.phase !== 'ended')
        await this.#path.send(live, { kind: SIGNAL_ANSWERED_ELSEWHERE, answeredKey: live.peerMediaKey })
    } catch (error) {
      this.#c.log.warn('answered elsewhere not sent', { error: (error as Error)?.name })
    }
  }

  #info(call: CallState): CallInfo {
    return callInfo(call, this.#c.now())
  }
}

/** The calls service in the libp2p service shape: `callService(init)(components)`. */
export function callService(init: CallServiceInit = {}): (components: CallServiceComponents) => CallService {
  return (components) => new CallService(init, components)
}

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
 * /wren/call/1.0.0 (call-stream.ts) straight to the bound device over a connection that is open
 * already, sealed with those keys: nothing of them is persisted, queued or left in a mailbox. A
 * frame that cannot go that way (no open connection, a failed stream, the other side not ready)
 * is sent over the session instead, and so is the rest of that call, so its signals keep their
 * order. The invite, ringing, accept, busy and decline always go over the session.
 *
 * Each call's state is call-machine.ts (pure); this class adds the timers, the signals, the
 * events, the call log and the history line in the conversation. One live call at a time.
 */
import { bytesEqual, toHex } from '../../../core/src/bytes.ts'
import { formatCallId, newCallId } from '../../../core/src/call/call-id.ts'
import {
  HANGUP_BY_USER,
  HANGUP_FAILED_DECRYPT,
  HANGUP_FAILED_ICE,
  HANGUP_TIMEOUT,
  MAX_MEDIA_DATA_BYTES,
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
  STREAM_DELIVERED,
  STREAM_GONE,
  STREAM_NOT_READY,
  STREAM_SIGNALS,
} from '../../../core/src/call/constants.ts'
import {
  deriveMediaKeys,
  deriveSignalKeys,
  type MediaKeys,
  newCallKeyPair,
} from '../../../core/src/call/media-keys.ts'
import { type CallSignal, decodeCallSignal, encodeCallSignal } from '../../../core/src/call/signal.ts'
import { type CallFrame, openCallFrame, sealCallFrame } from '../../../core/src/call/stream-frame.ts'
import type { CryptoSuite, KeyPair } from '../../../core/src/crypto/suite.ts'
import { WrenCoreError } from '../../../core/src/errors.ts'
import type { AppDelivery, AppEffect } from '../messaging/app-payloads.ts'
import type { MessageVia } from '../messaging/message-path.ts'
import { peerIdFromBytes } from '../messaging/peer-ids.ts'
import type { Vault } from '../messaging/vault.ts'
import { CallLog } from './call-log.ts'
import {
  type CallInput,
  type CallState,
  durationOf,
  type EndReason,
  historyKind,
  newIncomingCall,
  newOutgoingCall,
  type Reply,
  step,
} from './call-machine.ts'
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
import { historyLine } from './history-entry.ts'
import type {
  CallInfo,
  CallLogger,
  CallNotify,
  CallPairwise,
  MediaReport,
  MediaSignal,
  MediaSignalKind,
} from './types.ts'

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

/** How many of a call's signals went which way (logged when it ends). */
interface SignalCounts {
  /** Sent on /wren/call (delivered there, or the call was gone there). */
  overStream: number
  /** Sent over the pairwise session (the outbox, and the mailboxes when the device is away). */
  overSession: number
  /** Received on /wren/call and applied. */
  receivedOverStream: number
}

/** A live call and what only the daemon holds about it. */
interface LiveCall {
  state: CallState
  readonly callIdBytes: Uint8Array
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
  timer: ReturnType<typeof setTimeout> | null
  /** How the offer reached us (incoming calls): the history line is announced with it. */
  readonly via: MessageVia | null
}

/** The stream fields of a new live call. */
function streamState(): Pick<
  LiveCall,
  'signalKeys' | 'sentFrames' | 'receivedFrames' | 'peerPeerId' | 'overSession' | 'counts'
> {
  return {
    signalKeys: null,
    sentFrames: 0,
    receivedFrames: 0,
    peerPeerId: undefined,
    overSession: false,
    counts: { overStream: 0, overSession: 0, receivedOverStream: 0 },
  }
}

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

const utf8 = new TextEncoder()

export class CallService {
  readonly #c: CallServiceComponents
  readonly #ringTimeoutMs: number
  readonly #connectTimeoutMs: number
  readonly #log: CallLog
  readonly #live = new Map<string, LiveCall>()
  /** Sends, log appends and history lines run one at a time, in the order the calls made them. */
  #chain: Promise<void> = Promise.resolve()
  #running = false

  constructor(init: CallServiceInit, components: CallServiceComponents) {
    this.#c = components
    this.#ringTimeoutMs = init.ringTimeoutMs ?? RING_TIMEOUT_MS
    this.#connectTimeoutMs = init.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    this.#log = new CallLog(components.vault)
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
    await this.#chain
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
    const live: LiveCall = {
      state: newOutgoingCall(callId, contact.userId, now),
      callIdBytes,
      ownKey: newCallKeyPair(this.#c.suite),
      peerMediaKey: null,
      peerIdentityKey: contact.identityKey,
      peerDevice: null,
      keys: null,
      ...streamState(),
      timer: null,
      via: null,
    }
    this.#live.set(callId, live)
    this.#c.onCallStarting?.()
    this.#arm(live, this.#ringTimeoutMs, { type: 'ring-timeout' })
    await this.#send(live, { kind: SIGNAL_INVITE, mediaKey: live.ownKey.publicKey })
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
    await this.#send(live, { kind: MEDIA_KINDS[signal.kind], data: signal.data })
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
    const ended = (await this.#log.newest(limit - live.length)).map(
      (r): CallInfo => ({
        callId: r.callId,
        peerUserId: r.peerUserId,
        direction: r.direction,
        state: 'ended',
        endReason: r.endReason,
        remoteRinging: false,
        startedAt: r.startedAt,
        connectedAt: r.connectedAt,
        endedAt: r.endedAt,
        durationMs: r.durationMs,
        missed: r.kind === 'missed',
      }),
    )
    return [...live, ...ended]
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

  // ---- the other side (signals)

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

  /** A signal of the bound device (or of any device of the peer's, while it rings) for `live`. */
  #dispatch(live: LiveCall, signal: CallSignal, senderDeviceKey: Uint8Array): void {
    const callId = live.state.callId
    switch (signal.kind) {
      case SIGNAL_INVITE:
        return
      case SIGNAL_RINGING:
        this.#applyOutgoingOnly(live, { type: 'remote-ringing' })
        return
      case SIGNAL_ACCEPT:
        if (live.state.direction !== 'outgoing' || live.state.phase !== 'ringing') return
        live.peerMediaKey = signal.mediaKey
        live.peerDevice = senderDeviceKey
        live.peerPeerId = undefined
        this.#apply(live, { type: 'remote-accept' })
        void this.#tellOtherDevices(live)
        return
      case SIGNAL_ANSWERED_ELSEWHERE:
        // the accepting device ignores it (it is connecting); the others stop ringing
        if (live.state.phase === 'incoming') this.#apply(live, { type: 'answered-elsewhere' })
        return
      case SIGNAL_BUSY:
        this.#applyOutgoingOnly(live, { type: 'remote-busy' })
        return
      case SIGNAL_DECLINE:
        this.#applyOutgoingOnly(live, { type: 'remote-decline' })
        return
      case SIGNAL_HANGUP:
        this.#apply(live, { type: 'remote-hangup', reason: FROM_WIRE_REASON.get(signal.reason) ?? 'hangup' })
        return
      case SIGNAL_OFFER:
      case SIGNAL_ANSWER:
      case SIGNAL_ICE: {
        const { phase } = live.state
        // media signals come only after an accept: it rings here, so another device of ours took it
        if (phase === 'incoming') {
          this.#apply(live, { type: 'answered-elsewhere' })
          return
        }
        if (phase !== 'connecting' && phase !== 'connected') return
        const kind = MEDIA_KIND_NAMES.get(signal.kind) as MediaSignalKind
        this.#c.notify('call.signal', { callId, signal: { kind, data: signal.data } })
        return
      }
    }
  }

  #applyOutgoingOnly(live: LiveCall, input: CallInput): void {
    if (live.state.direction === 'outgoing') this.#apply(live, input)
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
      const stub = { state: fresh, callIdBytes }
      const busy: CallSignal = { kind: SIGNAL_BUSY, callId: callIdBytes, sentAt: now }
      void this.#enqueue(() => this.#sendNow(stub, busy))
      this.#finish({ ...fresh, phase: 'ended', endReason: 'busy', endedAt: now }, delivery.via)
      return
    }
    const live: LiveCall = {
      state: fresh,
      callIdBytes,
      ownKey: newCallKeyPair(this.#c.suite),
      peerMediaKey,
      peerIdentityKey: delivery.contact.identityKey,
      peerDevice: delivery.senderDeviceKey,
      keys: null,
      ...streamState(),
      timer: null,
      via: delivery.via,
    }
    this.#live.set(callId, live)
    this.#c.onCallStarting?.()
    this.#arm(live, this.#ringTimeoutMs - age, { type: 'ring-timeout' })
    void this.#send(live, { kind: SIGNAL_RINGING })
    this.#c.log.info('call rings', { callId, via: delivery.via })
    this.#c.notify('call.incoming', { call: this.#info(live.state) })
  }

  // ---- applying a step: timers, keys, replies, events, the end

  #apply(live: LiveCall, input: CallInput): void {
    const before = live.state.phase
    const { call, reply, changed } = step(live.state, input, this.#c.now())
    if (!changed) return
    live.state = call
    if (reply !== null) void this.#send(live, replyOf(reply, live.ownKey.publicKey))
    if (call.phase === 'connecting' && before !== 'connecting') {
      this.#arm(live, this.#connectTimeoutMs, { type: 'connect-timeout' })
      if (!this.#deriveKeys(live)) return
    } else if (call.phase !== before) this.#disarm(live)
    if (call.phase === 'ended') {
      this.#end(live)
      return
    }
    this.#c.notify('call.state', { call: this.#info(call) })
  }

  /** The media keys of an accepted call; a bad peer key ends it (failed-decrypt). */
  #deriveKeys(live: LiveCall): boolean {
    const outgoing = live.state.direction === 'outgoing'
    try {
      const input = {
        role: outgoing ? 'caller' : 'callee',
        callId: live.callIdBytes,
        own: live.ownKey,
        peerMediaKey: live.peerMediaKey ?? new Uint8Array(0),
        callerIdentityKey: outgoing ? this.#c.identityKey : live.peerIdentityKey,
        calleeIdentityKey: outgoing ? live.peerIdentityKey : this.#c.identityKey,
      } as const
      live.keys = deriveMediaKeys(this.#c.suite, input)
      live.signalKeys = deriveSignalKeys(this.#c.suite, input)
      return true
    } catch (error) {
      if (!(error instanceof WrenCoreError)) throw error
      this.#c.log.warn('call media keys failed', { callId: live.state.callId, error: error.name })
      this.#apply(live, { type: 'media-failed', reason: 'failed-decrypt' })
      return false
    }
  }

  #arm(live: LiveCall, ms: number, input: CallInput): void {
    this.#disarm(live)
    live.timer = setTimeout(() => this.#apply(live, input), Math.max(0, ms))
    live.timer.unref?.()
  }

  #disarm(live: LiveCall): void {
    if (live.timer !== null) clearTimeout(live.timer)
    live.timer = null
  }

  #end(live: LiveCall): void {
    this.#disarm(live)
    this.#live.delete(live.state.callId)
    live.ownKey.secretKey.fill(0)
    live.keys?.sendKey.fill(0)
    live.keys?.receiveKey.fill(0)
    live.keys = null
    live.signalKeys?.sendKey.fill(0)
    live.signalKeys?.receiveKey.fill(0)
    live.signalKeys = null
    // after the signals queued before the end (the hang-up) went: how each went
    const { callId } = live.state
    void this.#enqueue(async () => this.#c.log.info('call signalling', { callId, ...live.counts }))
    this.#finish(live.state, live.via)
  }

  /** An ended call: announce it, log it, and write its line in the conversation. */
  #finish(call: CallState, via: MessageVia | null): void {
    this.#c.log.info('call ended', { callId: call.callId, reason: call.endReason })
    this.#c.notify('call.state', { call: this.#info(call) })
    void this.#enqueue(async () => {
      await this.#log.append({
        callId: call.callId,
        peerUserId: call.peerUserId,
        direction: call.direction,
        kind: historyKind(call),
        startedAt: call.startedAt,
        acceptedAt: call.acceptedAt,
        connectedAt: call.connectedAt,
        endedAt: call.endedAt ?? this.#c.now(),
        endReason: call.endReason ?? 'hangup',
        durationMs: durationOf(call),
      })
      await this.#c.pairwise.appendEntry(
        call.peerUserId,
        historyLine(call, this.#c.userId),
        call.direction === 'incoming' ? via : null,
      )
    })
  }

  // ---- sending

  /**
   * Send a signal of `live` after everything queued before it. A frame for the stream is sealed
   * now, in queue order (the counters follow the order the frames go in, and the keys may be
   * wiped by an end before the send runs).
   */
  #send(live: LiveCall, body: SignalBody): Promise<void> {
    const signal = { ...body, callId: live.callIdBytes, sentAt: this.#c.now() } as CallSignal
    const frame = this.#sealFrame(live, signal)
    return this.#enqueue(() => this.#deliver(live, signal, frame))
  }

  /** The /wren/call frame of `signal`, or null when it goes over the session. */
  #sealFrame(live: LiveCall, signal: CallSignal): Uint8Array | null {
    if (this.#c.channel === undefined || live.signalKeys === null || live.overSession) return null
    if (!STREAM_SIGNALS.has(signal.kind)) return null
    live.sentFrames++
    return sealCallFrame(this.#c.suite, live.signalKeys.sendKey, live.sentFrames, signal)
  }

  async #deliver(live: LiveCall, signal: CallSignal, frame: Uint8Array | null): Promise<void> {
    const channel = this.#c.channel
    if (frame !== null && channel !== undefined && !live.overSession) {
      const peer = await this.#peerOf(live)
      const outcome = peer === null ? 'no-connection' : await channel.send(peer, frame)
      if (outcome === 'delivered' || outcome === 'gone') {
        live.counts.overStream++
        return
      }
      this.#c.log.info('call signals go over the session', { callId: live.state.callId, outcome })
      live.overSession = true
    }
    live.counts.overSession++
    await this.#sendNow(live, signal)
  }

  async #sendNow(live: Pick<LiveCall, 'state'>, signal: CallSignal): Promise<void> {
    await this.#c.pairwise.sendApp([live.state.peerUserId], APP_CALL_SIGNAL, encodeCallSignal(signal))
  }

  /**
   * An outgoing call was accepted by one of the callee's devices: when the callee has others (its
   * pinned device list names more than one), tell them over the session, so they stop ringing —
   * the media signals that follow go on /wren/call to the accepting device only.
   */
  async #tellOtherDevices(live: LiveCall): Promise<void> {
    try {
      const contact = await this.#c.pairwise.requireContact(live.state.peerUserId)
      const devices = contact.deviceList?.devices.length ?? 0
      if (devices > 1 && live.state.phase !== 'ended')
        await this.#send(live, { kind: SIGNAL_ANSWERED_ELSEWHERE })
    } catch (error) {
      this.#c.log.warn('answered elsewhere not sent', { error: (error as Error)?.name })
    }
  }

  /** The bound device's PeerId (looked up once per binding), null when unknown. */
  async #peerOf(live: LiveCall): Promise<Uint8Array | null> {
    if (live.peerPeerId !== undefined) return live.peerPeerId
    const device = live.peerDevice
    const found =
      device === null || this.#c.devicePeerOf === undefined
        ? null
        : await this.#c.devicePeerOf(live.state.peerUserId, device).catch(() => null)
    // the binding may have changed while we looked
    if (live.peerDevice === device) live.peerPeerId = found
    return found
  }

  // ---- the other side (frames on /wren/call)

  /**
   * A frame from `peer` (PeerId string) on /wren/call: the status to answer. Not ready while the
   * call has no signalling keys yet or the frame is not from its bound device (the sender then
   * uses the session); AeadError for a frame that does not open (counted against the peer).
   */
  async #onFrame(peer: string, frame: CallFrame): Promise<number> {
    const callId = formatCallId(frame.callId)
    const live = this.#live.get(callId)
    if (!this.#running || live === undefined) return STREAM_GONE
    if (live.signalKeys === null) return STREAM_NOT_READY
    const bound = await this.#peerOf(live)
    if (bound === null || peerIdFromBytes(bound).toString() !== peer) return STREAM_NOT_READY
    // the call may have ended, or been re-keyed, while we looked
    if (this.#live.get(callId) !== live || live.signalKeys === null) return STREAM_GONE
    const signal = openCallFrame(this.#c.suite, live.signalKeys.receiveKey, frame)
    // frames come one at a time, each answered before the next: an old counter is a replay
    if (frame.counter <= live.receivedFrames) return STREAM_NOT_READY
    live.receivedFrames = frame.counter
    live.counts.receivedOverStream++
    this.#dispatch(live, signal, live.peerDevice as Uint8Array)
    return STREAM_DELIVERED
  }

  /** Run `work` after everything queued before it; a failure is logged, not thrown into the chain. */
  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(work)
    this.#chain = run.catch((error) =>
      this.#c.log.warn('call work failed', { error: (error as Error)?.name }),
    )
    return run
  }

  #info(call: CallState): CallInfo {
    const now = this.#c.now()
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
}

/** A signal without its call id and time (the sender adds them). */
type SignalBody =
  | { kind: typeof SIGNAL_INVITE | typeof SIGNAL_ACCEPT; mediaKey: Uint8Array }
  | {
      kind:
        | typeof SIGNAL_RINGING
        | typeof SIGNAL_BUSY
        | typeof SIGNAL_DECLINE
        | typeof SIGNAL_ANSWERED_ELSEWHERE
    }
  | { kind: typeof SIGNAL_HANGUP; reason: number }
  | { kind: typeof SIGNAL_OFFER | typeof SIGNAL_ANSWER | typeof SIGNAL_ICE; data: string }

/** The signal a step's reply sends; an accept carries our media public key. */
function replyOf(reply: Reply, mediaKey: Uint8Array): SignalBody {
  switch (reply.kind) {
    case 'accept':
      return { kind: SIGNAL_ACCEPT, mediaKey }
    case 'decline':
      return { kind: SIGNAL_DECLINE }
    case 'hangup':
      return { kind: SIGNAL_HANGUP, reason: TO_WIRE_REASON[reply.reason] }
  }
}

/** The calls service in the libp2p service shape: `callService(init)(components)`. */
export function callService(init: CallServiceInit = {}): (components: CallServiceComponents) => CallService {
  return (components) => new CallService(init, components)
}

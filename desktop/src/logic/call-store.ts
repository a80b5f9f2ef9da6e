/**
 * The page's side of calls: follows the daemon's call events (call.incoming, call.state,
 * call.signal), owns the media of the one live call (call-media.ts), and keeps what the call
 * screens show. The daemon owns the call (ringing, timeouts, busy, hang-up reasons); the page
 * reports only its media (calls.media: connected, failed-ice, failed-decrypt).
 */
import type { Call, EventPayload } from '../../../node/src/rpc/api.ts'
import type { WrenRpc } from '../rpc-browser.ts'
import { CallMedia, type MediaOutcome, MicrophoneError, openMicrophone } from './call-media.ts'
import { type CallQuality, callQuality, type QualityReading } from './call-quality.ts'
import { endStays, type MediaPath, microphoneErrorWords } from './call-words.ts'
import { describeError } from './rpc-errors.ts'

/** How long the "call ended" screen stays after a hang-up, in ms (failures stay until closed). */
export const ENDED_SCREEN_MS = 4_000
/** How often the media path and quality are read from getStats(), in ms. */
export const STATS_POLL_MS = 2_000
/** Media signals held for a call whose media is not set up yet (offer + candidates). */
export const MAX_PENDING_SIGNALS = 64

type MediaSignal = EventPayload<'call.signal'>['signal']

export interface CallView {
  readonly callId: string | null
  readonly peerUserId: string
  readonly direction: Call['direction']
  readonly state: Call['state']
  readonly endReason: Call['endReason']
  readonly remoteRinging: boolean
  readonly muted: boolean
  /** When the media connected here (Date.now()), for the duration. */
  readonly connectedAt: number | null
  readonly path: MediaPath | null
  /** getStats candidate types of the selected pair, "local/remote" (e.g. relay/relay). */
  readonly candidates: string | null
  readonly rttMs: number | null
  /** From packet loss, jitter and round-trip time (call-quality.ts); null until known. */
  readonly quality: CallQuality | null
  /** Frames opened / refused on the receive side (the call worker's counts). */
  readonly framesOpened: number
  readonly framesFailed: number
  /** A microphone or action error, in the user's words. */
  readonly error: string | null
  readonly remoteStream: MediaStream | null
}

export interface CallState {
  readonly current: CallView | null
}

/** Extra ICE servers for new calls, besides the relays' TURN from calls.iceServers (none by default). */
export type IceServersSetting = () => RTCIceServer[]

/** Relay calls only, but no relay gave TURN: the call cannot connect, and says why. */
export const NO_TURN_WORDS =
  'Relay calls only is on, but none of your relays offers TURN: add a relay that runs it, or turn the setting off.'

export class CallStore {
  readonly #rpc: WrenRpc
  readonly #iceServers: IceServersSetting
  readonly #listeners = new Set<() => void>()
  readonly #unsubscribe: Array<() => void>
  #state: CallState = { current: null }
  #media: CallMedia | null = null
  /** The microphone of the live call, opened before ringing out or accepting. */
  #microphone: MediaStream | null = null
  #pending: MediaSignal[] = []
  #clearTimer: ReturnType<typeof setTimeout> | null = null
  #statsTimer: ReturnType<typeof setInterval> | null = null
  /** The previous getStats() reading of the live call, for loss over the interval. */
  #lastReading: QualityReading | null = null

  constructor(rpc: WrenRpc, iceServers: IceServersSetting = () => []) {
    this.#rpc = rpc
    this.#iceServers = iceServers
    this.#unsubscribe = [
      rpc.on('call.incoming', ({ call }) => this.#onIncoming(call)),
      rpc.on('call.state', ({ call }) => this.#onState(call)),
      rpc.on('call.signal', (p) => this.#onSignal(p)),
    ]
  }

  get state(): CallState {
    return this.#state
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #patch(patch: Partial<CallView>): void {
    const current = this.#state.current
    if (current === null) return
    this.#state = { current: { ...current, ...patch } }
    for (const l of this.#listeners) l()
  }

  #show(view: CallView | null): void {
    if (this.#clearTimer !== null) clearTimeout(this.#clearTimer)
    this.#clearTimer = null
    this.#state = { current: view }
    for (const l of this.#listeners) l()
  }

  #live(): boolean {
    const c = this.#state.current
    return c !== null && c.state !== 'ended'
  }

  #isCurrent(callId: string): boolean {
    return this.#state.current?.callId === callId
  }

  /** A call that rang before this page opened (calls.list). */
  async resume(): Promise<void> {
    try {
      const { calls } = await this.#rpc.call('calls.list', { limit: 5 })
      const ringing = calls.find((c) => c.state === 'incoming')
      if (ringing && !this.#live()) this.#onIncoming(ringing)
    } catch {
      // no call log (or an older daemon): nothing rings
    }
  }

  async start(contactId: string): Promise<void> {
    if (this.#live()) return
    this.#show(fresh(contactId, 'outgoing', 'ringing'))
    let microphone: MediaStream
    try {
      microphone = await openMicrophone()
    } catch (error) {
      this.#failLocally(error)
      return
    }
    try {
      this.#microphone = microphone
      const { callId } = await this.#rpc.call('calls.start', { contactId })
      this.#patch({ callId })
    } catch (error) {
      this.#failLocally(error)
    }
  }

  async accept(): Promise<void> {
    const c = this.#state.current
    if (c?.callId == null || c.state !== 'incoming') return
    const callId = c.callId
    try {
      this.#microphone = await openMicrophone()
    } catch (error) {
      // still ringing: the user can fix the permission and accept again, or decline
      this.#patch({ error: errorWords(error) })
      return
    }
    try {
      const { call } = await this.#rpc.call('calls.accept', { callId })
      this.#onState(call)
    } catch (error) {
      this.#patch({ error: errorWords(error) })
    }
  }

  async decline(): Promise<void> {
    const id = this.#state.current?.callId
    if (id == null) return
    await this.#rpc.call('calls.decline', { callId: id }).then(
      ({ call }) => this.#onState(call),
      (error) => this.#patch({ error: errorWords(error) }),
    )
  }

  async hangup(): Promise<void> {
    const c = this.#state.current
    if (c === null) return
    if (c.callId === null || c.state === 'ended') {
      this.dismiss()
      return
    }
    await this.#rpc.call('calls.hangup', { callId: c.callId }).then(
      ({ call }) => this.#onState(call),
      (error) => this.#patch({ error: errorWords(error) }),
    )
  }

  setMuted(muted: boolean): void {
    this.#media?.setMuted(muted)
    if (this.#media === null) for (const t of this.#microphone?.getAudioTracks() ?? []) t.enabled = !muted
    this.#patch({ muted })
  }

  /** Close the ended-call screen. */
  dismiss(): void {
    if (this.#live()) return
    this.#show(null)
  }

  #failLocally(error: unknown): void {
    this.#teardown()
    this.#patch({ state: 'ended', error: errorWords(error) })
  }

  #onIncoming(call: Call): void {
    if (this.#live() && !this.#isCurrent(call.callId)) return // the daemon answers busy
    this.#show({ ...fresh(call.peerUserId, 'incoming', 'incoming'), callId: call.callId })
  }

  #onState(call: Call): void {
    if (!this.#isCurrent(call.callId)) return
    const wasConnecting = this.#state.current?.state === 'connecting'
    this.#patch({
      state: call.state,
      endReason: call.endReason,
      remoteRinging: call.remoteRinging,
    })
    if (call.state === 'connecting' && !wasConnecting && this.#media === null) void this.#startMedia(call)
    if (call.state === 'ended') {
      this.#teardown()
      // once per call: the end comes twice (the action's answer and the call.state event), and a
      // leaked timer would close the next call's screen
      if (!endStays(call.endReason) && this.#clearTimer === null)
        this.#clearTimer = setTimeout(() => {
          this.#clearTimer = null
          if (this.#isCurrent(call.callId) && !this.#live()) this.#show(null)
        }, ENDED_SCREEN_MS)
    }
  }

  #onSignal({ callId, signal }: EventPayload<'call.signal'>): void {
    if (!this.#isCurrent(callId)) return
    if (this.#media !== null) this.#media.receive(signal)
    else if (this.#pending.length < MAX_PENDING_SIGNALS) this.#pending.push(signal)
  }

  async #startMedia(call: Call): Promise<void> {
    const microphone = this.#microphone
    if (microphone === null) return
    try {
      const [keys, ice] = await Promise.all([
        this.#rpc.call('calls.mediaKeys', { callId: call.callId }),
        this.#rpc.call('calls.iceServers', {}),
      ])
      if (!this.#isCurrent(call.callId) || !this.#live()) return
      const role = call.direction === 'outgoing' ? 'caller' : 'callee'
      const iceServers = [
        ...ice.iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
        ...this.#iceServers(),
      ]
      if (ice.relayOnly && iceServers.length === 0) {
        this.#patch({ error: NO_TURN_WORDS })
        this.#onOutcome(call.callId, 'failed-ice')
        return
      }
      this.#media = new CallMedia({
        rpc: this.#rpc,
        callId: call.callId,
        role,
        microphone,
        keys,
        iceServers,
        iceTransportPolicy: ice.relayOnly ? 'relay' : 'all',
        onOutcome: (outcome) => this.#onOutcome(call.callId, outcome),
        onRemoteStream: (remoteStream) => this.#patch({ remoteStream }),
        onFrames: (r) => {
          if (r.type === 'frames' && r.side === 'receive')
            this.#patch({ framesOpened: r.done, framesFailed: r.failed })
        },
      })
      this.#media.setMuted(this.#state.current?.muted ?? false)
      for (const s of this.#pending.splice(0)) this.#media.receive(s)
      if (role === 'caller') this.#media.offer()
    } catch (error) {
      this.#patch({ error: errorWords(error) })
      this.#onOutcome(call.callId, 'failed-ice')
    }
  }

  #onOutcome(callId: string, outcome: MediaOutcome): void {
    if (!this.#isCurrent(callId)) return
    if (outcome === 'connected') {
      this.#patch({ connectedAt: Date.now() })
      this.#statsTimer ??= setInterval(() => void this.#readStats(), STATS_POLL_MS)
      void this.#readStats()
    }
    this.#rpc.call('calls.media', { callId, state: outcome }).then(
      ({ call }) => this.#onState(call),
      () => {
        // the call ended meanwhile: call.state already said how
      },
    )
  }

  async #readStats(): Promise<void> {
    const media = this.#media
    if (media === null) return
    try {
      const s = await media.stats()
      if (media !== this.#media) return
      const quality = callQuality(this.#lastReading, s)
      this.#lastReading = s
      this.#patch({
        path: s.path,
        rttMs: s.rttMs,
        candidates: s.candidates && `${s.candidates.local}/${s.candidates.remote}`,
        quality,
      })
    } catch {
      // closed meanwhile
    }
  }

  #teardown(): void {
    if (this.#statsTimer !== null) clearInterval(this.#statsTimer)
    this.#statsTimer = null
    this.#lastReading = null
    this.#media?.close()
    this.#media = null
    for (const t of this.#microphone?.getTracks() ?? []) t.stop()
    this.#microphone = null
    this.#pending = []
  }

  close(): void {
    this.#teardown()
    for (const u of this.#unsubscribe) u()
  }
}

function fresh(peerUserId: string, direction: Call['direction'], state: Call['state']): CallView {
  return {
    callId: null,
    peerUserId,
    direction,
    state,
    endReason: null,
    remoteRinging: false,
    muted: false,
    connectedAt: null,
    path: null,
    candidates: null,
    rttMs: null,
    quality: null,
    framesOpened: 0,
    framesFailed: 0,
    error: null,
    remoteStream: null,
  }
}

function errorWords(error: unknown): string {
  if (error instanceof MicrophoneError) return microphoneErrorWords(error.reason)
  return describeError(error)
}

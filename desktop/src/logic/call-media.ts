/**
 * The page's media for one call: the microphone, an RTCPeerConnection, and the call worker that
 * seals and opens every audio frame with the call's media keys (call-worker.ts). SDP and ICE
 * candidates go only through the daemon (calls.signal out, call.signal in), end-to-end
 * encrypted between the two daemons, so the DTLS fingerprints in the SDP are authenticated by
 * the Wren session; the frame keys do not depend on DTLS at all.
 *
 * The caller makes the offer once the call is accepted; the callee answers. ICE servers are TURN
 * on the user's own relays only (calls.iceServers; no third-party STUN), and "relay calls only"
 * sets iceTransportPolicy 'relay' so the other side never sees this device's addresses.
 */

import { COUNTER_START_SPACE } from '../../../core/src/call/sframe.ts'
import type { EventPayload } from '../../../node/src/rpc/api.ts'
import type { CallWorkerReport, FrameTransformOptions } from '../call-worker.ts'
import type { WrenRpc } from '../rpc-browser.ts'
import { type MediaPath, mediaPath } from './call-words.ts'

/** Time for ICE to connect after the call is accepted, in ms, before the call fails (failed-ice). */
export const MEDIA_CONNECT_TIMEOUT_MS = 30_000
/** The worker's bundle, served beside app.js. */
export const CALL_WORKER_URL = '/call-worker.js'

/** What the microphone is asked for: voice with the browser's echo cancellation. */
export const MICROPHONE_CONSTRAINTS: MediaStreamConstraints = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: false,
}

/** getUserMedia failed; `reason` is the DOMException name (call-words.ts explains it). */
export class MicrophoneError extends Error {
  readonly reason: string
  constructor(reason: string, message: string) {
    super(message)
    this.name = 'MicrophoneError'
    this.reason = reason
  }
}

export async function openMicrophone(): Promise<MediaStream> {
  if (typeof navigator.mediaDevices?.getUserMedia !== 'function')
    throw new MicrophoneError('SecurityError', 'no mediaDevices in this context')
  try {
    return await navigator.mediaDevices.getUserMedia(MICROPHONE_CONSTRAINTS)
  } catch (error) {
    const name = (error as { name?: unknown }).name
    throw new MicrophoneError(typeof name === 'string' ? name : 'Error', String(error))
  }
}

type MediaSignal = EventPayload<'call.signal'>['signal']

export type MediaOutcome = 'connected' | 'failed-ice' | 'failed-decrypt'

export interface CallMediaInit {
  readonly rpc: WrenRpc
  readonly callId: string
  readonly role: 'caller' | 'callee'
  readonly microphone: MediaStream
  readonly keys: { readonly sendKey: string; readonly receiveKey: string }
  /** TURN servers of our relays (none: host candidates only). */
  readonly iceServers?: RTCIceServer[]
  /** 'relay': only TURN candidates, so the other side never learns our addresses. */
  readonly iceTransportPolicy?: RTCIceTransportPolicy
  /** The media connected or failed (reported to the daemon too, by the owner). */
  readonly onOutcome: (outcome: MediaOutcome) => void
  readonly onRemoteStream: (stream: MediaStream) => void
  readonly onFrames?: (report: CallWorkerReport) => void
}

export interface MediaStatsSnapshot {
  readonly path: MediaPath | null
  /** getStats candidateType of the selected pair's two ends ('host', 'srflx', 'relay'…). */
  readonly candidates: { readonly local: string; readonly remote: string } | null
  /** Round-trip time of the selected candidate pair, in ms. */
  readonly rttMs: number | null
  readonly packetsLost: number
  readonly packetsReceived: number
  /** Receive jitter of the audio (the largest over the call's receive streams), in ms. */
  readonly jitterMs: number | null
  readonly concealedSamples: number
}

/** A uniformly random first send counter below COUNTER_START_SPACE (2^48: six random bytes). */
function randomCounterStart(): number {
  const b = crypto.getRandomValues(new Uint8Array(6))
  const n = b.reduce((acc, x) => acc * 256 + x, 0)
  return n % COUNTER_START_SPACE
}

type EncodedStreamsSender = RTCRtpSender & {
  createEncodedStreams(): { readable: ReadableStream; writable: WritableStream }
}

export class CallMedia {
  readonly #init: CallMediaInit
  readonly #pc: RTCPeerConnection
  readonly #worker: Worker
  readonly #scriptTransform: boolean
  /** Signals handled one after another (a candidate may not run ahead of its description). */
  #queue: Promise<void> = Promise.resolve()
  #pendingIce: RTCIceCandidateInit[] = []
  #outcome: MediaOutcome | null = null
  #timer: ReturnType<typeof setTimeout>
  #closed = false
  readonly #attached = new Set<RTCRtpSender | RTCRtpReceiver>()

  constructor(init: CallMediaInit) {
    this.#init = init
    this.#scriptTransform = typeof RTCRtpScriptTransform === 'function'
    const config: RTCConfiguration & { encodedInsertableStreams?: boolean } = {
      iceServers: init.iceServers ?? [],
      iceTransportPolicy: init.iceTransportPolicy ?? 'all',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    }
    // without RTCRtpScriptTransform, Chromium's older createEncodedStreams needs this flag
    if (!this.#scriptTransform) config.encodedInsertableStreams = true
    this.#pc = new RTCPeerConnection(config)
    this.#worker = new Worker(CALL_WORKER_URL)
    this.#worker.onmessage = (e: MessageEvent<CallWorkerReport>) => {
      init.onFrames?.(e.data)
      if (e.data.type === 'failed-decrypt') this.#finish('failed-decrypt')
    }
    // without its worker no frame is sealed or opened: the call cannot carry audio
    this.#worker.onerror = () => this.#finish('failed-decrypt')
    const track = init.microphone.getAudioTracks()[0]
    if (track === undefined) throw new MicrophoneError('NotFoundError', 'no audio track')
    const sender = this.#pc.addTrack(track, init.microphone)
    this.#attach(sender, 'send')
    // the receiver of this transceiver gets its transform now, before any packet: the callee's
    // remote offer reuses a transceiver made by addTrack (JSEP §5.10), so both roles have it
    const receiver = this.#pc.getTransceivers().find((t) => t.sender === sender)?.receiver
    if (receiver) this.#attach(receiver, 'receive')
    this.#pc.ontrack = (e) => {
      if (!this.#attached.has(e.receiver)) this.#attach(e.receiver, 'receive')
      init.onRemoteStream(e.streams[0] ?? new MediaStream([e.track]))
    }
    this.#pc.onicecandidate = (e) => {
      if (e.candidate === null || e.candidate.candidate === '') return
      this.#signal({ kind: 'ice', data: JSON.stringify(e.candidate.toJSON()) })
    }
    this.#pc.onconnectionstatechange = () => {
      const s = this.#pc.connectionState
      if (s === 'connected') this.#finish('connected')
      else if (s === 'failed') this.#finish('failed-ice')
    }
    this.#timer = setTimeout(() => {
      if (this.#outcome === null) this.#finish('failed-ice')
    }, MEDIA_CONNECT_TIMEOUT_MS)
  }

  #attach(endpoint: RTCRtpSender | RTCRtpReceiver, side: 'send' | 'receive'): void {
    this.#attached.add(endpoint)
    const key = side === 'send' ? this.#init.keys.sendKey : this.#init.keys.receiveKey
    const firstCounter = side === 'send' ? randomCounterStart() : 0
    const options: FrameTransformOptions = { side, key, firstCounter }
    if (this.#scriptTransform) {
      endpoint.transform = new RTCRtpScriptTransform(this.#worker, options)
      return
    }
    const { readable, writable } = (endpoint as EncodedStreamsSender).createEncodedStreams()
    this.#worker.postMessage({ type: 'streams', readable, writable, options }, [readable, writable])
  }

  #finish(outcome: MediaOutcome): void {
    if (this.#closed) return
    // failures after connecting still count (failed-decrypt); a second connected does not
    if (this.#outcome === outcome || (this.#outcome !== null && outcome === 'connected')) return
    this.#outcome = outcome
    clearTimeout(this.#timer)
    this.#init.onOutcome(outcome)
  }

  #signal(signal: MediaSignal): void {
    this.#init.rpc.call('calls.signal', { callId: this.#init.callId, signal }).catch(() => {
      // the call ended meanwhile, or the daemon is gone: call.state tells the owner
    })
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue.then(step).catch(() => {
      if (!this.#closed) this.#finish('failed-ice')
    })
  }

  /** The caller's offer, once the call is accepted. */
  offer(): void {
    this.#enqueue(async () => {
      const offer = await this.#pc.createOffer()
      await this.#pc.setLocalDescription(offer)
      this.#signal({ kind: 'offer', data: this.#pc.localDescription?.sdp ?? offer.sdp ?? '' })
    })
  }

  /** A signal from the other side's media owner (call.signal). */
  receive(signal: MediaSignal): void {
    this.#enqueue(async () => {
      if (this.#closed) return
      if (signal.kind === 'ice') {
        const candidate = JSON.parse(signal.data) as RTCIceCandidateInit
        if (this.#pc.remoteDescription === null) this.#pendingIce.push(candidate)
        else await this.#pc.addIceCandidate(candidate)
        return
      }
      const expected = this.#init.role === 'caller' ? 'answer' : 'offer'
      if (signal.kind !== expected) return
      await this.#pc.setRemoteDescription({ type: signal.kind, sdp: signal.data })
      for (const c of this.#pendingIce.splice(0)) await this.#pc.addIceCandidate(c)
      if (signal.kind === 'offer') {
        const answer = await this.#pc.createAnswer()
        await this.#pc.setLocalDescription(answer)
        this.#signal({ kind: 'answer', data: this.#pc.localDescription?.sdp ?? answer.sdp ?? '' })
      }
    })
  }

  setMuted(muted: boolean): void {
    for (const t of this.#init.microphone.getAudioTracks()) t.enabled = !muted
  }

  /** The path and quality of the media now, from getStats(). */
  async stats(): Promise<MediaStatsSnapshot> {
    const report = await this.#pc.getStats()
    const byId = new Map<string, Record<string, unknown>>()
    report.forEach((s: Record<string, unknown>) => {
      byId.set(String(s.id), s)
    })
    let pair: Record<string, unknown> | undefined
    let packetsLost = 0
    let concealedSamples = 0
    let packetsReceived = 0
    let jitterMs: number | null = null
    for (const s of byId.values()) {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
        pair = byId.get(s.selectedCandidatePairId)
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        packetsLost += Number(s.packetsLost ?? 0)
        concealedSamples += Number(s.concealedSamples ?? 0)
        packetsReceived += Number(s.packetsReceived ?? 0)
        if (typeof s.jitter === 'number') jitterMs = Math.max(jitterMs ?? 0, s.jitter * 1000)
      }
    }
    const local = pair ? byId.get(String(pair.localCandidateId)) : undefined
    const remote = pair ? byId.get(String(pair.remoteCandidateId)) : undefined
    const rtt = pair?.currentRoundTripTime
    const localType = local?.candidateType as string | undefined
    const remoteType = remote?.candidateType as string | undefined
    return {
      path: mediaPath(localType, remoteType),
      candidates:
        localType === undefined || remoteType === undefined ? null : { local: localType, remote: remoteType },
      rttMs: typeof rtt === 'number' ? Math.round(rtt * 1000) : null,
      packetsLost,
      packetsReceived,
      jitterMs,
      concealedSamples,
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    this.#pc.close()
    this.#worker.terminate()
    for (const t of this.#init.microphone.getTracks()) t.stop()
  }
}

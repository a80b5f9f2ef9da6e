/**
 * The CLI's media for one call, as the desktop page's CallMedia does it but without a browser:
 * a WebRTC peer connection (werift, pure TypeScript) with one Opus audio track, every encoded
 * frame sealed with the call's send key and opened with its receive key in the SFrame-style
 * format of core/src/call/sframe.ts (so a CLI and a desktop page can call each other). SDP and
 * ICE go only through the daemon (calls.signal out, call.signal in); the caller offers once the
 * call is accepted, the callee answers.
 */
import { webcrypto } from 'node:crypto'
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS } from 'werift'
import { FrameCipher, FrameReplayError } from '../../../core/src/call/frame-cipher.ts'
import { COUNTER_START_SPACE, DecryptCounter } from '../../../core/src/call/sframe.ts'
import { FRAME_SAMPLES } from './opus-codec.ts'

/** Time for ICE to connect after the call is accepted, in ms (the page's MEDIA_CONNECT_TIMEOUT_MS). */
export const MEDIA_CONNECT_TIMEOUT_MS = 30_000
const SEQUENCE_SPACE = 0x1_0000
const TIMESTAMP_SPACE = 0x1_0000_0000

export type MediaOutcome = 'connected' | 'failed-ice' | 'failed-decrypt'
export interface MediaSignal {
  readonly kind: 'offer' | 'answer' | 'ice'
  readonly data: string
}
export interface IceServer {
  readonly urls: string[]
  readonly username?: string
  readonly credential?: string
}

export interface PeerMediaInit {
  readonly role: 'caller' | 'callee'
  readonly keys: { readonly sendKey: string; readonly receiveKey: string }
  readonly iceServers: readonly IceServer[]
  readonly relayOnly: boolean
  /** Hand a signal to the daemon (calls.signal). */
  readonly sendSignal: (signal: MediaSignal) => void
  /** Connected, or failed (once each; failed-decrypt may follow connected). */
  readonly onOutcome: (outcome: MediaOutcome) => void
  /** One opened Opus packet with its RTP timestamp (48 kHz clock). */
  readonly onPacket: (opus: Uint8Array, rtpTimestamp: number) => void
  /** Random source for the first send counter, sequence number and timestamp. */
  readonly random?: (bytes: number) => Uint8Array
}

export interface FrameCounts {
  sent: number
  opened: number
  failed: number
}

function randomBelow(random: (n: number) => Uint8Array, bytes: number, space: number): number {
  return random(bytes).reduce((acc, x) => acc * 256 + x, 0) % space
}

export class PeerMedia {
  readonly #init: PeerMediaInit
  readonly #pc: RTCPeerConnection
  readonly #track = new MediaStreamTrack({ kind: 'audio' })
  readonly #counts: FrameCounts = { sent: 0, opened: 0, failed: 0 }
  readonly #decrypt = new DecryptCounter()
  #sendCipher: FrameCipher | null = null
  #receiveCipher: FrameCipher | null = null
  #queue: Promise<void> = Promise.resolve()
  #pendingIce: string[] = []
  #outcome: MediaOutcome | null = null
  #closed = false
  #timer: ReturnType<typeof setTimeout>
  #sequence: number
  #timestamp: number
  readonly #firstCounter: number

  constructor(init: PeerMediaInit) {
    this.#init = init
    const random = init.random ?? ((n: number) => webcrypto.getRandomValues(new Uint8Array(n)))
    this.#firstCounter = randomBelow(random, 6, COUNTER_START_SPACE)
    this.#sequence = randomBelow(random, 2, SEQUENCE_SPACE)
    this.#timestamp = randomBelow(random, 4, TIMESTAMP_SPACE)
    this.#pc = new RTCPeerConnection({
      codecs: { audio: [useOPUS()], video: [] },
      iceServers: init.iceServers.flatMap((s) =>
        s.urls.map((urls) => ({ urls, username: s.username, credential: s.credential })),
      ),
      iceTransportPolicy: init.relayOnly ? 'relay' : 'all',
    })
    this.#pc.addTransceiver(this.#track, { direction: 'sendrecv' })
    const subscribed = new Set<unknown>()
    this.#pc.ontrack = ({ track }) => {
      if (subscribed.has(track)) return
      subscribed.add(track)
      track.onReceiveRtp.subscribe((rtp) => {
        void this.#receive(rtp.payload, rtp.header.timestamp)
      })
    }
    this.#pc.onicecandidate = ({ candidate }) => {
      if (!candidate?.candidate) return
      this.#init.sendSignal({ kind: 'ice', data: JSON.stringify(candidate.toJSON()) })
    }
    this.#pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.#finish('connected')
      else if (state === 'failed') this.#finish('failed-ice')
    })
    this.#timer = setTimeout(() => {
      if (this.#outcome === null) this.#finish('failed-ice')
    }, MEDIA_CONNECT_TIMEOUT_MS)
  }

  get counts(): Readonly<FrameCounts> {
    return this.#counts
  }

  async #ciphers(): Promise<void> {
    if (this.#sendCipher !== null) return
    const { sendKey, receiveKey } = this.#init.keys
    const subtle = webcrypto.subtle as SubtleCrypto
    this.#receiveCipher = await FrameCipher.create(subtle, receiveKey)
    this.#sendCipher = await FrameCipher.create(subtle, sendKey, this.#firstCounter)
  }

  #finish(outcome: MediaOutcome): void {
    if (this.#closed) return
    if (this.#outcome === outcome || (this.#outcome !== null && outcome === 'connected')) return
    this.#outcome = outcome
    clearTimeout(this.#timer)
    this.#init.onOutcome(outcome)
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue.then(step).catch(() => {
      if (!this.#closed) this.#finish('failed-ice')
    })
  }

  /** The caller's offer, once the call is accepted. */
  offer(): void {
    this.#enqueue(async () => {
      await this.#ciphers()
      await this.#pc.setLocalDescription(await this.#pc.createOffer())
      this.#init.sendSignal({ kind: 'offer', data: this.#pc.localDescription?.sdp ?? '' })
    })
  }

  /** A signal from the other side's media owner (call.signal). */
  receive(signal: MediaSignal): void {
    this.#enqueue(async () => {
      if (this.#closed) return
      await this.#ciphers()
      if (signal.kind === 'ice') {
        if (this.#pc.remoteDescription === undefined) this.#pendingIce.push(signal.data)
        else await this.#pc.addIceCandidate(JSON.parse(signal.data))
        return
      }
      const expected = this.#init.role === 'caller' ? 'answer' : 'offer'
      if (signal.kind !== expected) return
      await this.#pc.setRemoteDescription({ type: signal.kind, sdp: signal.data })
      for (const c of this.#pendingIce.splice(0)) await this.#pc.addIceCandidate(JSON.parse(c))
      if (signal.kind === 'offer') {
        await this.#pc.setLocalDescription(await this.#pc.createAnswer())
        this.#init.sendSignal({ kind: 'answer', data: this.#pc.localDescription?.sdp ?? '' })
      }
    })
  }

  /** Seal and send one Opus packet (the next 20 ms). A frame that cannot be sealed is dropped. */
  async send(opus: Uint8Array): Promise<void> {
    const timestamp = this.#timestamp
    const sequence = this.#sequence
    this.#timestamp = (this.#timestamp + FRAME_SAMPLES) % TIMESTAMP_SPACE
    this.#sequence = (this.#sequence + 1) % SEQUENCE_SPACE
    if (this.#closed || this.#sendCipher === null) return
    let sealed: Uint8Array
    try {
      sealed = await this.#sendCipher.seal(opus)
    } catch {
      return // never sent in the clear
    }
    const header = new RtpHeader({ sequenceNumber: sequence, timestamp, marker: false })
    this.#track.writeRtp(new RtpPacket(header, Buffer.from(sealed)))
    this.#counts.sent++
  }

  async #receive(payload: Buffer, timestamp: number): Promise<void> {
    // empty frames carry no media and pass through unsealed (as in the page's worker)
    if (this.#closed || payload.byteLength === 0 || this.#receiveCipher === null) return
    let opus: Uint8Array
    try {
      opus = await this.#receiveCipher.open(new Uint8Array(payload))
    } catch (error) {
      if (error instanceof FrameReplayError) return
      this.#counts.failed++
      if (this.#decrypt.fail()) this.#finish('failed-decrypt')
      return
    }
    this.#decrypt.ok()
    this.#counts.opened++
    this.#init.onPacket(opus, timestamp)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    void this.#pc.close().catch(() => {})
  }
}

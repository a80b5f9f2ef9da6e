/**
 * One call of `wren call` / `wren answer`: follows the daemon's call events for it, and once the
 * call is accepted runs the media in this process (call-media/peer-media.ts) exactly as the
 * desktop page does: keys from calls.mediaKeys, TURN from calls.iceServers, SDP/ICE through
 * calls.signal / call.signal, the outcome reported with calls.media. Plays a WAV (paced 20 ms
 * frames) and records what arrives.
 */
import { FRAME_MS, FRAME_SAMPLES, OpusCodec } from '../call-media/opus-codec.ts'
import { type FrameCounts, type MediaSignal, PeerMedia } from '../call-media/peer-media.ts'
import { Playout, type PlayoutCounts } from '../call-media/playout.ts'
import { Recording } from '../call-media/recording.ts'
import type { Call, EventPayload } from '../rpc/api.ts'
import type { WrenClient } from '../rpc/client.ts'
import { CliError } from './errors.ts'
import { EXIT } from './exit-codes.ts'

/** Signals kept while the media does not exist yet, at most (a candidate burst is ~10). */
const MAX_PENDING_SIGNALS = 64
/** The pacer's tick, in ms: half a frame, so no frame is later than 10 ms. */
const PACER_TICK_MS = FRAME_MS / 2

export interface CallRunOptions {
  readonly role: 'caller' | 'callee'
  /** Samples to play (mono, 48 kHz), or null to send nothing. */
  readonly play: Float32Array | null
  /** Seconds to record at most (null: no recording). */
  readonly recordSeconds: number | null
}

export interface CallSummary {
  readonly call: Call
  readonly frames: FrameCounts
  readonly recording: Int16Array | null
  readonly recordedSeconds: number
  /** What the receive side played, concealed and dropped (null when nothing was recorded). */
  readonly playout: PlayoutCounts | null
}

/** The call ended before or without media (declined, busy, timeout, failed-*). */
export class CallEndedError extends CliError {
  readonly call: Call
  constructor(call: Call) {
    super(EXIT.ERROR, `the call ended: ${call.endReason ?? 'ended'}`)
    this.name = 'CallEndedError'
    this.call = call
  }
}

export class CallRun {
  readonly #client: WrenClient
  readonly #options: CallRunOptions
  readonly #unsubscribe: Array<() => void> = []
  readonly #states = new Map<string, Call>()
  readonly #signals = new Map<string, MediaSignal[]>()
  readonly #waiters = new Set<() => void>()
  #callId: string | null = null
  #media: PeerMedia | null = null
  #codec: OpusCodec | null = null
  #recording: Recording | null = null
  #playout: Playout | null = null
  #outcome: string | null = null
  #pacer: ReturnType<typeof setInterval> | null = null
  #sendChain: Promise<void> = Promise.resolve()
  #playedAll = false

  private constructor(client: WrenClient, options: CallRunOptions) {
    this.#client = client
    this.#options = options
  }

  /** Subscribes to the call events first, so none of this call's is missed. */
  static async open(client: WrenClient, options: CallRunOptions): Promise<CallRun> {
    const run = new CallRun(client, options)
    run.#unsubscribe.push(
      await client.on('call.state', ({ call }) => run.#onState(call)),
      await client.on('call.incoming', ({ call }) => run.#onState(call)),
      await client.on('call.signal', (p) => run.#onSignal(p)),
    )
    return run
  }

  #wake(): void {
    for (const w of this.#waiters) w()
  }

  #onState(call: Call): void {
    this.#states.set(call.callId, call)
    if (call.callId === this.#callId && call.state === 'ended') this.#stopMedia()
    this.#wake()
  }

  #onSignal({ callId, signal }: EventPayload<'call.signal'>): void {
    if (callId === this.#callId && this.#media !== null) {
      this.#media.receive(signal)
      return
    }
    const list = this.#signals.get(callId) ?? []
    if (list.length < MAX_PENDING_SIGNALS) list.push(signal)
    this.#signals.set(callId, list)
  }

  /** Resolves with the first value `test` gives (not undefined), or rejects after `timeoutMs`. */
  async #until<T>(test: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = test()
    if (now !== undefined) return now
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        const v = test()
        if (v === undefined) return
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve(v)
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(done)
        reject(new CliError(EXIT.ERROR, `no ${what} within ${Math.round(timeoutMs / 1000)} s`))
      }, timeoutMs)
      this.#waiters.add(done)
    })
  }

  /** A call that rings here (one already ringing counts), waiting at most `timeoutMs`. */
  async nextIncoming(timeoutMs: number): Promise<Call> {
    const { calls } = await this.#client.call('calls.list', { limit: 5 })
    for (const c of calls) if (c.state === 'incoming') this.#states.set(c.callId, c)
    return this.#until(
      () => [...this.#states.values()].find((c) => c.state === 'incoming'),
      timeoutMs,
      'call',
    )
  }

  /** This run follows `callId` from now on. */
  follow(callId: string): void {
    this.#callId = callId
  }

  /** Waits for the call to be accepted (connecting), then starts the media; CallEndedError if it ended. */
  async startWhenAccepted(timeoutMs: number): Promise<void> {
    const call = await this.#until(
      () => {
        const c = this.#callId === null ? undefined : this.#states.get(this.#callId)
        return c && (c.state === 'connecting' || c.state === 'connected' || c.state === 'ended')
          ? c
          : undefined
      },
      timeoutMs,
      'answer',
    )
    if (call.state === 'ended') throw new CallEndedError(call)
    const callId = call.callId
    const [keys, ice] = await Promise.all([
      this.#client.call('calls.mediaKeys', { callId }),
      this.#client.call('calls.iceServers', {}),
    ])
    if (ice.relayOnly && ice.iceServers.length === 0) {
      await this.#report('failed-ice')
      throw new CliError(EXIT.ERROR, 'relay calls only is on, but no relay of yours runs TURN')
    }
    this.#codec = new OpusCodec()
    if (this.#options.recordSeconds !== null) {
      const recording = new Recording(this.#options.recordSeconds)
      this.#recording = recording
      // lost and reordered packets: concealment instead of silent gaps (playout.ts)
      this.#playout = new Playout(this.#codec, (samples, timestamp) => recording.add(samples, timestamp))
    }
    this.#media = new PeerMedia({
      role: this.#options.role,
      keys,
      iceServers: ice.iceServers,
      relayOnly: ice.relayOnly,
      sendSignal: (signal) => {
        this.#client.call('calls.signal', { callId, signal }).catch(() => {
          // the call ended meanwhile: call.state says so
        })
      },
      onOutcome: (outcome) => void this.#report(outcome),
      onPacket: (opus, timestamp) => {
        if (this.#codec !== null) this.#playout?.push(opus, timestamp)
      },
    })
    if (this.#options.role === 'caller') this.#media.offer()
    for (const s of this.#signals.get(callId)?.splice(0) ?? []) this.#media.receive(s)
  }

  async #report(outcome: 'connected' | 'failed-ice' | 'failed-decrypt'): Promise<void> {
    this.#outcome = outcome
    this.#wake()
    if (this.#callId === null) return
    if (outcome === 'connected') this.#startPlaying()
    await this.#client.call('calls.media', { callId: this.#callId, state: outcome }).catch(() => {})
  }

  #startPlaying(): void {
    const play = this.#options.play
    const media = this.#media
    if (play === null || media === null || this.#codec === null || this.#pacer !== null) {
      this.#playedAll = true
      return
    }
    const frames = Math.ceil(play.length / FRAME_SAMPLES)
    const start = performance.now()
    let next = 0
    this.#pacer = setInterval(() => {
      const due = Math.min(frames, Math.floor((performance.now() - start) / FRAME_MS) + 1)
      for (; next < due; next++) {
        const opus = this.#codec?.encode(play.subarray(next * FRAME_SAMPLES, (next + 1) * FRAME_SAMPLES))
        if (opus === undefined) return
        // one after another: the counters and RTP sequence numbers go out in order
        this.#sendChain = this.#sendChain.then(() => media.send(opus))
      }
      if (next >= frames) {
        this.#playedAll = true
        this.#stopPacer()
        this.#wake()
      }
    }, PACER_TICK_MS)
  }

  #stopPacer(): void {
    if (this.#pacer !== null) clearInterval(this.#pacer)
    this.#pacer = null
  }

  /** Waits for the media to connect; CallEndedError if it failed or the call ended. */
  async connected(timeoutMs: number): Promise<void> {
    await this.#until(() => (this.#outcome !== null || this.#ended() ? true : undefined), timeoutMs, 'media')
    const ended = this.#ended()
    if (ended) throw new CallEndedError(ended)
    if (this.#outcome !== 'connected')
      throw new CliError(EXIT.ERROR, `the call's media failed: ${this.#outcome ?? 'unknown'}`)
  }

  #ended(): Call | undefined {
    const c = this.#callId === null ? undefined : this.#states.get(this.#callId)
    return c?.state === 'ended' ? c : undefined
  }

  /**
   * Runs the call until it ends, `seconds` pass (then hangs up), or, with `untilPlayed`, the WAV
   * has been sent and `tailMs` more passed; then stops the media and returns what happened.
   */
  async finish(seconds: number | null, untilPlayed: boolean, tailMs: number): Promise<CallSummary> {
    const deadline = seconds === null ? Number.POSITIVE_INFINITY : performance.now() + seconds * 1000
    let playedAt: number | null = null
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.#playedAll && playedAt === null) playedAt = performance.now()
        const now = performance.now()
        const played = untilPlayed && playedAt !== null && now >= playedAt + tailMs
        if (this.#ended() || now >= deadline || played || this.#outcome === 'failed-decrypt') {
          clearInterval(timer)
          resolve()
        }
      }
      const timer = setInterval(check, PACER_TICK_MS)
    })
    if (!this.#ended() && this.#callId !== null)
      await this.#client.call('calls.hangup', { callId: this.#callId }).catch(() => {})
    // the daemon's final word on the call (the hangup's, or the other side's)
    const call = await this.#until(() => this.#ended(), 5_000, 'end of the call').catch(() => undefined)
    const frames = { ...(this.#media?.counts ?? { sent: 0, opened: 0, failed: 0 }) }
    this.#stopMedia()
    if (this.#codec !== null) this.#playout?.flush()
    const recording = this.#recording?.samples() ?? null
    const final = call ?? this.#states.get(this.#callId ?? '')
    if (final === undefined) throw new CliError(EXIT.ERROR, 'the call is gone')
    return {
      call: final,
      frames,
      recording,
      recordedSeconds: this.#recording?.seconds ?? 0,
      playout: this.#playout === null ? null : { ...this.#playout.counts },
    }
  }

  #stopMedia(): void {
    this.#stopPacer()
    this.#media?.close()
    this.#wake()
  }

  close(): void {
    this.#stopMedia()
    this.#codec?.close()
    this.#codec = null
    for (const u of this.#unsubscribe.splice(0)) u()
  }
}

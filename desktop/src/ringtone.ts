/**
 * The incoming-call ringtone, generated with WebAudio (no audio file): two soft sine tones in
 * short bursts, repeated until stop(). The call screen starts it while a call rings here and stops
 * it when the call is accepted, declined or ends (or the screen goes away).
 */

/** The two tones, in Hz (a major third apart: clear on laptop speakers, not shrill). */
export const RING_TONES_HZ = [659.25, 830.61] as const
/** One cycle: two bursts of RING_BURST_S with RING_GAP_S between, then silence up to RING_CYCLE_S. */
export const RING_BURST_S = 0.4
export const RING_GAP_S = 0.2
export const RING_CYCLE_S = 3
/** Peak gain of the mix (full scale is 1): audible without startling. */
export const RING_GAIN = 0.12
/** Fade in and out of each burst, in s, so the bursts do not click. */
const RAMP_S = 0.02
/** How far ahead cycles are scheduled, in s (the timer that schedules them may run late). */
const SCHEDULE_AHEAD_S = 0.1

export class Ringtone {
  #context: AudioContext | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #next = 0

  get playing(): boolean {
    return this.#context !== null
  }

  /** Start ringing (again a no-op while ringing). Silent if the page may not play audio. */
  start(): void {
    if (this.#context !== null || typeof AudioContext === 'undefined') return
    const context = new AudioContext()
    this.#context = context
    void context.resume().catch(() => {
      // autoplay refused before any click on the page: the screen still shows the call
    })
    this.#next = context.currentTime + SCHEDULE_AHEAD_S
    this.#schedule()
    this.#timer = setInterval(() => this.#schedule(), (RING_CYCLE_S * 1000) / 2)
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    const context = this.#context
    this.#context = null
    void context?.close().catch(() => {})
  }

  #schedule(): void {
    const context = this.#context
    if (context === null) return
    while (this.#next < context.currentTime + RING_CYCLE_S) {
      this.#burst(context, this.#next)
      this.#burst(context, this.#next + RING_BURST_S + RING_GAP_S)
      this.#next += RING_CYCLE_S
    }
  }

  #burst(context: AudioContext, at: number): void {
    const gain = context.createGain()
    gain.gain.setValueAtTime(0, at)
    gain.gain.linearRampToValueAtTime(RING_GAIN / RING_TONES_HZ.length, at + RAMP_S)
    gain.gain.setValueAtTime(RING_GAIN / RING_TONES_HZ.length, at + RING_BURST_S - RAMP_S)
    gain.gain.linearRampToValueAtTime(0, at + RING_BURST_S)
    gain.connect(context.destination)
    for (const hz of RING_TONES_HZ) {
      const osc = context.createOscillator()
      osc.type = 'sine'
      osc.frequency.value = hz
      osc.connect(gain)
      osc.start(at)
      osc.stop(at + RING_BURST_S)
    }
  }
}

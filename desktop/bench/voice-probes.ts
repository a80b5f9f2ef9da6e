/**
 * What the voice benchmark runs inside the two pages (desktop/bench/voice.bench.ts): an init
 * script that keeps every RTCPeerConnection, a clone of the microphone track and the wall-clock
 * time of a click on Accept; a watcher for the first audible frame of the remote track; a
 * recorder of a track with the wall-clock time of its first sample; and the receive stats.
 * Wall-clock time is performance.timeOrigin + performance.now(), comparable across the pages of
 * one browser on one machine.
 */
import type { Page } from 'playwright-core'

/** A frame is audible above this peak (the test sweeps peak at 0.2–0.5; silence and comfort noise stay far below). */
export const AUDIBLE_PEAK = 0.05

export const PROBE_INIT_SCRIPT = `(() => {
  const w = window
  w.__pcs = []
  const Native = w.RTCPeerConnection
  w.RTCPeerConnection = class extends Native {
    constructor(config) { super(config); w.__pcs.push(this) }
  }
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices)
  navigator.mediaDevices.getUserMedia = async (c) => {
    const s = await gum(c)
    w.__mic = s.getAudioTracks()[0]?.clone()
    return s
  }
  document.addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button') : null
    if (b && b.textContent.trim() === 'Accept') w.__acceptAt = performance.timeOrigin + performance.now()
  }, true)
})()`

/** Start watching for the first audible remote frame (before the call); read it with firstAudioMs. */
export async function armFirstAudio(page: Page): Promise<void> {
  await page.evaluate((peak) => {
    const w = window as unknown as Record<string, unknown>
    w.__firstAudioAt = null
    w.__acceptAt = null
    void (async () => {
      let track: MediaStreamTrack | undefined
      while (track === undefined) {
        const audio = document.querySelector('audio.call-audio') as HTMLAudioElement | null
        track = (audio?.srcObject as MediaStream | null)?.getAudioTracks()[0]
        if (track === undefined) await new Promise((r) => setTimeout(r, 2))
      }
      const P = (
        globalThis as unknown as {
          MediaStreamTrackProcessor: new (i: object) => { readable: ReadableStream }
        }
      ).MediaStreamTrackProcessor
      const reader = new P({ track }).readable.getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        const plane = new Float32Array(value.numberOfFrames)
        value.copyTo(plane, { planeIndex: 0, format: 'f32-planar' })
        value.close()
        if (plane.some((x) => Math.abs(x) > peak)) {
          w.__firstAudioAt = performance.timeOrigin + performance.now()
          await reader.cancel()
          return
        }
      }
    })()
  }, AUDIBLE_PEAK)
}

/** ms from the click on Accept to the first audible remote frame, once it came (null before). */
export async function firstAudioMs(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const w = window as unknown as { __firstAudioAt: number | null; __acceptAt: number | null }
    return w.__firstAudioAt === null || w.__acceptAt === null ? null : w.__firstAudioAt - w.__acceptAt
  })
}

export interface Recording {
  rate: number
  samples: number[]
  /** Wall-clock ms of the first sample (median over chunks of read time − samples before it). */
  t0: number
}

/** Record `seconds` of the remote track ('remote') or of the microphone clone ('mic'). */
export async function recordTrack(page: Page, which: 'remote' | 'mic', seconds: number): Promise<Recording> {
  return page.evaluate(
    async ({ which, seconds }) => {
      const w = window as unknown as { __mic?: MediaStreamTrack }
      const audio = document.querySelector('audio.call-audio') as HTMLAudioElement | null
      const track = which === 'mic' ? w.__mic : (audio?.srcObject as MediaStream | null)?.getAudioTracks()[0]
      if (!track) throw new Error(`no ${which} track`)
      const P = (
        globalThis as unknown as {
          MediaStreamTrackProcessor: new (i: object) => { readable: ReadableStream }
        }
      ).MediaStreamTrackProcessor
      const reader = new P({ track }).readable.getReader()
      const samples: number[] = []
      const starts: number[] = []
      let rate = 0
      while (rate === 0 || samples.length < seconds * rate) {
        const { value, done } = await reader.read()
        if (done) break
        const at = performance.timeOrigin + performance.now()
        rate = value.sampleRate
        const plane = new Float32Array(value.numberOfFrames)
        value.copyTo(plane, { planeIndex: 0, format: 'f32-planar' })
        value.close()
        for (const s of plane) samples.push(s)
        starts.push(at - (samples.length / rate) * 1000)
      }
      await reader.cancel()
      starts.sort((a, b) => a - b)
      return { rate, samples, t0: starts[Math.floor(starts.length / 2)] ?? 0 }
    },
    { which, seconds },
  )
}

/** Receive-side audio stats of the page's newest RTCPeerConnection (cumulative counters). */
export interface ReceiveStats {
  concealed: number
  total: number
  lost: number
  /** jitterBufferDelay: seconds of jitter-buffer wait summed over every emitted sample. */
  jitterBufferDelay: number
  /** jitterBufferEmittedCount: samples that left the jitter buffer. */
  jitterBufferEmitted: number
}

/** Mean jitter-buffer delay in ms between two receiveStats snapshots (NaN when none emitted). */
export function jitterBufferMs(before: ReceiveStats, after: ReceiveStats): number {
  const emitted = after.jitterBufferEmitted - before.jitterBufferEmitted
  return emitted > 0 ? ((after.jitterBufferDelay - before.jitterBufferDelay) / emitted) * 1000 : Number.NaN
}

/** Receive-side audio stats of the page's newest RTCPeerConnection. */
export async function receiveStats(page: Page): Promise<ReceiveStats> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
    const pc = pcs[pcs.length - 1]
    const out = { concealed: 0, total: 0, lost: 0, jitterBufferDelay: 0, jitterBufferEmitted: 0 }
    if (!pc) return out
    ;(await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.concealed += Number(s.concealedSamples ?? 0)
        out.total += Number(s.totalSamplesReceived ?? 0)
        out.lost += Number(s.packetsLost ?? 0)
        out.jitterBufferDelay += Number(s.jitterBufferDelay ?? 0)
        out.jitterBufferEmitted += Number(s.jitterBufferEmittedCount ?? 0)
      }
    })
    return out
  })
}

/**
 * Opus for the CLI's call media: libopus compiled to WebAssembly (opusscript), mono at 48 kHz,
 * 20 ms frames (what Chromium sends and expects: RFC 7587, ptime 20).
 */
import OpusScript from 'opusscript'
import { MEDIA_RATE_HZ } from './wav.ts'

/** One frame, in ms: Chromium's default Opus packet time. */
export const FRAME_MS = 20
/** Samples per frame at MEDIA_RATE_HZ (960). */
export const FRAME_SAMPLES = (MEDIA_RATE_HZ * FRAME_MS) / 1000
/** Encoder bitrate, in bit/s: Chromium's default for mono voice. */
export const OPUS_BITRATE_BPS = 32_000
/** OPUS_SET_BITRATE_REQUEST (opus_defines.h). */
const OPUS_SET_BITRATE = 4002
const INT16_MAX = 32_767
const INT16_SCALE = 32_768

/** What one concealment call gives: opusscript's output buffer, 60 ms at 48 kHz. */
export const CONCEAL_CHUNK_SAMPLES = 2_880

function samplesOf(pcm: Buffer): Float32Array {
  const out = new Float32Array(Math.floor(pcm.byteLength / 2))
  for (let i = 0; i < out.length; i++) out[i] = pcm.readInt16LE(2 * i) / INT16_SCALE
  return out
}

export class OpusCodec {
  readonly #encoder = new OpusScript(MEDIA_RATE_HZ, 1, OpusScript.Application.VOIP)
  readonly #decoder = new OpusScript(MEDIA_RATE_HZ, 1, OpusScript.Application.VOIP)

  constructor() {
    this.#encoder.encoderCTL(OPUS_SET_BITRATE, OPUS_BITRATE_BPS)
  }

  /** One Opus packet of FRAME_SAMPLES samples (-1..1; shorter input is padded with silence). */
  encode(samples: Float32Array): Uint8Array {
    const pcm = Buffer.alloc(FRAME_SAMPLES * 2)
    for (let i = 0; i < FRAME_SAMPLES && i < samples.length; i++)
      pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i]!)) * INT16_MAX), 2 * i)
    // copied out: the result is a view into the WebAssembly heap, reused by the next call
    return Uint8Array.from(this.#encoder.encode(pcm, FRAME_SAMPLES))
  }

  /** The samples of one Opus packet (any Opus packet; stereo ones are mixed down by libopus). */
  decode(packet: Uint8Array): Float32Array {
    return samplesOf(this.#decoder.decode(Buffer.from(packet)))
  }

  /**
   * libopus's packet-loss concealment for what follows the last decoded packet (opus_decode with
   * no data): opusscript asks for its largest frame, so this is CONCEAL_CHUNK_SAMPLES — three
   * frames of the last packet's duration for 20 ms packets — and the decoder's state moves past
   * all of it.
   */
  conceal(): Float32Array {
    return samplesOf(this.#decoder.decode(Buffer.alloc(0)))
  }

  close(): void {
    this.#encoder.delete()
    this.#decoder.delete()
  }
}

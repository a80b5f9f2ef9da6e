/**
 * WAV files for `wren call --play` / `--record`: 16-bit PCM in (mono or stereo, any common rate,
 * mixed to mono and resampled linearly to 48 kHz, Opus's rate), 16-bit mono 48 kHz PCM out.
 * Untrusted bytes: parsed once here, with a size cap (RIFF/WAVE, the `fmt ` and `data` chunks).
 */

/** Opus's native rate, in Hz: everything in the CLI's media runs at it. */
export const MEDIA_RATE_HZ = 48_000
/** Largest WAV read, in bytes: 10 minutes of 48 kHz 16-bit stereo is 115 MB; a bot plays less. */
export const MAX_WAV_BYTES = 128 * 1024 * 1024
/** Rates accepted, in Hz: telephone (8 kHz) to studio (192 kHz); anything else is not audio. */
export const MIN_WAV_RATE_HZ = 8_000
export const MAX_WAV_RATE_HZ = 192_000
/** WAVE_FORMAT_PCM and WAVE_FORMAT_EXTENSIBLE (whose sub-format must then be PCM). */
const FORMAT_PCM = 1
const FORMAT_EXTENSIBLE = 0xfffe
const HEADER_BYTES = 12
const CHUNK_HEADER_BYTES = 8
const FMT_MIN_BYTES = 16
const FMT_EXTENSIBLE_SUBFORMAT_OFFSET = 24
const INT16_SCALE = 32_768

/** A file that is not a 16-bit PCM WAV this reader takes (with what is wrong). */
export class WavFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WavFormatError'
  }
}

export interface WavInfo {
  readonly rate: number
  readonly channels: number
  /** Mono samples at MEDIA_RATE_HZ, -1..1. */
  readonly samples: Float32Array
}

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!)
}

/** Parse a WAV file into mono 48 kHz samples; throws WavFormatError. */
export function readWav(bytes: Uint8Array): WavInfo {
  if (bytes.byteLength > MAX_WAV_BYTES) throw new WavFormatError(`larger than ${MAX_WAV_BYTES} bytes`)
  if (bytes.byteLength < HEADER_BYTES || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE')
    throw new WavFormatError('not a RIFF/WAVE file')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null
  let data: Uint8Array | null = null
  let at = HEADER_BYTES
  while (at + CHUNK_HEADER_BYTES <= bytes.byteLength && data === null) {
    const id = ascii(bytes, at)
    const size = view.getUint32(at + 4, true)
    const body = at + CHUNK_HEADER_BYTES
    // a data chunk cut short (a recording stopped mid-write) keeps what is there
    const end = Math.min(body + size, bytes.byteLength)
    if (id === 'fmt ') {
      if (end - body < FMT_MIN_BYTES) throw new WavFormatError('fmt chunk too short')
      let format = view.getUint16(body, true)
      if (format === FORMAT_EXTENSIBLE) {
        if (end - body < FMT_EXTENSIBLE_SUBFORMAT_OFFSET + 2) throw new WavFormatError('fmt chunk too short')
        format = view.getUint16(body + FMT_EXTENSIBLE_SUBFORMAT_OFFSET, true)
      }
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      }
    } else if (id === 'data') {
      if (fmt === null) throw new WavFormatError('data chunk before fmt chunk')
      data = bytes.subarray(body, end)
    }
    at = body + size + (size % 2) // chunks are padded to even sizes
  }
  if (fmt === null || data === null) throw new WavFormatError('no fmt or data chunk')
  if (fmt.format !== FORMAT_PCM || fmt.bits !== 16) throw new WavFormatError('only 16-bit PCM is read')
  if (fmt.channels !== 1 && fmt.channels !== 2) throw new WavFormatError('only mono or stereo is read')
  if (fmt.rate < MIN_WAV_RATE_HZ || fmt.rate > MAX_WAV_RATE_HZ)
    throw new WavFormatError(`rate must be ${MIN_WAV_RATE_HZ}..${MAX_WAV_RATE_HZ} Hz`)
  const frames = Math.floor(data.byteLength / (2 * fmt.channels))
  const mono = new Float32Array(frames)
  const pcm = new DataView(data.buffer, data.byteOffset, data.byteLength)
  for (let i = 0; i < frames; i++) {
    let sum = 0
    for (let c = 0; c < fmt.channels; c++) sum += pcm.getInt16((i * fmt.channels + c) * 2, true)
    mono[i] = sum / fmt.channels / INT16_SCALE
  }
  return { rate: fmt.rate, channels: fmt.channels, samples: resampleLinear(mono, fmt.rate, MEDIA_RATE_HZ) }
}

/** Linear interpolation from `from` Hz to `to` Hz (plain, no low-pass: fine for voice). */
export function resampleLinear(input: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return input
  const out = new Float32Array(Math.floor((input.length * to) / from))
  const step = from / to
  for (let i = 0; i < out.length; i++) {
    const x = i * step
    const k = Math.floor(x)
    const a = input[k] ?? 0
    const b = input[k + 1] ?? a
    out[i] = a + (b - a) * (x - k)
  }
  return out
}

/** A mono 16-bit PCM WAV of `samples` (-1..1) at MEDIA_RATE_HZ. */
export function writeWav(samples: Float32Array | Int16Array): Uint8Array {
  const bytes = samples.length * 2
  const out = new Uint8Array(44 + bytes)
  const v = new DataView(out.buffer)
  const tag = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i)
  }
  tag(0, 'RIFF')
  v.setUint32(4, 36 + bytes, true)
  tag(8, 'WAVE')
  tag(12, 'fmt ')
  v.setUint32(16, 16, true)
  v.setUint16(20, FORMAT_PCM, true)
  v.setUint16(22, 1, true)
  v.setUint32(24, MEDIA_RATE_HZ, true)
  v.setUint32(28, MEDIA_RATE_HZ * 2, true)
  v.setUint16(32, 2, true)
  v.setUint16(34, 16, true)
  tag(36, 'data')
  v.setUint32(40, bytes, true)
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!
    const int =
      samples instanceof Int16Array ? s : Math.round(Math.max(-1, Math.min(1, s)) * (INT16_SCALE - 1))
    v.setInt16(44 + 2 * i, int, true)
  }
  return out
}

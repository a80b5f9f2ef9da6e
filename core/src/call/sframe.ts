/**
 * The frame format of call media encryption, after SFrame (RFC 9605), pure: no crypto here,
 * only the header, the nonce and the checks (frame-cipher.ts seals and opens with WebCrypto).
 *
 *   sealed frame = header || AES-256-GCM(ciphertext || 16-byte tag)
 *   header       = config byte `0 KKK 0 CCC` (RFC 9605 §4.3: X = 0, K = key id 0..7 inline,
 *                  Y = 0, C = counter length − 1), then the counter, C + 1 bytes big-endian
 *   nonce        = salt XOR the counter as 12 big-endian bytes (RFC 9605 §4.4.3)
 *   AAD          = the header (RFC 9605 §4.4.3: the header is authenticated)
 *
 * One key per direction and call (calls.mediaKeys); the AES key and salt are derived from it
 * with HKDF-SHA256 (labels below). Empty frames carry no media and pass through unsealed.
 */

/** Sealed (and plain) frames larger than this are refused, in bytes: an Opus packet is at most
 * 1275 bytes per 20 ms frame and 120 ms per packet (~7.7 kB); twice that is headroom. */
export const MAX_SEALED_FRAME_BYTES = 16_384
/** AES-GCM tag, in bytes (RFC 9605 §4.5: AES_256_GCM_SHA512_128 has a 16-byte tag). */
export const TAG_BYTES = 16
/** AES-GCM nonce and salt, in bytes. */
export const NONCE_BYTES = 12
/** AES key, in bytes (AES-256). */
export const KEY_BYTES = 32
/** Counter bytes at most: the config byte's C field holds 0..7 (1..8 bytes). */
export const MAX_COUNTER_BYTES = 8
/** Counters stay JavaScript-safe integers (2^53 − 1): at 50 frames/s that is 5.7 million years. */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER
/** Key id in the header: one key per direction, so always 0 (the K field allows 0..7 inline). */
export const KEY_ID = 0
/** The first send counter is random below this (48 bits): a page reloaded mid-call gets the
 * same key again, and a fresh random start keeps it from reusing a nonce of the first page. */
export const COUNTER_START_SPACE = 2 ** 48
/** HKDF info labels deriving the AES key and the salt from a direction's media key. */
export const HKDF_KEY_INFO = 'Wren SFrame 1 key'
export const HKDF_SALT_INFO = 'Wren SFrame 1 salt'

/** A sealed frame that is not in this format (too short, too long, wrong header). */
export class FrameFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameFormatError'
  }
}

export interface ParsedFrame {
  readonly keyId: number
  readonly counter: number
  /** The header bytes (the AAD). */
  readonly header: Uint8Array
  /** Ciphertext with its tag. */
  readonly sealed: Uint8Array
}

/** Bytes the counter needs, big-endian, at least one. */
function counterLength(counter: number): number {
  let n = 1
  while (n < MAX_COUNTER_BYTES && counter >= 2 ** (8 * n)) n++
  return n
}

function checkCounter(counter: number): void {
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_COUNTER)
    throw new RangeError(`frame counter must be an integer in 0..${MAX_COUNTER}`)
}

/** The header of a frame sealed with `counter`. */
export function encodeHeader(counter: number, keyId = KEY_ID): Uint8Array {
  checkCounter(counter)
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 7) throw new RangeError('key id must be 0..7')
  const len = counterLength(counter)
  const out = new Uint8Array(1 + len)
  out[0] = (keyId << 4) | (len - 1)
  let rest = counter
  for (let i = len; i >= 1; i--) {
    out[i] = rest % 256
    rest = Math.floor(rest / 256)
  }
  return out
}

/** Split a sealed frame into header, counter and ciphertext; throws FrameFormatError. */
export function parseFrame(frame: Uint8Array): ParsedFrame {
  if (frame.byteLength > MAX_SEALED_FRAME_BYTES) throw new FrameFormatError('frame too large')
  if (frame.byteLength < 2 + TAG_BYTES) throw new FrameFormatError('frame too short')
  const config = frame[0]!
  if ((config & 0x88) !== 0) throw new FrameFormatError('extended key id or counter length')
  const keyId = (config >> 4) & 0x07
  const len = (config & 0x07) + 1
  if (frame.byteLength < 1 + len + TAG_BYTES) throw new FrameFormatError('frame too short')
  let counter = 0
  for (let i = 1; i <= len; i++) counter = counter * 256 + frame[i]!
  if (counter > MAX_COUNTER) throw new FrameFormatError('counter out of range')
  // one encoding per counter: the shortest (a longer one would be a second header for one nonce)
  if (len !== counterLength(counter)) throw new FrameFormatError('counter not minimally encoded')
  return { keyId, counter, header: frame.subarray(0, 1 + len), sealed: frame.subarray(1 + len) }
}

/** The AES-GCM nonce of `counter`: the salt XOR the counter as 12 big-endian bytes. */
export function frameNonce(salt: Uint8Array, counter: number): Uint8Array {
  if (salt.byteLength !== NONCE_BYTES) throw new RangeError(`salt must be ${NONCE_BYTES} bytes`)
  checkCounter(counter)
  const nonce = Uint8Array.from(salt)
  let rest = counter
  for (let i = NONCE_BYTES - 1; i >= NONCE_BYTES - MAX_COUNTER_BYTES && rest > 0; i--) {
    nonce[i] = nonce[i]! ^ (rest % 256)
    rest = Math.floor(rest / 256)
  }
  return nonce
}

/** A key of calls.mediaKeys (64 hex characters) as bytes; throws RangeError otherwise. */
export function mediaKeyBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new RangeError('a media key is 64 hex characters')
  const out = new Uint8Array(KEY_BYTES)
  for (let i = 0; i < KEY_BYTES; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Decrypt failures in a row that end a call (failed-decrypt): 50 audio frames of 20 ms, one
 * second with no frame opening. A success resets the run; stray bad packets do not end a call.
 */
export const DECRYPT_FAILURES_TO_END = 50

/** Counts opened and failed frames on the receive side, and says when the call should end. */
export class DecryptCounter {
  opened = 0
  failed = 0
  #run = 0

  ok(): void {
    this.opened++
    this.#run = 0
  }

  /** A frame that did not open; true once the run reaches DECRYPT_FAILURES_TO_END. */
  fail(): boolean {
    this.failed++
    this.#run++
    return this.#run >= DECRYPT_FAILURES_TO_END
  }
}

/**
 * Received counters remembered, in frames: a frame older than the newest by this much, or seen
 * within it, is a replay and dropped (RFC 9605 §7.4). 128 frames is 2.5 s of 20 ms audio, far
 * beyond any jitter buffer's reordering.
 */
export const REPLAY_WINDOW_FRAMES = 128

/** The receive side's replay check: fresh() before opening a frame, seen() once it opened. */
export class ReplayWindow {
  readonly #slots = new Float64Array(REPLAY_WINDOW_FRAMES).fill(-1)
  #newest = -1

  /** Whether `counter` may be a new frame (not too old, not seen). */
  fresh(counter: number): boolean {
    if (counter > this.#newest) return true
    if (counter <= this.#newest - REPLAY_WINDOW_FRAMES) return false
    return this.#slots[counter % REPLAY_WINDOW_FRAMES] !== counter
  }

  /** Record an authenticated frame (only those: a forged counter must not move the window). */
  seen(counter: number): void {
    this.#slots[counter % REPLAY_WINDOW_FRAMES] = counter
    if (counter > this.#newest) this.#newest = counter
  }
}

/**
 * Seals and opens call media frames in the format of sframe.ts with WebCrypto (AES-256-GCM),
 * one cipher per direction. The SubtleCrypto is passed in: the page's call worker hands its own,
 * the CLI's call media (node/src/call-media) and the tests hand Node's (node:crypto webcrypto).
 */
import {
  encodeHeader,
  FrameFormatError,
  frameNonce,
  HKDF_KEY_INFO,
  HKDF_SALT_INFO,
  KEY_BYTES,
  KEY_ID,
  MAX_COUNTER,
  MAX_SEALED_FRAME_BYTES,
  mediaKeyBytes,
  NONCE_BYTES,
  parseFrame,
  ReplayWindow,
  TAG_BYTES,
} from './sframe.ts'

/** A frame that did not open: wrong key, tampered, or not in the format. */
export class FrameOpenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameOpenError'
  }
}

/** A frame whose counter was already opened, or is older than the replay window. */
export class FrameReplayError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameReplayError'
  }
}

/** The send counter reached MAX_COUNTER, or a frame is too large to seal. */
export class FrameSealError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameSealError'
  }
}

const utf8 = new TextEncoder()

async function hkdf(subtle: SubtleCrypto, ikm: Uint8Array, info: string, bytes: number): Promise<Uint8Array> {
  const base = await subtle.importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits'])
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(info) },
    base,
    bytes * 8,
  )
  return new Uint8Array(bits)
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}

export class FrameCipher {
  readonly #subtle: SubtleCrypto
  readonly #key: CryptoKey
  readonly #salt: Uint8Array
  readonly #replay = new ReplayWindow()
  #next: number

  private constructor(subtle: SubtleCrypto, key: CryptoKey, salt: Uint8Array, firstCounter: number) {
    this.#subtle = subtle
    this.#key = key
    this.#salt = salt
    this.#next = firstCounter
  }

  /**
   * A cipher for one direction's media key (64 hex characters, from calls.mediaKeys).
   * `firstCounter` is where sealing starts (random below COUNTER_START_SPACE; see sframe.ts).
   */
  static async create(subtle: SubtleCrypto, mediaKeyHex: string, firstCounter = 0): Promise<FrameCipher> {
    const ikm = mediaKeyBytes(mediaKeyHex)
    const raw = await hkdf(subtle, ikm, HKDF_KEY_INFO, KEY_BYTES)
    const salt = await hkdf(subtle, ikm, HKDF_SALT_INFO, NONCE_BYTES)
    const key = await subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, ['encrypt', 'decrypt'])
    return new FrameCipher(subtle, key, salt, firstCounter)
  }

  /** Seal one non-empty frame with the next counter. */
  async seal(plain: Uint8Array): Promise<Uint8Array> {
    if (plain.byteLength + TAG_BYTES + 1 + 8 > MAX_SEALED_FRAME_BYTES)
      throw new FrameSealError('frame too large to seal')
    if (this.#next > MAX_COUNTER) throw new FrameSealError('frame counter exhausted')
    const counter = this.#next++
    const header = encodeHeader(counter, KEY_ID)
    const sealed = await this.#subtle.encrypt(
      {
        name: 'AES-GCM',
        iv: frameNonce(this.#salt, counter) as BufferSource,
        additionalData: header as BufferSource,
        tagLength: TAG_BYTES * 8,
      },
      this.#key,
      plain as BufferSource,
    )
    return concat(header, new Uint8Array(sealed))
  }

  /**
   * Open one sealed frame; throws FrameOpenError when it does not open, FrameReplayError when
   * its counter was opened before (or is older than the replay window).
   */
  async open(frame: Uint8Array): Promise<Uint8Array> {
    let parsed: ReturnType<typeof parseFrame>
    try {
      parsed = parseFrame(frame)
    } catch (error) {
      if (error instanceof FrameFormatError) throw new FrameOpenError(error.message)
      throw error
    }
    if (parsed.keyId !== KEY_ID) throw new FrameOpenError('unknown key id')
    if (!this.#replay.fresh(parsed.counter)) throw new FrameReplayError('frame replayed or too old')
    let plain: ArrayBuffer
    try {
      plain = await this.#subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: frameNonce(this.#salt, parsed.counter) as BufferSource,
          additionalData: parsed.header as BufferSource,
          tagLength: TAG_BYTES * 8,
        },
        this.#key,
        parsed.sealed as BufferSource,
      )
    } catch {
      throw new FrameOpenError('frame did not authenticate')
    }
    this.#replay.seen(parsed.counter)
    return new Uint8Array(plain)
  }
}

/**
 * The sealed channel of /wren/link/1.0.0 (issue 18): after the primary's plaintext hello, every
 * frame is AES-256-GCM under the direction's key from core/src/link-handshake.ts, with the frame
 * counter as nonce (each key seals at most one stream, so a counter never repeats), length-
 * prefixed and capped. A frame's plaintext is JSON: the backup's frames (identity, records, end:
 * node/src/backup/backup.ts) plus the link's own control frames below.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { z } from 'zod'
import { AES_GCM_NONCE_BYTES, type CryptoSuite } from '../../../core/src/crypto/suite.ts'
import { endFrame, identityFrame, recordsFrame } from '../backup/backup.ts'
import { MAX_FRAME_PLAINTEXT_BYTES } from '../backup/backup-file.ts'
import { decodeJson, encodeJson } from '../storage/json-codec.ts'
import { LinkProtocolError } from './errors.ts'

export const LINK_PROTOCOL = '/wren/link/1.0.0'
/** AES-GCM tag length in bytes. */
const TAG_BYTES = 16
/** Largest frame on the stream in bytes: a backup frame (1 MiB of records) sealed, with slack. */
export const MAX_LINK_FRAME_BYTES = MAX_FRAME_PLAINTEXT_BYTES + 64 * 1024
/** How long the primary's hello may take to arrive after the dial, in ms. */
export const LINK_HELLO_TIMEOUT_MS = 30_000
/** How long both users have to compare and confirm the numbers, in ms (then the link aborts). */
export const LINK_CONFIRM_TIMEOUT_MS = 5 * 60_000
/** Bound on one frame's read or write once the transfer runs, in ms (a stalled peer is dropped). */
export const LINK_FRAME_TIMEOUT_MS = 60_000

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes')
/** new → primary: the hello opened (proves the code's one-time key); then the user confirmed. */
const acceptedFrame = z.strictObject({ kind: z.literal('accepted') })
const confirmedFrame = z.strictObject({ kind: z.literal('confirmed') })
/** primary → new, before the end frame: the device list with the new device on it. */
const listFrame = z.strictObject({
  kind: z.literal('list'),
  list: bytes.refine((b) => b.length <= 64 * 1024),
})
/** new → primary: everything written; the primary publishes the list. */
const doneFrame = z.strictObject({ kind: z.literal('done') })
const linkFrame = z.discriminatedUnion('kind', [
  identityFrame,
  recordsFrame,
  endFrame,
  acceptedFrame,
  confirmedFrame,
  listFrame,
  doneFrame,
])
export type LinkFrame = z.infer<typeof linkFrame>

export function parseLinkFrame(plaintext: Uint8Array): LinkFrame {
  try {
    return linkFrame.parse(decodeJson(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)))
  } catch (cause) {
    throw new LinkProtocolError('malformed link frame', { cause })
  }
}

function counterNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(AES_GCM_NONCE_BYTES)
  new DataView(nonce.buffer).setBigUint64(AES_GCM_NONCE_BYTES - 8, BigInt(counter))
  return nonce
}

/** One direction's keys and counters over an open stream. */
export class LinkChannel {
  readonly #lp: ReturnType<typeof lpStream>
  readonly #suite: CryptoSuite
  #sendKey: Uint8Array | null = null
  #receiveKey: Uint8Array | null = null
  #sent = 0
  #received = 0
  bytesSent = 0
  bytesReceived = 0

  constructor(suite: CryptoSuite, stream: Stream) {
    this.#suite = suite
    this.#lp = lpStream(stream, { maxDataLength: MAX_LINK_FRAME_BYTES })
  }

  /** The plaintext hello, before the keys exist. */
  async readPlain(timeoutMs: number): Promise<Uint8Array> {
    return new Uint8Array((await this.#lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray())
  }

  async writePlain(data: Uint8Array): Promise<void> {
    await this.#lp.write(data, { signal: AbortSignal.timeout(LINK_FRAME_TIMEOUT_MS) })
  }

  setKeys(send: Uint8Array, receive: Uint8Array): void {
    this.#sendKey = send
    this.#receiveKey = receive
  }

  async send(frame: LinkFrame): Promise<void> {
    if (this.#sendKey === null) throw new LinkProtocolError('the link has no keys yet')
    const plaintext = new TextEncoder().encode(encodeJson(frame))
    const sealed = this.#suite.aesGcmEncrypt(
      this.#sendKey,
      counterNonce(this.#sent++),
      plaintext,
      new Uint8Array(0),
    )
    this.bytesSent += sealed.length
    await this.#lp.write(sealed, { signal: AbortSignal.timeout(LINK_FRAME_TIMEOUT_MS) })
  }

  async receive(timeoutMs = LINK_FRAME_TIMEOUT_MS): Promise<LinkFrame> {
    if (this.#receiveKey === null) throw new LinkProtocolError('the link has no keys yet')
    const sealed = new Uint8Array(
      (await this.#lp.read({ signal: AbortSignal.timeout(timeoutMs) })).subarray(),
    )
    if (sealed.length < TAG_BYTES) throw new LinkProtocolError('link frame too short')
    let plaintext: Uint8Array
    try {
      plaintext = this.#suite.aesGcmDecrypt(
        this.#receiveKey,
        counterNonce(this.#received++),
        sealed,
        new Uint8Array(0),
      )
    } catch (cause) {
      throw new LinkProtocolError('a link frame does not authenticate', { cause })
    }
    this.bytesReceived += sealed.length
    return parseLinkFrame(plaintext)
  }

  /** Receive a frame of one kind; anything else is a protocol fault. */
  async expect<K extends LinkFrame['kind']>(
    kind: K,
    timeoutMs?: number,
  ): Promise<Extract<LinkFrame, { kind: K }>> {
    const frame = await this.receive(timeoutMs)
    if (frame.kind !== kind) throw new LinkProtocolError(`expected a ${kind} frame, got ${frame.kind}`)
    return frame as Extract<LinkFrame, { kind: K }>
  }
}

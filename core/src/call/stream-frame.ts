/**
 * Frames of /wren/call/1.0.0: the signals of an accepted call (SDP, ICE, hang-up) sealed for the
 * bound device of the other side, outside the Double Ratchet. The pairwise session carries a
 * call's first signals (invite, ringing, accept): it reaches an offline callee's mailboxes, and
 * its order per contact is what rings a call. Once both sides hold the call's signalling keys
 * (media-keys.ts deriveSignalKeys, from the call's own X25519 exchange), the rest needs neither
 * the outbox's persistence nor the mailboxes: a late ICE candidate or hang-up is worth nothing
 * once the call is over, so it goes on a stream over the open connection, sealed:
 *
 *   frame      = CallStreamFrame { version, call id, counter, ciphertext }
 *   ciphertext = AES-256-GCM(key   = signalling key of the direction,
 *                            nonce = 0x00000000 ‖ counter (64-bit big-endian),
 *                            aad   = SIGNAL_KEY_INFO ‖ version ‖ call id,
 *                            plaintext = CallSignal (signal.ts))
 *
 * The key is per call and per direction and the counter strictly increases per key (the sender
 * takes a new one for every frame, a frame sent again included), so a nonce is never reused. The
 * receiver refuses a counter not above the last one it accepted on that call: the sender sends a
 * call's frames one at a time and waits for each answer, so frames never legitimately overtake
 * one another, and a replayed or reordered frame is refused (a window would only let replays in).
 * The signal inside must name the frame's call and be of a kind streams carry (STREAM_SIGNALS).
 *
 * The receiver answers every frame it parsed with a CallStreamReply status (constants.ts):
 * delivered, gone (no such call here) or not ready (the sender falls back to the session).
 */
import { bytesEqual, concatBytes, u64be, utf8 } from '../bytes.ts'
import { checkDecodedLength, checkDecodedUint, checkKey, decodeCapped } from '../checks.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../errors.ts'
import { CallStreamFrame, CallStreamReply } from '../proto/call.ts'
import {
  CALL_ID_BYTES,
  CALL_STREAM_NONCE_BYTES,
  CALL_STREAM_TAG_BYTES,
  CALL_STREAM_WIRE_VERSION,
  MAX_CALL_SIGNAL_BYTES,
  MAX_CALL_STREAM_FRAME_BYTES,
  MAX_CALL_STREAM_REPLY_BYTES,
  SIGNAL_KEY_BYTES,
  SIGNAL_KEY_INFO,
  STREAM_SIGNALS,
  STREAM_STATUSES,
} from './constants.ts'
import { type CallSignal, decodeCallSignal, encodeCallSignal } from './signal.ts'

/** A frame parsed at the edge, not yet opened (the receiver picks the call's key by its id). */
export interface CallFrame {
  readonly callId: Uint8Array
  /** 1 and up, strictly increasing per call and direction. */
  readonly counter: number
  readonly ciphertext: Uint8Array
}

/** The nonce of frame `counter`: four zero bytes, then the counter as 64-bit big-endian. */
function nonceOf(counter: number): Uint8Array {
  return concatBytes(new Uint8Array(CALL_STREAM_NONCE_BYTES - 8), u64be(counter))
}

function aadOf(callId: Uint8Array): Uint8Array {
  return concatBytes(utf8(SIGNAL_KEY_INFO), Uint8Array.of(CALL_STREAM_WIRE_VERSION), callId)
}

/**
 * Seal `signal` as frame `counter` under the signalling key of our direction. InvalidKeyError for
 * a wrong key length, a counter below 1 or a kind that streams do not carry.
 */
export function sealCallFrame(
  suite: CryptoSuite,
  key: Uint8Array,
  counter: number,
  signal: CallSignal,
): Uint8Array {
  checkKey('signalling key', key, SIGNAL_KEY_BYTES)
  if (!Number.isSafeInteger(counter) || counter < 1)
    throw new InvalidKeyError('counter must be a positive integer')
  if (!STREAM_SIGNALS.has(signal.kind))
    throw new InvalidKeyError(`call signal kind ${signal.kind} does not go on a call stream`)
  const plaintext = encodeCallSignal(signal)
  const ciphertext = suite.aesGcmEncrypt(key, nonceOf(counter), plaintext, aadOf(signal.callId))
  return CallStreamFrame.encode({
    version: CALL_STREAM_WIRE_VERSION,
    callId: new Uint8Array(signal.callId),
    counter,
    ciphertext: new Uint8Array(ciphertext),
  })
}

/**
 * The edge parser of a frame from a peer: size cap first, protons errors become DecodeError, the
 * version must be ours, the call id 16 bytes, the counter 1 or more, the ciphertext at least a
 * tag and at most a sealed MAX_CALL_SIGNAL_BYTES signal.
 */
export function decodeCallFrame(bytes: Uint8Array): CallFrame {
  const frame = decodeCapped('call stream frame', bytes, MAX_CALL_STREAM_FRAME_BYTES, (b) =>
    CallStreamFrame.decode(b),
  )
  if (frame.version !== CALL_STREAM_WIRE_VERSION)
    throw new UnsupportedVersionError(`call stream frame version ${frame.version}`)
  checkDecodedLength('call id', frame.callId, CALL_ID_BYTES)
  checkDecodedUint('counter', frame.counter)
  if (frame.counter < 1) throw new DecodeError('call stream counter 0')
  const { length } = frame.ciphertext
  if (length < CALL_STREAM_TAG_BYTES || length > MAX_CALL_SIGNAL_BYTES + CALL_STREAM_TAG_BYTES)
    throw new DecodeError(`call stream ciphertext of ${length} bytes`)
  return {
    callId: new Uint8Array(frame.callId),
    counter: frame.counter,
    ciphertext: new Uint8Array(frame.ciphertext),
  }
}

/**
 * Open a parsed frame under the signalling key of the peer's direction: AeadError when it does
 * not open (wrong key, tampered), DecodeError when the signal inside is malformed, names another
 * call or is of a kind streams do not carry. Replays are the caller's check (it keeps the last
 * counter per call).
 */
export function openCallFrame(suite: CryptoSuite, key: Uint8Array, frame: CallFrame): CallSignal {
  checkKey('signalling key', key, SIGNAL_KEY_BYTES)
  const plaintext = suite.aesGcmDecrypt(key, nonceOf(frame.counter), frame.ciphertext, aadOf(frame.callId))
  const signal = decodeCallSignal(plaintext)
  if (!bytesEqual(signal.callId, frame.callId)) throw new DecodeError('call stream signal names another call')
  if (!STREAM_SIGNALS.has(signal.kind))
    throw new DecodeError(`call signal kind ${signal.kind} does not go on a call stream`)
  return signal
}

/** The receiver's answer: one of STREAM_STATUSES. */
export function encodeCallReply(status: number): Uint8Array {
  if (!STREAM_STATUSES.has(status)) throw new InvalidKeyError(`unknown call stream status ${status}`)
  return CallStreamReply.encode({ version: CALL_STREAM_WIRE_VERSION, status })
}

/** Parse a receiver's answer (edge parser, capped): DecodeError / UnsupportedVersionError. */
export function decodeCallReply(bytes: Uint8Array): number {
  const reply = decodeCapped('call stream reply', bytes, MAX_CALL_STREAM_REPLY_BYTES, (b) =>
    CallStreamReply.decode(b),
  )
  if (reply.version !== CALL_STREAM_WIRE_VERSION)
    throw new UnsupportedVersionError(`call stream reply version ${reply.version}`)
  if (!STREAM_STATUSES.has(reply.status)) throw new DecodeError(`unknown call stream status ${reply.status}`)
  return reply.status
}

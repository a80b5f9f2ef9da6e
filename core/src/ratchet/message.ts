/**
 * The ratchet wire message (RatchetMessage protobuf) and the AEAD associated data built from it.
 * The AAD uses a fixed layout of the header fields, not the received protobuf bytes, so any
 * encoding of the same header authenticates the same way and any changed field fails the AEAD.
 */
import { AES_GCM_TAG_BYTES, X25519_KEY_BYTES } from '../crypto/suite.ts'
import { DecodeError, UnsupportedVersionError } from '../errors.ts'
import { RatchetMessage } from '../proto/ratchet.ts'
import { MAX_RATCHET_MESSAGE_BYTES, RATCHET_MESSAGE_VERSION } from './constants.ts'

export interface RatchetHeader {
  /** The sender's current ratchet public key (X25519, 32 bytes). */
  readonly ratchetKey: Uint8Array
  /** pn: length of the sender's previous sending chain. */
  readonly previousCounter: number
  /** n: message number in the current sending chain. */
  readonly counter: number
}

export interface DecodedRatchetMessage extends RatchetHeader {
  readonly version: number
  /** AES-256-GCM ciphertext ‖ tag. */
  readonly ciphertext: Uint8Array
}

/** Fixed header layout inside the AAD: u32 version ‖ ratchet key ‖ u32 pn ‖ u32 n (big-endian). */
const HEADER_AAD_BYTES = 4 + X25519_KEY_BYTES + 4 + 4

export function encodeRatchetMessage(header: RatchetHeader, ciphertext: Uint8Array): Uint8Array {
  return RatchetMessage.encode({
    version: RATCHET_MESSAGE_VERSION,
    ratchetKey: header.ratchetKey as Uint8Array<ArrayBuffer>,
    counter: header.counter,
    previousCounter: header.previousCounter,
    ciphertext: ciphertext as Uint8Array<ArrayBuffer>,
  })
}

/**
 * Parse untrusted bytes: size cap first, protobuf errors → DecodeError, unknown version →
 * UnsupportedVersionError, wrong field lengths → DecodeError. Fields are views into `bytes`.
 */
export function decodeRatchetMessage(bytes: Uint8Array): DecodedRatchetMessage {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('ratchet message must be a Uint8Array')
  if (bytes.length > MAX_RATCHET_MESSAGE_BYTES)
    throw new DecodeError(`ratchet message of ${bytes.length} bytes exceeds ${MAX_RATCHET_MESSAGE_BYTES}`)
  let decoded: RatchetMessage
  try {
    decoded = RatchetMessage.decode(bytes)
  } catch (cause) {
    throw new DecodeError('malformed ratchet message', { cause })
  }
  if (decoded.version !== RATCHET_MESSAGE_VERSION)
    throw new UnsupportedVersionError(`ratchet message version ${decoded.version}`)
  if (decoded.ratchetKey.length !== X25519_KEY_BYTES)
    throw new DecodeError(`ratchet key must be ${X25519_KEY_BYTES} bytes, got ${decoded.ratchetKey.length}`)
  if (decoded.ciphertext.length < AES_GCM_TAG_BYTES)
    throw new DecodeError('ratchet ciphertext shorter than its tag')
  return decoded
}

/** AEAD associated data: session associated data ‖ fixed-layout header. */
export function headerAssociatedData(associatedData: Uint8Array, header: RatchetHeader): Uint8Array {
  const out = new Uint8Array(associatedData.length + HEADER_AAD_BYTES)
  out.set(associatedData, 0)
  const view = new DataView(out.buffer, associatedData.length)
  view.setUint32(0, RATCHET_MESSAGE_VERSION)
  out.set(header.ratchetKey, associatedData.length + 4)
  view.setUint32(4 + X25519_KEY_BYTES, header.previousCounter)
  view.setUint32(8 + X25519_KEY_BYTES, header.counter)
  return out
}

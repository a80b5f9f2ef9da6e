/**
 * Ephemeral frames: a typing (in a direct chat or a group) or presence signal sealed for one contact, outside the Double
 * Ratchet on purpose. A frame that is dropped (no live connection, a flood refused, a stream
 * reset) must not leave the pairwise session behind: a ratchet message that never arrives costs
 * the receiver a skipped key (bounded, and a flood of them would exhaust the bound), and the
 * ratchet's order is the order of real messages. So each direction has its own static key:
 *
 *   key(A → B) = HKDF-SHA256(ikm  = X25519(A's identity secret, B's identity public) (as X25519),
 *                            salt = 32 zero bytes,
 *                            info = EPHEMERAL_KEY_INFO ‖ A's identity key ‖ B's identity key, 32)
 *
 * and each frame is AES-256-GCM with a random nonce and associated data info ‖ the frame's
 * version. Only A and B can compute the key (A and B's pinned identity keys), so a relay or any
 * other peer can neither read a signal nor forge one; replays are refused by the strictly
 * increasing counter inside (the receiver keeps the last one per contact). No forward secrecy
 * for these one-bit signals: a stolen identity key reveals past typing of captured traffic
 * (which libp2p's Noise already hides from the network), never a message.
 */
import { concatBytes, utf8 } from '../bytes.ts'
import { checkDecodedLength, checkDecodedUint, checkKey, decodeCapped } from '../checks.ts'
import { AES_GCM_KEY_BYTES, type CryptoSuite, ED25519_PUBLIC_KEY_BYTES } from '../crypto/suite.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../errors.ts'
import { EphemeralFrame, EphemeralSignal as EphemeralSignalProto } from '../proto/ephemeral.ts'
import {
  EPHEMERAL_GROUP_ID_BYTES,
  EPHEMERAL_GROUP_TYPING,
  EPHEMERAL_KEY_INFO,
  EPHEMERAL_KINDS,
  EPHEMERAL_NONCE_BYTES,
  EPHEMERAL_WIRE_VERSION,
  MAX_EPHEMERAL_FRAME_BYTES,
  MAX_EPHEMERAL_SIGNAL_BYTES,
} from './constants.ts'

export interface EphemeralSignal {
  readonly kind: number
  /** Strictly increasing per sender. */
  readonly counter: number
  readonly on: boolean
  /** GROUP_TYPING: the group's 16-byte id (required); absent for every other kind. */
  readonly group?: Uint8Array
}

/**
 * The key of the direction `sender` → `recipient` (Ed25519 identity keys), computed by either
 * side from its own identity seed and the other's public key (X25519 is symmetric; the info
 * names the direction, so the two directions have different keys).
 */
export function ephemeralKey(
  suite: CryptoSuite,
  ownSeed: Uint8Array,
  direction: { readonly sender: Uint8Array; readonly recipient: Uint8Array },
  otherIdentityKey: Uint8Array,
): Uint8Array {
  checkKey('sender identity key', direction.sender, ED25519_PUBLIC_KEY_BYTES)
  checkKey('recipient identity key', direction.recipient, ED25519_PUBLIC_KEY_BYTES)
  checkKey('other identity key', otherIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  const shared = suite.x25519(
    suite.ed25519SeedToX25519(ownSeed),
    suite.ed25519PublicToX25519(otherIdentityKey),
  )
  return suite.hkdf(
    shared,
    new Uint8Array(32),
    info(direction.sender, direction.recipient),
    AES_GCM_KEY_BYTES,
  )
}

function info(sender: Uint8Array, recipient: Uint8Array): Uint8Array {
  return concatBytes(utf8(EPHEMERAL_KEY_INFO), sender, recipient)
}

function aad(): Uint8Array {
  return concatBytes(utf8(EPHEMERAL_KEY_INFO), Uint8Array.of(EPHEMERAL_WIRE_VERSION))
}

export function sealEphemeral(suite: CryptoSuite, key: Uint8Array, signal: EphemeralSignal): Uint8Array {
  checkKey('ephemeral key', key, AES_GCM_KEY_BYTES)
  if (!EPHEMERAL_KINDS.has(signal.kind)) throw new InvalidKeyError(`unknown ephemeral kind ${signal.kind}`)
  if (!Number.isSafeInteger(signal.counter) || signal.counter < 0)
    throw new InvalidKeyError('counter must be a non-negative integer')
  const group = signal.group ?? new Uint8Array(0)
  if (signal.kind === EPHEMERAL_GROUP_TYPING) checkKey('group id', group, EPHEMERAL_GROUP_ID_BYTES)
  else if (group.length !== 0) throw new InvalidKeyError('only a group signal names a group')
  const plaintext = EphemeralSignalProto.encode({
    version: EPHEMERAL_WIRE_VERSION,
    kind: signal.kind,
    counter: signal.counter,
    on: signal.on,
    group: new Uint8Array(group),
  })
  const nonce = suite.randomBytes(EPHEMERAL_NONCE_BYTES)
  const ciphertext = suite.aesGcmEncrypt(key, nonce, plaintext, aad())
  return EphemeralFrame.encode({
    version: EPHEMERAL_WIRE_VERSION,
    nonce: new Uint8Array(nonce),
    ciphertext: new Uint8Array(ciphertext),
  })
}

/**
 * The edge parser of a frame from a contact: size cap, version, nonce length, AEAD open under
 * the contact's key (AeadError when it does not open), then the signal's own checks.
 */
export function openEphemeral(suite: CryptoSuite, key: Uint8Array, bytes: Uint8Array): EphemeralSignal {
  const frame = decodeCapped('ephemeral frame', bytes, MAX_EPHEMERAL_FRAME_BYTES, (b) =>
    EphemeralFrame.decode(b),
  )
  if (frame.version !== EPHEMERAL_WIRE_VERSION)
    throw new UnsupportedVersionError(`ephemeral frame version ${frame.version}`)
  checkDecodedLength('nonce', frame.nonce, EPHEMERAL_NONCE_BYTES)
  const plaintext = suite.aesGcmDecrypt(
    key,
    new Uint8Array(frame.nonce),
    new Uint8Array(frame.ciphertext),
    aad(),
  )
  const signal = decodeCapped('ephemeral signal', plaintext, MAX_EPHEMERAL_SIGNAL_BYTES, (b) =>
    EphemeralSignalProto.decode(b),
  )
  if (signal.version !== EPHEMERAL_WIRE_VERSION)
    throw new UnsupportedVersionError(`ephemeral signal version ${signal.version}`)
  if (!EPHEMERAL_KINDS.has(signal.kind)) throw new DecodeError(`unknown ephemeral kind ${signal.kind}`)
  checkDecodedUint('counter', signal.counter)
  if (signal.kind !== EPHEMERAL_GROUP_TYPING) {
    if (signal.group.length !== 0) throw new DecodeError('a group id on a signal of no group')
    return { kind: signal.kind, counter: signal.counter, on: signal.on }
  }
  checkDecodedLength('group id', signal.group, EPHEMERAL_GROUP_ID_BYTES)
  return { kind: signal.kind, counter: signal.counter, on: signal.on, group: new Uint8Array(signal.group) }
}

/**
 * The media key schedule of a call (issue 15, "Media keys independent of DTLS"): each side sends
 * a fresh X25519 public key in the signalling (INVITE from the caller, ACCEPT from the callee);
 * both compute the shared secret and derive one 32-byte key per direction:
 *
 *   key(d) = HKDF-SHA256(ikm  = X25519(own secret, peer public),
 *                        salt = call id,
 *                        info = MEDIA_KEY_INFO ‖ d ‖ caller identity key ‖ callee identity key
 *                               ‖ caller media key ‖ callee media key, 32)
 *
 * with d = 0x01 for caller → callee and 0x02 for callee → caller. The caller sends with key(1)
 * and receives with key(2); the callee the other way round. The identity keys bind the keys to
 * the two Wren identities the signalling was authenticated with, the media keys to this exchange
 * and the call id to this call, so a replayed key from another call or between other people
 * yields different keys. The media owner applies them per frame (SFrame-style AES-GCM).
 *
 * The same exchange gives the call's signalling keys (deriveSignalKeys): the same HKDF with the
 * info prefix SIGNAL_KEY_INFO instead of MEDIA_KEY_INFO, one per direction again. They seal the
 * signals of the accepted call on /wren/call/1.0.0 (stream-frame.ts); the media keys go to the
 * media owner (the page), the signalling keys never leave the daemon, so neither side of that
 * split can forge the other's traffic.
 */

import { concatBytes, utf8 } from '../bytes.ts'
import { checkKey } from '../checks.ts'
import {
  type CryptoSuite,
  ED25519_PUBLIC_KEY_BYTES,
  type KeyPair,
  X25519_KEY_BYTES,
} from '../crypto/suite.ts'
import {
  CALL_ID_BYTES,
  DIRECTION_CALLEE_TO_CALLER,
  DIRECTION_CALLER_TO_CALLEE,
  MEDIA_KEY_BYTES,
  MEDIA_KEY_INFO,
  SIGNAL_KEY_BYTES,
  SIGNAL_KEY_INFO,
} from './constants.ts'

export type CallRole = 'caller' | 'callee'

export interface MediaKeyInput {
  /** Which side of the call we are. */
  readonly role: CallRole
  readonly callId: Uint8Array
  /** Our per-call ephemeral X25519 key pair. */
  readonly own: KeyPair
  /** The other side's per-call X25519 public key, from its INVITE or ACCEPT. */
  readonly peerMediaKey: Uint8Array
  /** Ed25519 identity keys of the caller and the callee (pinned contact key for the other side). */
  readonly callerIdentityKey: Uint8Array
  readonly calleeIdentityKey: Uint8Array
}

export interface MediaKeys {
  /** Encrypts the frames we send. */
  readonly sendKey: Uint8Array
  /** Decrypts the frames we receive. */
  readonly receiveKey: Uint8Array
}

/** A fresh per-call ephemeral X25519 key pair (never stored; dropped when the call ends). */
export function newCallKeyPair(suite: CryptoSuite): KeyPair {
  return suite.x25519Generate()
}

/** The two media keys of one side of a call. CryptoError for a low-order peer key. */
export function deriveMediaKeys(suite: CryptoSuite, input: MediaKeyInput): MediaKeys {
  return directionKeys(suite, input, MEDIA_KEY_INFO, MEDIA_KEY_BYTES)
}

/**
 * The two signalling keys of one side of a call (AES-256-GCM keys for stream-frame.ts), from the
 * same exchange as its media keys under another label. CryptoError for a low-order peer key.
 */
export function deriveSignalKeys(suite: CryptoSuite, input: MediaKeyInput): MediaKeys {
  return directionKeys(suite, input, SIGNAL_KEY_INFO, SIGNAL_KEY_BYTES)
}

/** One key per direction: HKDF over the exchange's shared secret with `label` (see the top). */
function directionKeys(suite: CryptoSuite, input: MediaKeyInput, label: string, bytes: number): MediaKeys {
  checkKey('call id', input.callId, CALL_ID_BYTES)
  checkKey('own media secret key', input.own.secretKey, X25519_KEY_BYTES)
  checkKey('own media public key', input.own.publicKey, X25519_KEY_BYTES)
  checkKey('peer media key', input.peerMediaKey, X25519_KEY_BYTES)
  checkKey('caller identity key', input.callerIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  checkKey('callee identity key', input.calleeIdentityKey, ED25519_PUBLIC_KEY_BYTES)
  const shared = suite.x25519(input.own.secretKey, input.peerMediaKey)
  const [callerMediaKey, calleeMediaKey] =
    input.role === 'caller'
      ? [input.own.publicKey, input.peerMediaKey]
      : [input.peerMediaKey, input.own.publicKey]
  const key = (direction: number) =>
    suite.hkdf(
      shared,
      input.callId,
      concatBytes(
        utf8(label),
        Uint8Array.of(direction),
        input.callerIdentityKey,
        input.calleeIdentityKey,
        callerMediaKey,
        calleeMediaKey,
      ),
      bytes,
    )
  const callerToCallee = key(DIRECTION_CALLER_TO_CALLEE)
  const calleeToCaller = key(DIRECTION_CALLEE_TO_CALLER)
  shared.fill(0)
  return input.role === 'caller'
    ? { sendKey: callerToCallee, receiveKey: calleeToCaller }
    : { sendKey: calleeToCaller, receiveKey: callerToCallee }
}

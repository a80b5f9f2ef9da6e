/**
 * What the room derives from CPace's ISK, and its explicit key confirmation.
 *
 *   k_confirm_i = HKDF-SHA256(ISK, salt = sid, info = ROOM_KDF_INFO ‖ "/confirm-initiator", 32)
 *   k_confirm_r = HKDF-SHA256(ISK, salt = sid, info = ROOM_KDF_INFO ‖ "/confirm-responder", 32)
 *   root        = HKDF-SHA256(ISK, salt = sid, info = ROOM_KDF_INFO ‖ "/ratchet-root", 32)
 *   mac_r = HMAC-SHA256(k_confirm_r, "responder" ‖ transcript)   (in REPLY)
 *   mac_i = HMAC-SHA256(k_confirm_i, "initiator" ‖ transcript)   (in CONFIRM)
 *   ratchet associated data = SHA-256(ROOM_KDF_INFO ‖ sid ‖ transcript)
 *
 * ISK already depends on the transcript; the MACs make a mismatch (a wrong code, a rewritten
 * share) fail at a named step with a clear message instead of as garbage in the first message.
 * `root` seeds the Double Ratchet; the confirmation keys never touch a message.
 */
import { bytesEqual, concatBytes, utf8, wipe } from '../bytes.ts'
import type { CryptoSuite } from '../crypto/suite.ts'
import { ROOM_KDF_INFO } from './constants.ts'

export interface RoomKeys {
  readonly confirmInitiator: Uint8Array
  readonly confirmResponder: Uint8Array
  readonly root: Uint8Array
  readonly associatedData: Uint8Array
}

export function deriveRoomKeys(
  suite: CryptoSuite,
  isk: Uint8Array,
  sid: Uint8Array,
  transcript: Uint8Array,
): RoomKeys {
  const derive = (label: string) => suite.hkdf(isk, sid, utf8(`${ROOM_KDF_INFO}/${label}`), 32)
  return {
    confirmInitiator: derive('confirm-initiator'),
    confirmResponder: derive('confirm-responder'),
    root: derive('ratchet-root'),
    associatedData: suite.sha256(concatBytes(utf8(ROOM_KDF_INFO), sid, transcript)),
  }
}

export function confirmationMac(
  suite: CryptoSuite,
  keys: RoomKeys,
  role: 'initiator' | 'responder',
  transcript: Uint8Array,
): Uint8Array {
  const key = role === 'initiator' ? keys.confirmInitiator : keys.confirmResponder
  return suite.hmacSha256(key, concatBytes(utf8(role), transcript))
}

/** Constant-time in the MAC bytes (bytesEqual compares every byte). */
export function macMatches(expected: Uint8Array, received: Uint8Array): boolean {
  return bytesEqual(expected, received)
}

export function wipeRoomKeys(keys: RoomKeys | null): void {
  if (keys === null) return
  wipe(keys.confirmInitiator, keys.confirmResponder, keys.root, keys.associatedData)
}

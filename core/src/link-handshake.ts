/**
 * The link handshake (issue 18), pure: the keys of one linking between the primary device and a
 * new device, bound to the link code the new device showed.
 *
 *   shared     = X25519(primary one-time key, code's one-time key)         (RFC 7748 §6.1)
 *   transcript = SHA-256(label ‖ len‖code bytes ‖ len‖primary one-time public ‖ len‖primary PeerId)
 *   okm        = HKDF-SHA256(shared, salt = transcript, info = label, 68)   (RFC 5869)
 *   keys: primary→new (32 B), new→primary (32 B); confirmation number: 4 B → 6 digits
 *
 * The primary's PeerId is the one Noise authenticated on the connection, so a relay of the stream
 * through a third peer gives other keys. Someone who saw the code could run the handshake in the
 * primary's place: the two screens then show different numbers, which is why both users confirm
 * them (devices.confirm) before any secret moves.
 */
import { concatBytes, utf8 } from './bytes.ts'
import { checkKey, checkKeyRange } from './checks.ts'
import { AES_GCM_KEY_BYTES, type CryptoSuite, X25519_KEY_BYTES } from './crypto/suite.ts'

const LINK_LABEL = utf8('wren/link/v1')
/** Digits of the confirmation number: 10^6 makes a blind guess by a man in the middle 1 in a million. */
export const LINK_CONFIRM_DIGITS = 6
const CONFIRM_BYTES = 4

export interface LinkKeys {
  /** Seals what the primary sends (AES-256-GCM). */
  readonly primaryToNew: Uint8Array
  /** Seals what the new device sends. */
  readonly newToPrimary: Uint8Array
  /** The short number both screens show, zero-padded. */
  readonly confirmation: string
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length)
  new DataView(out.buffer).setUint32(0, bytes.length)
  out.set(bytes, 4)
  return out
}

export function linkTranscript(
  suite: CryptoSuite,
  codeBytes: Uint8Array,
  primaryEphemeral: Uint8Array,
  primaryPeerId: Uint8Array,
): Uint8Array {
  return suite.sha256(
    concatBytes(
      LINK_LABEL,
      lengthPrefixed(codeBytes),
      lengthPrefixed(primaryEphemeral),
      lengthPrefixed(primaryPeerId),
    ),
  )
}

/**
 * Both sides call this: the primary with its one-time secret and the code's public key, the new
 * device with the code's one-time secret and the primary's public key (from its hello).
 */
export function deriveLinkKeys(
  suite: CryptoSuite,
  input: {
    ownSecret: Uint8Array
    peerPublic: Uint8Array
    codeBytes: Uint8Array
    primaryEphemeral: Uint8Array
    primaryPeerId: Uint8Array
  },
): LinkKeys {
  checkKey('one-time secret', input.ownSecret, X25519_KEY_BYTES)
  checkKey('peer one-time key', input.peerPublic, X25519_KEY_BYTES)
  checkKey('primary one-time key', input.primaryEphemeral, X25519_KEY_BYTES)
  checkKeyRange('primary peer id', input.primaryPeerId, 1, 64)
  const shared = suite.x25519(input.ownSecret, input.peerPublic)
  const transcript = linkTranscript(suite, input.codeBytes, input.primaryEphemeral, input.primaryPeerId)
  const okm = suite.hkdf(shared, transcript, LINK_LABEL, 2 * AES_GCM_KEY_BYTES + CONFIRM_BYTES)
  shared.fill(0)
  const n = new DataView(okm.buffer, okm.byteOffset + 2 * AES_GCM_KEY_BYTES, CONFIRM_BYTES).getUint32(0)
  // 2^32 mod 10^6 leaves a bias under 10^-3 on the lowest numbers: harmless for a comparison by eye
  const confirmation = String(n % 10 ** LINK_CONFIRM_DIGITS).padStart(LINK_CONFIRM_DIGITS, '0')
  return {
    primaryToNew: okm.slice(0, AES_GCM_KEY_BYTES),
    newToPrimary: okm.slice(AES_GCM_KEY_BYTES, 2 * AES_GCM_KEY_BYTES),
    confirmation,
  }
}

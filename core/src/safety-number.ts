/**
 * Safety numbers: Signal's NumericFingerprint, byte for byte (libsignal `fingerprint.rs`,
 * displayable fingerprint with hash version 0), plus Signal's scannable (QR) fingerprint v1.
 *
 * Per party: key = 0x05 ‖ X25519 form of the Ed25519 identity key (Signal's DJB key encoding);
 *   H = SHA-512(0x0000 ‖ key ‖ id ‖ key), then FINGERPRINT_ITERATIONS − 1 more rounds
 *   H = SHA-512(H ‖ key) (the suite's sha512Iterate, both parties in one call). Digits: the first 30 bytes as six 5-byte big-endian numbers mod 100000,
 *   each zero-padded to 5. The 60-digit safety number puts the smaller 30-digit half first, so
 *   both parties see the same number.
 * QR payload: protobuf CombinedFingerprints { version = 1; local { content = H_local[0..32] };
 *   remote { content = H_remote[0..32] } }, laid out exactly as libsignal encodes it (74 bytes).
 */
import { bytesEqual } from './bytes.ts'
import { type CryptoSuite, X25519_KEY_BYTES } from './crypto/suite.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from './errors.ts'

/** Hash version prefixed to the first round (Signal's FINGERPRINT_VERSION, 2 bytes big-endian). */
export const FINGERPRINT_HASH_VERSION = 0
/** SHA-512 rounds per party: Signal's 5200, so our numbers equal Signal's. */
export const FINGERPRINT_ITERATIONS = 5200
/** Digits per party: six 5-digit chunks (Signal's displayable fingerprint). */
export const FINGERPRINT_DIGITS = 30
/** Scannable fingerprint version (libsignal's current CombinedFingerprints version). */
export const SCANNABLE_FINGERPRINT_VERSION = 1
/** Bytes of each party's hash carried in the QR payload (libsignal: 32). */
export const SCANNABLE_FINGERPRINT_BYTES = 32
/** Type byte of Signal's DJB (Curve25519) public key encoding. */
export const DJB_KEY_TYPE = 0x05
/** Encoded key length: type byte ‖ 32-byte X25519 public key. */
export const ENCODED_KEY_BYTES = 1 + X25519_KEY_BYTES
/**
 * Largest stable identifier in bytes: our ids are 16-byte user ids (Signal uses ACIs/E.164);
 * bounds the one variable-size input to the hash.
 */
export const MAX_FINGERPRINT_ID_BYTES = 256

const CHUNKS = 6
const CHUNK_BYTES = 5
const CHUNK_MODULUS = 100_000
const CHUNK_DIGITS = 5

/** One party of a safety number: its stable id (our 16-byte user id) and Ed25519 identity key. */
export interface SafetyNumberParty {
  readonly id: Uint8Array
  readonly identityKey: Uint8Array
}

/** Both forms of a safety number computed at once (the hashing dominates; do it once). */
export interface SafetyNumberFingerprint {
  /** 60 digits, the same for both parties. */
  readonly digits: string
  /** What our QR code shows (our hash first); the other party scans and checks it. */
  readonly qrPayload: Uint8Array
}

// QR payload layout (protobuf, fixed for 32-byte contents):
// 0x08 version | 0x12 0x22 (0x0a 0x20 local[32]) | 0x1a 0x22 (0x0a 0x20 remote[32])
const QR_VERSION_TAG = 0x08
const QR_LOCAL_TAG = 0x12
const QR_REMOTE_TAG = 0x1a
const QR_CONTENT_TAG = 0x0a
const QR_INNER_BYTES = 2 + SCANNABLE_FINGERPRINT_BYTES
/** Encoded QR payload length: version field plus two length-delimited 34-byte submessages. */
export const SAFETY_NUMBER_QR_BYTES = 2 + 2 * (2 + QR_INNER_BYTES)

function checkId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length > MAX_FINGERPRINT_ID_BYTES)
    throw new InvalidKeyError(
      `fingerprint id must be a Uint8Array of at most ${MAX_FINGERPRINT_ID_BYTES} bytes`,
    )
}

/** One party's hash input: its 0x05 ‖ X25519 key and its stable id. */
interface FingerprintInput {
  readonly encodedKey: Uint8Array
  readonly id: Uint8Array
}

/**
 * The iterated SHA-512 of each party (64 bytes each), all chains in one suite call so a suite
 * can hash the two parties side by side.
 */
function fingerprintHashes(suite: CryptoSuite, parties: readonly FingerprintInput[]): Uint8Array[] {
  const chains = parties.map(({ encodedKey, id }) => {
    if (
      !(encodedKey instanceof Uint8Array) ||
      encodedKey.length !== ENCODED_KEY_BYTES ||
      encodedKey[0] !== DJB_KEY_TYPE
    )
      throw new InvalidKeyError(`encoded key must be 0x05 followed by a 32-byte X25519 key`)
    checkId(id)
    const first = new Uint8Array(2 + ENCODED_KEY_BYTES + id.length + ENCODED_KEY_BYTES)
    first[0] = (FINGERPRINT_HASH_VERSION >>> 8) & 0xff
    first[1] = FINGERPRINT_HASH_VERSION & 0xff
    first.set(encodedKey, 2)
    first.set(id, 2 + ENCODED_KEY_BYTES)
    first.set(encodedKey, 2 + ENCODED_KEY_BYTES + id.length)
    return { first, suffix: encodedKey }
  })
  return suite.sha512Iterate(chains, FINGERPRINT_ITERATIONS)
}

/** The iterated SHA-512 of one party (64 bytes). */
function fingerprintHash(suite: CryptoSuite, encodedKey: Uint8Array, id: Uint8Array): Uint8Array {
  return fingerprintHashes(suite, [{ encodedKey, id }])[0] as Uint8Array
}

/** Both parties' hashes, local first. */
function partyHashes(suite: CryptoSuite, local: SafetyNumberParty, remote: SafetyNumberParty): Uint8Array[] {
  return fingerprintHashes(suite, [
    { encodedKey: encodeFingerprintKey(suite, local.identityKey), id: local.id },
    { encodedKey: encodeFingerprintKey(suite, remote.identityKey), id: remote.id },
  ])
}

function digitsOf(hash: Uint8Array): string {
  let out = ''
  for (let c = 0; c < CHUNKS; c++) {
    let value = 0
    // 5 bytes = 40 bits: exact in a double (< 2^53)
    for (let b = 0; b < CHUNK_BYTES; b++) value = value * 256 + (hash[c * CHUNK_BYTES + b] as number)
    out += String(value % CHUNK_MODULUS).padStart(CHUNK_DIGITS, '0')
  }
  return out
}

/** 0x05 ‖ X25519 form of an Ed25519 identity key (InvalidKeyError for a malformed key). */
export function encodeFingerprintKey(suite: CryptoSuite, identityKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENCODED_KEY_BYTES)
  out[0] = DJB_KEY_TYPE
  out.set(suite.ed25519PublicToX25519(identityKey), 1)
  return out
}

/** Signal's 30-digit half for one party, from its 33-byte encoded key (0x05 ‖ X25519). */
export function fingerprintDigits(suite: CryptoSuite, encodedKey33: Uint8Array, id: Uint8Array): string {
  return digitsOf(fingerprintHash(suite, encodedKey33, id))
}

/** The first 32 bytes of one party's hash: what Signal's QR code carries for that party. */
export function fingerprintScannableBytes(
  suite: CryptoSuite,
  encodedKey33: Uint8Array,
  id: Uint8Array,
): Uint8Array {
  return fingerprintHash(suite, encodedKey33, id).slice(0, SCANNABLE_FINGERPRINT_BYTES)
}

function combineDigits(a: string, b: string): string {
  return a <= b ? a + b : b + a
}

/** Encode a QR payload from the two parties' scannable bytes (≥ 32 bytes each; the first 32 are used). */
export function encodeSafetyNumberQr(local: Uint8Array, remote: Uint8Array): Uint8Array {
  if (local.length < SCANNABLE_FINGERPRINT_BYTES || remote.length < SCANNABLE_FINGERPRINT_BYTES)
    throw new InvalidKeyError(`scannable fingerprints must be at least ${SCANNABLE_FINGERPRINT_BYTES} bytes`)
  const out = new Uint8Array(SAFETY_NUMBER_QR_BYTES)
  out[0] = QR_VERSION_TAG
  out[1] = SCANNABLE_FINGERPRINT_VERSION
  let offset = 2
  for (const [tag, content] of [
    [QR_LOCAL_TAG, local],
    [QR_REMOTE_TAG, remote],
  ] as const) {
    out[offset] = tag
    out[offset + 1] = QR_INNER_BYTES
    out[offset + 2] = QR_CONTENT_TAG
    out[offset + 3] = SCANNABLE_FINGERPRINT_BYTES
    out.set(content.subarray(0, SCANNABLE_FINGERPRINT_BYTES), offset + 4)
    offset += 2 + QR_INNER_BYTES
  }
  return out
}

/** Digits and QR payload for `local` (us) and `remote`, hashing each party once. */
export function safetyNumberFingerprint(
  suite: CryptoSuite,
  local: SafetyNumberParty,
  remote: SafetyNumberParty,
): SafetyNumberFingerprint {
  const [localHash, remoteHash] = partyHashes(suite, local, remote) as [Uint8Array, Uint8Array]
  return {
    digits: combineDigits(digitsOf(localHash), digitsOf(remoteHash)),
    qrPayload: encodeSafetyNumberQr(localHash, remoteHash),
  }
}

/** The 60-digit safety number; symmetric: both parties get the same string. */
export function safetyNumber(
  suite: CryptoSuite,
  local: SafetyNumberParty,
  remote: SafetyNumberParty,
): string {
  const [localHash, remoteHash] = partyHashes(suite, local, remote) as [Uint8Array, Uint8Array]
  return combineDigits(digitsOf(localHash), digitsOf(remoteHash))
}

/** The bytes our QR code shows (Signal's scannable fingerprint v1 encoding). */
export function safetyNumberQrPayload(
  suite: CryptoSuite,
  local: SafetyNumberParty,
  remote: SafetyNumberParty,
): Uint8Array {
  return safetyNumberFingerprint(suite, local, remote).qrPayload
}

/** A scanned QR payload's fields. DecodeError when malformed, UnsupportedVersionError for another version. */
export function decodeSafetyNumberQr(bytes: Uint8Array): {
  version: number
  localFingerprint: Uint8Array
  remoteFingerprint: Uint8Array
} {
  if (bytes.length < 2 || bytes[0] !== QR_VERSION_TAG) throw new DecodeError('not a safety number QR payload')
  if (bytes[1] !== SCANNABLE_FINGERPRINT_VERSION)
    throw new UnsupportedVersionError(
      `safety number QR version ${bytes[1]} (expected ${SCANNABLE_FINGERPRINT_VERSION})`,
    )
  if (bytes.length !== SAFETY_NUMBER_QR_BYTES)
    throw new DecodeError('safety number QR payload has the wrong length')
  const contents: Uint8Array[] = []
  let offset = 2
  for (const tag of [QR_LOCAL_TAG, QR_REMOTE_TAG]) {
    if (
      bytes[offset] !== tag ||
      bytes[offset + 1] !== QR_INNER_BYTES ||
      bytes[offset + 2] !== QR_CONTENT_TAG ||
      bytes[offset + 3] !== SCANNABLE_FINGERPRINT_BYTES
    )
      throw new DecodeError('malformed safety number QR payload')
    contents.push(bytes.slice(offset + 4, offset + 4 + SCANNABLE_FINGERPRINT_BYTES))
    offset += 2 + QR_INNER_BYTES
  }
  return {
    version: SCANNABLE_FINGERPRINT_VERSION,
    localFingerprint: contents[0] as Uint8Array,
    remoteFingerprint: contents[1] as Uint8Array,
  }
}

/**
 * Does a payload scanned from the other party's screen match our own QR payload? Their
 * "local" is our "remote" and vice versa (constant-time comparison). Throws DecodeError or
 * UnsupportedVersionError when `scanned` is not a safety number QR payload of our version.
 */
export function compareSafetyNumberQr(ours: Uint8Array, scanned: Uint8Array): boolean {
  const mine = decodeSafetyNumberQr(ours)
  const theirs = decodeSafetyNumberQr(scanned)
  const a = bytesEqual(theirs.localFingerprint, mine.remoteFingerprint)
  const b = bytesEqual(theirs.remoteFingerprint, mine.localFingerprint)
  return a && b
}

/** Check a scanned payload against our safety number with `remote` (see compareSafetyNumberQr). */
export function verifySafetyNumberQr(
  suite: CryptoSuite,
  local: SafetyNumberParty,
  remote: SafetyNumberParty,
  scanned: Uint8Array,
): boolean {
  decodeSafetyNumberQr(scanned) // reject garbage before the 10,400 hash rounds
  return compareSafetyNumberQr(safetyNumberQrPayload(suite, local, remote), scanned)
}

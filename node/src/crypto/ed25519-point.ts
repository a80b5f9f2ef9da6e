/**
 * Ed25519 point checks node:crypto does not offer, in BigInt (cold paths only):
 * - the Edwards → Montgomery public key map u = (1 + y) / (1 − y) (RFC 7748 §4.1), decoding the
 *   point exactly as RFC 8032 §5.1.3 does, so invalid keys are rejected like @noble/curves does;
 * - a cheap byte-level test for encodings noble's strict verify refuses before any curve math
 *   (non-canonical y, small-order points), so both suites give the same verify answers.
 */
import { InvalidKeyError } from '../../../core/src/errors.ts'

const P = 2n ** 255n - 19n
// Edwards d = −121665 / 121666 mod p (RFC 8032 §5.1).
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n
const KEY_BYTES = 32

function mod(a: bigint): bigint {
  const r = a % P
  return r >= 0n ? r : r + P
}

/**
 * Legendre symbol (a | p) by the binary Jacobi algorithm (quadratic reciprocity): 1 for a
 * non-zero square, −1 for a non-square, 0 for 0. Far cheaper in BigInt than a^((p−1)/2).
 */
function legendre(a: bigint): number {
  let x = mod(a)
  let n = P
  let t = 1
  while (x !== 0n) {
    while ((x & 1n) === 0n) {
      x >>= 1n
      const r = n & 7n
      if (r === 3n || r === 5n) t = -t
    }
    ;[x, n] = [n, x]
    if ((x & 3n) === 3n && (n & 3n) === 3n) t = -t
    x %= n
  }
  return n === 1n ? t : 0
}

/** Modular inverse by the extended Euclidean algorithm (much faster than a^(p−2) in BigInt). */
function invert(a: bigint): bigint {
  let [r0, r1] = [mod(a), P]
  let [s0, s1] = [1n, 0n]
  while (r1 !== 0n) {
    const q = r0 / r1
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  if (r0 !== 1n) throw new RangeError('not invertible')
  return mod(s0)
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

function numberToBytesLE(n: bigint): Uint8Array {
  const out = new Uint8Array(KEY_BYTES)
  let v = n
  for (let i = 0; i < KEY_BYTES; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/**
 * Decodes the y coordinate of an Ed25519 point (RFC 8032 §5.1.3), throwing InvalidKeyError for
 * y ≥ p, for a y with no matching x on the curve, and for x = 0 with the sign bit set.
 */
function decodePointY(encoded: Uint8Array): bigint {
  const last = encoded[KEY_BYTES - 1] as number
  const signBit = (last & 0x80) !== 0
  const normed = encoded.slice()
  normed[KEY_BYTES - 1] = last & 0x7f
  const y = bytesToNumberLE(normed)
  if (y >= P) throw new InvalidKeyError('invalid Ed25519 public key: y is not below p')
  const y2 = (y * y) % P
  const u = mod(y2 - 1n) // x² = (y² − 1) / (d y² + 1); the denominator is never 0 mod p
  const v = mod(D * y2 + 1n)
  if (u === 0n) {
    if (signBit) throw new InvalidKeyError('invalid Ed25519 public key: x = 0 with the sign bit set')
    return y
  }
  // x² = u/v must be a square for the point to exist; u·v has the same residuosity as u/v.
  if (legendre(u * v) !== 1) throw new InvalidKeyError('invalid Ed25519 public key: not on the curve')
  return y
}

/** X25519 public key (u) for an Ed25519 public key; InvalidKeyError when the point is invalid. */
export function edwardsToMontgomery(publicKey: Uint8Array): Uint8Array {
  const y = decodePointY(publicKey)
  const denominator = mod(1n - y)
  // y = 1 is the neutral element: 1 − y has no inverse (noble throws here too).
  if (denominator === 0n) throw new InvalidKeyError('invalid Ed25519 public key: neutral point')
  return numberToBytesLE(((1n + y) * invert(denominator)) % P)
}

// The y coordinates of the eight points of order dividing 8: 1 (neutral), p − 1 (order 2),
// 0 (order 4) and ±y8 (order 8, y8² = (−1 + √(1 + d)) / d). Every small-order point has one of these.
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n
const SMALL_ORDER_Y = [0n, 1n, P - 1n, Y8, P - Y8].map((y) => numberToBytesLE(y))

function equalIgnoringSignBit(a: Uint8Array, b: Uint8Array): boolean {
  let diff = ((a[KEY_BYTES - 1] as number) & 0x7f) ^ (b[KEY_BYTES - 1] as number)
  for (let i = 0; i < KEY_BYTES - 1; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

/**
 * True when strict RFC 8032 verification (noble with zip215: false) must refuse this public key
 * before any curve math: a y encoding ≥ p, or a small-order point (noble's isSmallOrder check).
 * Byte comparisons only, so it costs nothing next to the verification itself.
 */
export function isRejectedVerifyKey(publicKey: Uint8Array): boolean {
  // y ≥ p = 2^255 − 19 ⇔ bytes 1..30 are 0xff, byte 31 (sign cleared) is 0x7f, byte 0 ≥ 0xed.
  let high = ((publicKey[KEY_BYTES - 1] as number) & 0x7f) === 0x7f
  for (let i = 1; i < KEY_BYTES - 1 && high; i++) high = publicKey[i] === 0xff
  if (high && (publicKey[0] as number) >= 0xed) return true
  for (const y of SMALL_ORDER_Y) if (equalIgnoringSignBit(publicKey, y)) return true
  return false
}

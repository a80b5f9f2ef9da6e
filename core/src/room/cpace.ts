/**
 * CPace over ristretto255 with SHA-512 (draft-irtf-cfrg-cpace-13, suite CPACE-RISTR255-SHA512):
 * a balanced PAKE. Both sides derive a generator from the password-related string PRS, the
 * channel identifier CI and the session id sid, exchange g^y, and hash the shared point with
 * the transcript into the intermediate session key ISK. An active attacker learns one "is the
 * password X?" answer per session it takes part in, and nothing offline.
 *
 * Pure: the scalar comes from the injected Random, the hash from the CryptoSuite; the group is
 * @noble/curves' ristretto255 (RFC 9496). Checked against the draft's test vectors
 * (core/test/room/cpace.test.ts, vectors in core/test/vectors/cpace-ristretto255.json).
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'
import { concatBytes, utf8 } from '../bytes.ts'
import type { CryptoSuite, Random } from '../crypto/suite.ts'
import { CryptoError, DecodeError } from '../errors.ts'
import { RISTRETTO_BYTES } from './constants.ts'

const Point = ristretto255.Point
type RistrettoPoint = InstanceType<typeof Point>

/** G_Ristretto255.DSI (draft §6.3). */
export const CPACE_DSI = 'CPaceRistretto255'
/** H.s_in_bytes of SHA-512: the input block size, which the generator string's zero pad fills. */
export const SHA512_BLOCK_BYTES = 128
/** G_Ristretto255.group_size_bits: sample_scalar clears every bit above it. */
const GROUP_SIZE_BITS = 252

/** prepend_len (draft §3.3): the LEB128 length, then the bytes. */
export function prependLen(data: Uint8Array): Uint8Array {
  const length: number[] = []
  let n = data.length
  do {
    const low = n & 0x7f
    n >>>= 7
    length.push(n > 0 ? low | 0x80 : low)
  } while (n > 0)
  return concatBytes(Uint8Array.from(length), data)
}

/** lv_cat / prefix_free_cat (draft §3.3): each part with its length prepended. */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts.map(prependLen))
}

/** generator_string (draft appendix A): DSI, PRS and a zero pad fill the first hash block. */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const dsi = utf8(CPACE_DSI)
  const zpad = Math.max(0, SHA512_BLOCK_BYTES - 1 - prependLen(prs).length - prependLen(dsi).length)
  return lvCat(dsi, prs, new Uint8Array(zpad), ci, sid)
}

/** calculate_generator (draft §6.3): SHA-512 of the generator string, RFC 9496 element derivation. */
export function calculateGenerator(
  suite: CryptoSuite,
  prs: Uint8Array,
  ci: Uint8Array,
  sid: Uint8Array,
): RistrettoPoint {
  return ristretto255_hasher.deriveToCurve!(suite.sha512(generatorString(prs, ci, sid)))
}

/**
 * sample_scalar (draft §6.3): 32 random bytes with the bits above 252 cleared, little-endian.
 * The result is below the group order; zero (probability 2^-252) is drawn again.
 */
export function sampleScalar(random: Random): Uint8Array {
  for (;;) {
    const bytes = random(32)
    bytes[31] = (bytes[31] ?? 0) & ((1 << (GROUP_SIZE_BITS - 248)) - 1)
    if (scalarFromBytes(bytes) !== 0n) return bytes
  }
}

function scalarFromBytes(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0)
  return n
}

/** scalar_mult (draft §6.3): encode(y · g). */
export function scalarMult(scalar: Uint8Array, generator: RistrettoPoint): Uint8Array {
  return generator.multiply(Point.Fn.create(scalarFromBytes(scalar))).toBytes()
}

/**
 * scalar_mult_vfy (draft §6.3): decode X, multiply. A string that is not a canonical ristretto255
 * encoding, or a product that is the identity, is an abort (CryptoError): the draft's G.I case.
 */
export function scalarMultVfy(scalar: Uint8Array, encoded: Uint8Array): Uint8Array {
  if (encoded.length !== RISTRETTO_BYTES) throw new DecodeError('CPace share must be 32 bytes')
  let point: RistrettoPoint
  try {
    point = Point.fromBytes(encoded)
  } catch (cause) {
    throw new CryptoError('CPace share is not a ristretto255 element', { cause })
  }
  const product = point.multiply(Point.Fn.create(scalarFromBytes(scalar)))
  if (product.is0()) throw new CryptoError('CPace shared point is the identity')
  return product.toBytes()
}

/** One side's CPace message: MSG = lv_cat(Y, AD). */
export interface CpaceMessage {
  readonly share: Uint8Array
  readonly ad: Uint8Array
}

/** transcript_ir (draft appendix A): the initiator's message, then the responder's. */
export function transcriptIr(a: CpaceMessage, b: CpaceMessage): Uint8Array {
  return concatBytes(lvCat(a.share, a.ad), lvCat(b.share, b.ad))
}

/** transcript_oc (draft appendix A): "oc", then the two messages, the larger one first. */
export function transcriptOc(a: CpaceMessage, b: CpaceMessage): Uint8Array {
  const ma = lvCat(a.share, a.ad)
  const mb = lvCat(b.share, b.ad)
  return lexicographicallyLarger(ma, mb) ? concatBytes(utf8('oc'), ma, mb) : concatBytes(utf8('oc'), mb, ma)
}

function lexicographicallyLarger(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  }
  return a.length > b.length
}

/** ISK = H.hash(lv_cat(DSI ‖ "_ISK", sid, K) ‖ transcript) (draft §4), 64 bytes. */
export function intermediateSessionKey(
  suite: CryptoSuite,
  sid: Uint8Array,
  sharedPoint: Uint8Array,
  transcript: Uint8Array,
): Uint8Array {
  return suite.sha512(concatBytes(lvCat(utf8(`${CPACE_DSI}_ISK`), sid, sharedPoint), transcript))
}

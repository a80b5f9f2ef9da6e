/**
 * Iterated SHA-512 (CryptoSuite.sha512Iterate), the portable way: one chain at a time, one
 * SHA-512 call per round. The noble suite runs it with noble's SHA-512; the node suite keeps it
 * as the fallback for chains its WebAssembly loop does not take.
 */
import { MAX_SHA512_ITERATIONS, SHA512_BYTES, type Sha512Chain } from './suite.ts'

/** RangeError unless 1 ≤ iterations ≤ MAX_SHA512_ITERATIONS (the sha512Iterate contract). */
export function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_SHA512_ITERATIONS)
    throw new RangeError(`SHA-512 iterations must be 1..${MAX_SHA512_ITERATIONS}, got ${iterations}`)
}

/** One chain: H = sha512(first), then iterations − 1 rounds H = sha512(H ‖ suffix). */
export function sha512Chain(
  sha512: (data: Uint8Array) => Uint8Array,
  chain: Sha512Chain,
  iterations: number,
): Uint8Array {
  let hash = sha512(chain.first)
  // one reused input buffer H ‖ suffix: each round only rewrites H (sha512 returns a new digest)
  const round = new Uint8Array(SHA512_BYTES + chain.suffix.length)
  round.set(chain.suffix, SHA512_BYTES)
  for (let i = 1; i < iterations; i++) {
    round.set(hash, 0)
    hash = sha512(round)
  }
  return hash
}

/** sha512Iterate with the given SHA-512: checks `iterations`, then each chain in turn. */
export function sha512IterateWith(
  sha512: (data: Uint8Array) => Uint8Array,
  chains: readonly Sha512Chain[],
  iterations: number,
): Uint8Array[] {
  checkIterations(iterations)
  return chains.map((chain) => sha512Chain(sha512, chain, iterations))
}

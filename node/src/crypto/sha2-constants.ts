/**
 * The SHA-2 round constants and initial hash values, derived as FIPS 180-4 defines them rather
 * than typed in: K are the first 32 (SHA-256, §4.2.2) or 64 (SHA-512, §4.2.3) bits of the
 * fractional parts of the cube roots of the first primes; the initial hash values (§5.3.3,
 * §5.3.5) those of the square roots of the first 8 primes. The tests compare every digest built
 * on them with node:crypto's and noble's.
 */

/** ⌊x^(1/n)⌋ for a non-negative bigint (Newton's method). */
function integerRoot(x: bigint, n: bigint): bigint {
  if (x < 2n) return x
  let r = 1n << (BigInt(x.toString(2).length) / n + 1n)
  for (;;) {
    const next = ((n - 1n) * r + x / r ** (n - 1n)) / n
    if (next >= r) return r
    r = next
  }
}

function firstPrimes(count: number): bigint[] {
  const primes: bigint[] = []
  for (let c = 2n; primes.length < count; c++) if (primes.every((p) => c % p !== 0n)) primes.push(c)
  return primes
}

/** The first `bits` bits of the fractional part of p^(1/n): ⌊p^(1/n) · 2^bits⌋ mod 2^bits. */
function fractionBits(p: bigint, n: bigint, bits: bigint): bigint {
  return integerRoot(p << (bits * n), n) & ((1n << bits) - 1n)
}

/** Round constants (`rounds` of them) and the 8 initial hash words of a `bits`-bit-word SHA-2. */
export function sha2Constants(bits: 32 | 64, rounds: number): { k: bigint[]; iv: bigint[] } {
  const primes = firstPrimes(rounds)
  const b = BigInt(bits)
  return {
    k: primes.map((p) => fractionBits(p, 3n, b)),
    iv: primes.slice(0, 8).map((p) => fractionBits(p, 2n, b)),
  }
}

/**
 * Throughput of each CryptoSuite primitive, suites side by side (noble vs node:crypto), for the
 * record. The entry point is node/bench/primitives.bench.ts (`npm run bench:primitives`), which
 * passes the suites in: core/ does not import node/. Numbers are ops/s on this machine.
 * "same key" rows reuse one key (the caches help, as for an identity key); "fresh key" rows
 * use a new key every time (ephemeral keys), which defeats the node suite's KeyObject caches.
 */
import type { CryptoSuite, Random } from '../src/crypto/suite.ts'

/** Time spent measuring each operation per suite (ms). */
const RUN_MS = 300
/** Untimed calls first, so JIT and caches are warm. */
const WARMUP_CALLS = 5
/** Fresh inputs are drawn from a pool of this many, prepared outside the timed loop. */
const POOL_SIZE = 512

type Op = (suite: CryptoSuite) => (i: number) => unknown

function opsPerSecond(run: (i: number) => unknown): number {
  for (let i = 0; i < WARMUP_CALLS; i++) run(i)
  let calls = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < RUN_MS) {
    run(calls++)
    elapsed = performance.now() - start
  }
  return calls / (elapsed / 1000)
}

const pool = <T>(make: () => T): T[] => Array.from({ length: POOL_SIZE }, make)
const at = <T>(items: T[], i: number) => items[i % items.length] as T

/**
 * Print one row per primitive with each suite's ops/s and the ratio of the second suite to the
 * first. random draws the inputs (keys, nonces, messages) outside the timed loops.
 */
export function runPrimitivesBench(suites: readonly [CryptoSuite, CryptoSuite], random: Random): void {
  const format = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12)
  console.log(`${'operation'.padEnd(34)}${suites.map((s) => s.name.padStart(12)).join('')}     ratio`)
  for (const [name, op] of primitiveOps(random)) {
    const rates = suites.map((s) => opsPerSecond(op(s)))
    const ratio = (rates[1] as number) / (rates[0] as number)
    console.log(`${name.padEnd(34)}${rates.map(format).join('')}  ${ratio.toFixed(1).padStart(7)}x`)
  }
}

function primitiveOps(random: Random): [string, Op][] {
  const kib = random(1024)
  return [
    [
      'X25519 DH (same keys)',
      (s) => {
        const a = s.x25519Generate()
        const b = s.x25519Generate()
        return () => s.x25519(a.secretKey, b.publicKey)
      },
    ],
    [
      'X25519 DH (fresh peer key)',
      (s) => {
        const a = s.x25519Generate()
        const peers = pool(() => s.x25519PublicKey(random(32)))
        return (i) => s.x25519(a.secretKey, at(peers, i))
      },
    ],
    [
      'X25519 public key (fresh)',
      (s) => {
        const secrets = pool(() => random(32))
        return (i) => s.x25519PublicKey(at(secrets, i))
      },
    ],
    [
      'Ed25519 sign 100 B (same key)',
      (s) => {
        const { secretKey } = s.ed25519Generate()
        const msg = random(100)
        return () => s.ed25519Sign(secretKey, msg)
      },
    ],
    [
      'Ed25519 verify 100 B (same key)',
      (s) => {
        const { secretKey, publicKey } = s.ed25519Generate()
        const msg = random(100)
        const sig = s.ed25519Sign(secretKey, msg)
        return () => s.ed25519Verify(publicKey, msg, sig)
      },
    ],
    [
      'Ed25519 verify 100 B (fresh key)',
      (s) => {
        const msg = random(100)
        const signed = pool(() => {
          const { secretKey, publicKey } = s.ed25519Generate()
          return { publicKey, sig: s.ed25519Sign(secretKey, msg) }
        })
        return (i) => {
          const { publicKey, sig } = at(signed, i)
          return s.ed25519Verify(publicKey, msg, sig)
        }
      },
    ],
    [
      'Ed25519 → X25519 public (same key)',
      (s) => {
        const { publicKey } = s.ed25519Generate()
        return () => s.ed25519PublicToX25519(publicKey)
      },
    ],
    [
      'Ed25519 → X25519 public (fresh key)',
      (s) => {
        const keys = pool(() => s.ed25519Generate().publicKey)
        return (i) => s.ed25519PublicToX25519(at(keys, i))
      },
    ],
    [
      'AES-256-GCM encrypt 1 KiB',
      (s) => {
        const key = random(32)
        const nonce = random(12)
        return () => s.aesGcmEncrypt(key, nonce, kib, nonce)
      },
    ],
    [
      'AES-256-GCM decrypt 1 KiB',
      (s) => {
        const key = random(32)
        const nonce = random(12)
        const sealed = s.aesGcmEncrypt(key, nonce, kib, nonce)
        return () => s.aesGcmDecrypt(key, nonce, sealed, nonce)
      },
    ],
    [
      'HKDF-SHA256 32 B → 64 B',
      (s) => {
        const [ikm, salt, info] = [random(32), random(32), random(16)]
        return () => s.hkdf(ikm as Uint8Array, salt as Uint8Array, info as Uint8Array, 64)
      },
    ],
    [
      'HMAC-SHA256 32 B',
      (s) => {
        const [key, data] = [random(32), random(32)]
        return () => s.hmacSha256(key as Uint8Array, data as Uint8Array)
      },
    ],
    ['SHA-256 1 KiB', (s) => () => s.sha256(kib)],
    ['SHA-512 1 KiB', (s) => () => s.sha512(kib)],
    [
      'SHA-512 × 5200, 2 chains (safety no.)',
      (s) => {
        const chains = [
          { first: random(68), suffix: random(33) },
          { first: random(68), suffix: random(33) },
        ]
        return () => s.sha512Iterate(chains, 5200)
      },
    ],
    [
      'ML-KEM-768 keygen (fresh seed)',
      (s) => {
        const seeds = pool(() => random(64))
        return (i) => s.mlkemKeyPair(at(seeds, i))
      },
    ],
    [
      'ML-KEM-768 encapsulate',
      (s) => {
        const { publicKey } = s.mlkemGenerate()
        return () => s.mlkemEncapsulate(publicKey)
      },
    ],
    [
      'ML-KEM-768 decapsulate',
      (s) => {
        const { publicKey, secretKey } = s.mlkemGenerate()
        const { ciphertext } = s.mlkemEncapsulate(publicKey)
        return () => s.mlkemDecapsulate(secretKey, ciphertext)
      },
    ],
  ]
}

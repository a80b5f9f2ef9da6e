/**
 * Differential tests: the portable noble suite and the node:crypto suite must agree byte for
 * byte on every operation and throw the same error classes. Property tests with a fixed seed so
 * every run checks the same inputs.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { fromHex, toHex } from '../../core/src/bytes.ts'
import { createNobleSuite } from '../../core/src/crypto/noble-suite.ts'
import {
  AES_GCM_TAG_BYTES,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
} from '../../core/src/crypto/suite.ts'
import { AeadError, CryptoError, InvalidKeyError } from '../../core/src/errors.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'

const SEED = 0x5eed
const RUNS = 40
/** Noble ML-KEM costs milliseconds per operation: fewer runs keep the file at a few seconds. */
const KEM_RUNS = 12

const noble = createNobleSuite(seededRandom('differential'))
const node = createNodeSuite(seededRandom('differential'))

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
const anyBytes = (maxLength: number) => fc.uint8Array({ maxLength })
function check(runs: number, property: fc.IRawProperty<unknown[]>): void {
  fc.assert(property, { seed: SEED, numRuns: runs })
}

/** Runs f on both suites; both must return equal bytes, or both throw the same error class. */
function sameOutcome(f: (suite: typeof noble) => Uint8Array | boolean): void {
  const outcome = (suite: typeof noble) => {
    try {
      const value = f(suite)
      return typeof value === 'boolean' ? `value:${value}` : `value:${toHex(value)}`
    } catch (error) {
      return `throws:${(error as Error).name}`
    }
  }
  assert.equal(outcome(node), outcome(noble))
}

const P = 2n ** 255n - 19n
function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}

function leToBigInt(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number)
  return n
}

// Curve25519 points of order 1, 2, 4 and 8 (u = 0, 1, p − 1 and the two order-8 u's) plus their
// non-canonical encodings u + p, each with and without the ignored top bit.
const LOW_ORDER_U = [
  0n,
  1n,
  325606250916557431795983626356110631294008115727848805560023387167927233504n,
  39382357235489614581723060781553021112529911719440698176882885853963445705823n,
  P - 1n,
].flatMap((u) => [u, u + P].filter((v) => v < 2n ** 255n))
const LOW_ORDER_POINTS = LOW_ORDER_U.flatMap((u) => {
  const plain = le32(u)
  const high = plain.slice()
  high[31] = (high[31] as number) | 0x80
  return [plain, high]
})

describe('noble and node suites agree', () => {
  test('X25519 public keys and shared secrets are equal for arbitrary keys', () => {
    check(
      RUNS,
      fc.property(bytes(32), bytes(32), (a, b) => {
        const pubB = noble.x25519PublicKey(b)
        assert.equal(toHex(node.x25519PublicKey(a)), toHex(noble.x25519PublicKey(a)))
        assert.equal(toHex(node.x25519(a, pubB)), toHex(noble.x25519(a, pubB)))
      }),
    )
  })

  test('X25519 with arbitrary 32-byte u (non-canonical, twist points) gives the same outcome', () => {
    check(
      RUNS,
      fc.property(bytes(32), bytes(32), (secret, u) => sameOutcome((s) => s.x25519(secret, u))),
    )
  })

  test('X25519 against every low-order point throws CryptoError in both suites', () => {
    assert.equal(LOW_ORDER_POINTS.length, 14)
    check(
      8,
      fc.property(bytes(32), (secret) => {
        for (const point of LOW_ORDER_POINTS) {
          assert.throws(() => noble.x25519(secret, point), CryptoError, `noble ${toHex(point)}`)
          assert.throws(() => node.x25519(secret, point), CryptoError, `node ${toHex(point)}`)
        }
      }),
    )
  })

  test('X25519 key generation from the same seeded Random gives the same key pairs', () => {
    const a = createNobleSuite(seededRandom('gen'))
    const b = createNodeSuite(seededRandom('gen'))
    for (let i = 0; i < 5; i++) assert.deepEqual(b.x25519Generate(), a.x25519Generate())
    for (let i = 0; i < 5; i++) assert.deepEqual(b.ed25519Generate(), a.ed25519Generate())
    for (let i = 0; i < 2; i++) assert.deepEqual(b.mlkemGenerate(), a.mlkemGenerate())
  })

  test('keys generated inside OpenSSL (no injected Random) are the key pairs noble derives from their secrets', () => {
    const native = createNodeSuite()
    // A second node suite has none of the generated KeyObjects cached: it re-imports the bytes.
    const fresh = createNodeSuite()
    for (let i = 0; i < 5; i++) {
      const a = native.x25519Generate()
      const b = noble.x25519Generate()
      assert.equal(toHex(noble.x25519PublicKey(a.secretKey)), toHex(a.publicKey))
      assert.equal(toHex(fresh.x25519PublicKey(a.secretKey)), toHex(a.publicKey))
      assert.equal(
        toHex(native.x25519(a.secretKey, b.publicKey)),
        toHex(noble.x25519(b.secretKey, a.publicKey)),
      )

      const e = native.ed25519Generate()
      assert.equal(toHex(noble.ed25519PublicKey(e.secretKey)), toHex(e.publicKey))
      const message = Uint8Array.of(i, 1, 2, 3)
      assert.equal(
        toHex(native.ed25519Sign(e.secretKey, message)),
        toHex(noble.ed25519Sign(e.secretKey, message)),
      )
      assert.equal(fresh.ed25519Verify(e.publicKey, message, native.ed25519Sign(e.secretKey, message)), true)
    }
    const k = native.mlkemGenerate()
    assert.equal(k.secretKey.length, 64)
    assert.equal(toHex(noble.mlkemKeyPair(k.secretKey).publicKey), toHex(k.publicKey))
    const sent = noble.mlkemEncapsulate(k.publicKey)
    assert.equal(toHex(native.mlkemDecapsulate(k.secretKey, sent.ciphertext)), toHex(sent.sharedSecret))
    assert.equal(toHex(fresh.mlkemDecapsulate(k.secretKey, sent.ciphertext)), toHex(sent.sharedSecret))
  })

  test('Ed25519 public keys and deterministic signatures are equal, each verifies the other', () => {
    check(
      RUNS,
      fc.property(bytes(32), anyBytes(300), (seed, message) => {
        const publicKey = noble.ed25519PublicKey(seed)
        assert.equal(toHex(node.ed25519PublicKey(seed)), toHex(publicKey))
        const signature = noble.ed25519Sign(seed, message)
        assert.equal(toHex(node.ed25519Sign(seed, message)), toHex(signature))
        assert.equal(node.ed25519Verify(publicKey, message, signature), true)
        assert.equal(noble.ed25519Verify(publicKey, message, node.ed25519Sign(seed, message)), true)
      }),
    )
  })

  test('Ed25519 signatures with a flipped bit, or over another message, fail in both suites', () => {
    check(
      RUNS,
      fc.property(bytes(32), anyBytes(100), fc.nat(64 * 8 - 1), (seed, message, bit) => {
        const publicKey = noble.ed25519PublicKey(seed)
        const signature = noble.ed25519Sign(seed, message)
        const tampered = signature.slice()
        tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7))
        assert.equal(noble.ed25519Verify(publicKey, message, tampered), false)
        assert.equal(node.ed25519Verify(publicKey, message, tampered), false)
        const other = Uint8Array.of(...message, 1)
        assert.equal(noble.ed25519Verify(publicKey, other, signature), false)
        assert.equal(node.ed25519Verify(publicKey, other, signature), false)
      }),
    )
  })

  test('Ed25519 verify of arbitrary keys, signatures and lengths gives the same verdict, never throws', () => {
    check(
      RUNS,
      fc.property(anyBytes(40), anyBytes(70), anyBytes(20), (publicKey, signature, message) => {
        assert.equal(
          node.ed25519Verify(publicKey, message, signature),
          noble.ed25519Verify(publicKey, message, signature),
        )
      }),
    )
  })

  test('Ed25519 verify refuses every small-order public key in both suites, even a "valid" signature', () => {
    const message = new Uint8Array(0)
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const publicKey = fromHex(hex)
      assert.equal(ed25519.Point.fromBytes(publicKey).isSmallOrder(), true)
      // R = neutral point, s = 0 satisfies [s]B = R + [k]A whenever [k]A is the neutral point.
      const signature = new Uint8Array(64)
      signature[0] = 1
      assert.equal(noble.ed25519Verify(publicKey, message, signature), false, `noble ${hex}`)
      assert.equal(node.ed25519Verify(publicKey, message, signature), false, `node ${hex}`)
    }
  })

  test('Ed25519 verify refuses non-canonical public key encodings (y ≥ p) in both suites', () => {
    check(
      RUNS,
      fc.property(fc.integer({ min: 0, max: 18 }), fc.boolean(), bytes(64), (offset, sign, signature) => {
        const publicKey = le32(P + BigInt(offset))
        if (sign) publicKey[31] = (publicKey[31] as number) | 0x80
        assert.equal(noble.ed25519Verify(publicKey, signature, signature), false)
        assert.equal(node.ed25519Verify(publicKey, signature, signature), false)
      }),
    )
  })

  test('node suite rejects a signature whose R carries a torsion component (cofactorless check)', () => {
    // KNOWN DIVERGENCE: OpenSSL verifies [S]B = R + [k]A exactly; noble checks the cofactored
    // equation [8]([S]B − R − [k]A) = O and accepts this signature. Only the key holder can make
    // one, but the two suites then disagree; see the crypto helper report.
    const { Point } = ed25519
    const L = Point.Fn.ORDER
    const seed = new Uint8Array(32).fill(3)
    const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
    const publicKey = ed25519.getPublicKey(seed)
    const message = Uint8Array.of(1, 2, 3)
    const nonce = 12345678901234567890n
    const torsion = Point.fromBytes(fromHex(ED25519_TORSION_SUBGROUP[3] as string))
    const r = Point.BASE.multiply(nonce).add(torsion).toBytes()
    const k = leToBigInt(noble.sha512(Uint8Array.of(...r, ...publicKey, ...message))) % L
    const signature = Uint8Array.of(...r, ...le32((nonce + k * scalar) % L))
    assert.equal(node.ed25519Verify(publicKey, message, signature), false)
    // The same construction without the torsion point is a valid signature in both suites.
    const cleanR = Point.BASE.multiply(nonce).toBytes()
    const k2 = leToBigInt(noble.sha512(Uint8Array.of(...cleanR, ...publicKey, ...message))) % L
    const clean = Uint8Array.of(...cleanR, ...le32((nonce + k2 * scalar) % L))
    assert.equal(node.ed25519Verify(publicKey, message, clean), true)
    assert.equal(noble.ed25519Verify(publicKey, message, clean), true)
  })

  test('Ed25519 → X25519 public key conversion is equal for real keys and for arbitrary bytes', () => {
    check(
      RUNS,
      fc.property(bytes(32), (seed) => {
        const publicKey = noble.ed25519PublicKey(seed)
        assert.equal(
          toHex(node.ed25519PublicToX25519(publicKey)),
          toHex(noble.ed25519PublicToX25519(publicKey)),
        )
        // The converted key agrees with the X25519 form of the secret.
        const x = node.ed25519SeedToX25519(seed)
        assert.equal(toHex(x), toHex(noble.ed25519SeedToX25519(seed)))
        assert.equal(toHex(node.x25519PublicKey(x)), toHex(node.ed25519PublicToX25519(publicKey)))
      }),
    )
    check(
      RUNS * 2,
      fc.property(bytes(32), (encoded) => sameOutcome((s) => s.ed25519PublicToX25519(encoded))),
    )
  })

  test('Ed25519 → X25519 conversion of edge encodings (small order, y ≥ p, x = 0 with sign) matches', () => {
    const edges = [
      ...ED25519_TORSION_SUBGROUP.map(fromHex),
      ...Array.from({ length: 19 }, (_, i) => le32(P + BigInt(i))),
      le32(1n).map((b, i) => (i === 31 ? b | 0x80 : b)),
      le32(P - 1n).map((b, i) => (i === 31 ? b | 0x80 : b)),
    ]
    for (const encoded of edges) sameOutcome((s) => s.ed25519PublicToX25519(encoded))
    assert.throws(() => node.ed25519PublicToX25519(le32(1n)), InvalidKeyError)
  })

  test('HKDF, HMAC-SHA256, SHA-256 and SHA-512 are equal for arbitrary inputs', () => {
    check(
      RUNS,
      fc.property(
        anyBytes(100),
        anyBytes(100),
        anyBytes(100),
        fc.integer({ min: 1, max: 255 * 32 }),
        (ikm, salt, info, length) => {
          assert.equal(toHex(node.hkdf(ikm, salt, info, length)), toHex(noble.hkdf(ikm, salt, info, length)))
          assert.equal(toHex(node.hmacSha256(salt, ikm)), toHex(noble.hmacSha256(salt, ikm)))
          assert.equal(toHex(node.sha256(ikm)), toHex(noble.sha256(ikm)))
          assert.equal(toHex(node.sha512(ikm)), toHex(noble.sha512(ikm)))
        },
      ),
    )
  })

  test('HKDF with info longer than node:crypto accepts (1024 bytes) still matches noble', () => {
    check(
      8,
      fc.property(anyBytes(64), fc.uint8Array({ minLength: 1025, maxLength: 3000 }), (ikm, info) => {
        assert.equal(toHex(node.hkdf(ikm, ikm, info, 100)), toHex(noble.hkdf(ikm, ikm, info, 100)))
      }),
    )
  })

  test('HMAC-SHA256 with keys longer than the block size matches', () => {
    check(
      RUNS,
      fc.property(fc.uint8Array({ minLength: 65, maxLength: 200 }), anyBytes(100), (key, data) => {
        assert.equal(toHex(node.hmacSha256(key, data)), toHex(noble.hmacSha256(key, data)))
      }),
    )
  })

  test('AES-256-GCM ciphertexts are equal and each suite decrypts the other', () => {
    check(
      RUNS,
      fc.property(bytes(32), bytes(12), anyBytes(200), anyBytes(50), (key, nonce, plaintext, aad) => {
        const sealed = noble.aesGcmEncrypt(key, nonce, plaintext, aad)
        assert.equal(toHex(node.aesGcmEncrypt(key, nonce, plaintext, aad)), toHex(sealed))
        assert.equal(toHex(node.aesGcmDecrypt(key, nonce, sealed, aad)), toHex(plaintext))
        assert.equal(
          toHex(noble.aesGcmDecrypt(key, nonce, node.aesGcmEncrypt(key, nonce, plaintext, aad), aad)),
          toHex(plaintext),
        )
      }),
    )
  })

  test('AES-256-GCM with a tampered ciphertext, tag or AAD throws AeadError in both suites', () => {
    check(
      RUNS,
      fc.property(
        bytes(32),
        bytes(12),
        anyBytes(64),
        anyBytes(16),
        fc.nat(),
        (key, nonce, plaintext, aad, where) => {
          const sealed = noble.aesGcmEncrypt(key, nonce, plaintext, aad)
          const tampered = sealed.slice()
          const at = where % tampered.length
          tampered[at] = (tampered[at] as number) ^ 0x01
          for (const suite of [noble, node]) {
            assert.throws(() => suite.aesGcmDecrypt(key, nonce, tampered, aad), AeadError)
            const otherAad = Uint8Array.of(...aad, 0)
            assert.throws(() => suite.aesGcmDecrypt(key, nonce, sealed, otherAad), AeadError)
            assert.throws(
              () => suite.aesGcmDecrypt(key, nonce, sealed.subarray(0, AES_GCM_TAG_BYTES - 1), aad),
              AeadError,
            )
          }
        },
      ),
    )
  })

  test('ML-KEM-768: same public key from a seed, cross encapsulation, equal implicit rejection', () => {
    check(
      KEM_RUNS,
      fc.property(bytes(64), bytes(MLKEM768_CIPHERTEXT_BYTES), (seed, garbage) => {
        const { publicKey } = noble.mlkemKeyPair(seed)
        assert.equal(toHex(node.mlkemKeyPair(seed).publicKey), toHex(publicKey))
        assert.equal(toHex(node.mlkemKeyPair(seed).secretKey), toHex(seed))
        const fromNoble = noble.mlkemEncapsulate(publicKey)
        assert.equal(toHex(node.mlkemDecapsulate(seed, fromNoble.ciphertext)), toHex(fromNoble.sharedSecret))
        const fromNode = node.mlkemEncapsulate(publicKey)
        assert.equal(toHex(noble.mlkemDecapsulate(seed, fromNode.ciphertext)), toHex(fromNode.sharedSecret))
        // Wrong ciphertexts: FIPS 203 implicit rejection gives the same pseudorandom secret.
        const flipped = fromNode.ciphertext.slice()
        flipped[0] = (flipped[0] as number) ^ 1
        const rejected = node.mlkemDecapsulate(seed, flipped)
        assert.equal(toHex(noble.mlkemDecapsulate(seed, flipped)), toHex(rejected))
        assert.notEqual(toHex(rejected), toHex(fromNode.sharedSecret))
        assert.equal(
          toHex(node.mlkemDecapsulate(seed, garbage)),
          toHex(noble.mlkemDecapsulate(seed, garbage)),
        )
      }),
    )
  })

  test('ML-KEM-768 encapsulation to a public key failing the modulus check throws InvalidKeyError in both', () => {
    const { publicKey } = noble.mlkemKeyPair(new Uint8Array(64).fill(7))
    const bad = publicKey.slice()
    bad[0] = 0xff // first 12-bit coefficient becomes ≥ q = 3329
    bad[1] = (bad[1] as number) | 0x0f
    assert.throws(() => noble.mlkemEncapsulate(bad), InvalidKeyError)
    assert.throws(() => node.mlkemEncapsulate(bad), InvalidKeyError)
  })

  test('wrong-length keys, seeds and nonces throw InvalidKeyError in both suites', () => {
    const k31 = new Uint8Array(31)
    const k32 = new Uint8Array(32).fill(9)
    const cases: [string, (s: typeof noble) => unknown][] = [
      ['x25519PublicKey', (s) => s.x25519PublicKey(k31)],
      ['x25519 secret', (s) => s.x25519(k31, k32)],
      ['x25519 public', (s) => s.x25519(k32, k31)],
      ['ed25519PublicKey', (s) => s.ed25519PublicKey(k31)],
      ['ed25519Sign', (s) => s.ed25519Sign(k31, k32)],
      ['ed25519PublicToX25519', (s) => s.ed25519PublicToX25519(k31)],
      ['ed25519SeedToX25519', (s) => s.ed25519SeedToX25519(k31)],
      ['aesGcmEncrypt key', (s) => s.aesGcmEncrypt(k31, new Uint8Array(12), k32, k32)],
      ['aesGcmEncrypt nonce', (s) => s.aesGcmEncrypt(k32, new Uint8Array(16), k32, k32)],
      ['aesGcmDecrypt key', (s) => s.aesGcmDecrypt(k31, new Uint8Array(12), k32, k32)],
      ['mlkemKeyPair', (s) => s.mlkemKeyPair(new Uint8Array(32))],
      ['mlkemEncapsulate', (s) => s.mlkemEncapsulate(new Uint8Array(MLKEM768_PUBLIC_KEY_BYTES - 1))],
      ['mlkemDecapsulate seed', (s) => s.mlkemDecapsulate(k32, new Uint8Array(MLKEM768_CIPHERTEXT_BYTES))],
      ['mlkemDecapsulate ct', (s) => s.mlkemDecapsulate(new Uint8Array(64), k32)],
    ]
    for (const [name, f] of cases) {
      assert.throws(() => f(noble), InvalidKeyError, `noble ${name}`)
      assert.throws(() => f(node), InvalidKeyError, `node ${name}`)
    }
  })

  test('node suite returns plain Uint8Arrays, not Buffers', () => {
    const suite = createNodeSuite()
    const seed = suite.randomBytes(32)
    const outputs = [
      seed,
      suite.x25519PublicKey(seed),
      suite.ed25519Sign(seed, seed),
      suite.sha256(seed),
      suite.hmacSha256(seed, seed),
      suite.hkdf(seed, seed, seed, 32),
      suite.aesGcmEncrypt(seed, seed.subarray(0, 12), seed, seed),
    ]
    for (const out of outputs) assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype)
  })
})

/**
 * The node suite's WebAssembly fast paths give the reference (noble) suite's bytes:
 * sha512Iterate (two chains per call) and the safety numbers built on it, HMAC-SHA256 and HKDF
 * on the WebAssembly SHA-256 at their size limits, and Sender Key messages (signed, encrypted)
 * made and read by either suite. Fixed seeds.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { fromHex, toHex, utf8 } from '../../core/src/bytes.ts'
import { createNobleSuite } from '../../core/src/crypto/noble-suite.ts'
import {
  type CryptoSuite,
  MAX_SHA512_ITERATIONS,
  type Random,
  type Sha512Chain,
} from '../../core/src/crypto/suite.ts'
import {
  fingerprintDigits,
  fingerprintScannableBytes,
  safetyNumber,
  safetyNumberFingerprint,
} from '../../core/src/safety-number.ts'
import {
  createSenderKey,
  encodeSenderKeyState,
  processSenderKeyDistribution,
  type SenderKeyState,
  senderKeyDecrypt,
  senderKeyDistribution,
  senderKeyEncrypt,
} from '../../core/src/sender-key.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { SHA512_CHAIN_MAX_SUFFIX_BYTES } from '../src/crypto/sha512-chain.ts'

const SEED = 0x5eed
const RUNS = 40

const noble = createNobleSuite(seededRandom('fast-paths'))
const node = createNodeSuite(seededRandom('fast-paths'))
const hexes = (xs: Uint8Array[]) => xs.map(toHex)

const chainArb = fc.record({
  first: fc.uint8Array({ maxLength: 300 }),
  // up to well past the one-block limit, so the node suite's fallback is covered too
  suffix: fc.uint8Array({ maxLength: SHA512_CHAIN_MAX_SUFFIX_BYTES + 40 }),
})

describe('sha512Iterate: node suite (WebAssembly) and noble suite agree', () => {
  test('arbitrary chains, 0 to 5 per call, suffixes on both sides of the one-block limit', () => {
    fc.assert(
      fc.property(fc.array(chainArb, { maxLength: 5 }), fc.integer({ min: 1, max: 40 }), (chains, n) => {
        assert.deepEqual(hexes(node.sha512Iterate(chains, n)), hexes(noble.sha512Iterate(chains, n)))
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test('suffixes of exactly 46, 47 and 48 bytes, 1 and 5200 iterations, one chain and a pair', () => {
    const random = seededRandom('sha512-iterate-edges')
    for (const length of [46, SHA512_CHAIN_MAX_SUFFIX_BYTES, 48]) {
      const chains: Sha512Chain[] = [
        { first: random(70), suffix: random(length) },
        { first: random(3), suffix: random(33) },
      ]
      for (const n of [1, 2, 5200]) {
        assert.deepEqual(hexes(node.sha512Iterate(chains, n)), hexes(noble.sha512Iterate(chains, n)))
        assert.deepEqual(
          hexes(node.sha512Iterate(chains.slice(0, 1), n)),
          hexes(noble.sha512Iterate(chains.slice(0, 1), n)),
        )
      }
    }
  })

  test('one iteration is SHA-512 of `first`; two are SHA-512(SHA-512(first) ‖ suffix)', () => {
    const first = utf8('first')
    const suffix = utf8('suffix')
    const [one] = node.sha512Iterate([{ first, suffix }], 1)
    assert.equal(toHex(one as Uint8Array), toHex(node.sha512(first)))
    const [two] = node.sha512Iterate([{ first, suffix }], 2)
    assert.equal(
      toHex(two as Uint8Array),
      toHex(node.sha512(new Uint8Array([...node.sha512(first), ...suffix]))),
    )
  })

  test('iteration counts outside 1..MAX_SHA512_ITERATIONS throw RangeError in both suites', () => {
    const chains = [{ first: new Uint8Array(1), suffix: new Uint8Array(1) }]
    for (const n of [0, -1, 1.5, Number.NaN, MAX_SHA512_ITERATIONS + 1])
      for (const suite of [node, noble])
        assert.throws(() => suite.sha512Iterate(chains, n), RangeError, `${n}`)
  })
})

describe('HMAC-SHA256 and HKDF on the WebAssembly SHA-256: node suite and noble suite agree', () => {
  const random = seededRandom('wasm-sha256-edges')

  test('HMAC at every padding and size boundary: keys 0–100 bytes, data 0–300 bytes', () => {
    for (const keyLength of [0, 1, 31, 32, 33, 63, 64, 65, 100])
      for (const dataLength of [0, 1, 55, 56, 63, 64, 119, 120, 191, 192, 255, 256, 257, 300]) {
        const key = random(keyLength)
        const data = random(dataLength)
        assert.equal(
          toHex(node.hmacSha256(key, data)),
          toHex(noble.hmacSha256(key, data)),
          `${keyLength}/${dataLength}`,
        )
      }
  })

  test('HKDF across the WebAssembly limits (output, ikm, salt, info lengths)', () => {
    for (const length of [0, 1, 32, 44, 64, 128, 129, 200])
      for (const ikmLength of [0, 32, 256, 257])
        for (const saltLength of [0, 32, 64, 65])
          for (const infoLength of [0, 26, 222, 223, 300]) {
            const [ikm, salt, info] = [random(ikmLength), random(saltLength), random(infoLength)]
            assert.equal(
              toHex(node.hkdf(ikm, salt, info, length)),
              toHex(noble.hkdf(ikm, salt, info, length)),
              `${length}/${ikmLength}/${saltLength}/${infoLength}`,
            )
          }
  })

  test('HMACs with 20 keys taking turns (more than the kept pad states), each key reused', () => {
    const keys = Array.from({ length: 20 }, (_, i) => random(i % 2 === 0 ? 32 : 17))
    for (let round = 0; round < 3; round++)
      for (const [i, key] of keys.entries()) {
        const data = Uint8Array.of(round, i)
        assert.equal(toHex(node.hmacSha256(key, data)), toHex(noble.hmacSha256(key, data)))
        // a key that differs in its last byte only must not hit the first key's pad states
        const near = key.slice()
        near[near.length - 1] = ((near[near.length - 1] ?? 0) + 1) & 0xff
        assert.equal(toHex(node.hmacSha256(near, data)), toHex(noble.hmacSha256(near, data)))
      }
  })
})

interface Vectors {
  signal: { aliceKey: string; aliceId: string; bobKey: string; bobId: string; displayable: string }
  wren: Array<{
    localIdentityKey: string
    localId: string
    remoteIdentityKey: string
    remoteId: string
    digits: string
    localQrPayload: string
  }>
}
const vectors = JSON.parse(
  readFileSync(new URL('../../core/test/vectors/safety-number.json', import.meta.url), 'utf8'),
) as Vectors

describe('safety numbers: node suite gives the reference bytes', () => {
  test("libsignal's published vector and the stored Wren vectors, through the node suite", () => {
    const v = vectors.signal
    const alice = fingerprintDigits(node, fromHex(v.aliceKey), utf8(v.aliceId))
    const bob = fingerprintDigits(node, fromHex(v.bobKey), utf8(v.bobId))
    assert.equal(alice < bob ? alice + bob : bob + alice, v.displayable)
    for (const w of vectors.wren) {
      const local = { id: fromHex(w.localId), identityKey: fromHex(w.localIdentityKey) }
      const remote = { id: fromHex(w.remoteId), identityKey: fromHex(w.remoteIdentityKey) }
      const fp = safetyNumberFingerprint(node, local, remote)
      assert.equal(fp.digits, w.digits)
      assert.equal(toHex(fp.qrPayload), w.localQrPayload)
      assert.equal(safetyNumber(node, local, remote), w.digits)
    }
  })

  test('fresh identities and ids up to 256 bytes: digits, QR payload and scannable bytes equal', () => {
    const random = seededRandom('safety-number-parties')
    const party = (idBytes: number) => ({
      id: random(idBytes),
      identityKey: node.ed25519Generate().publicKey,
    })
    for (const [a, b] of [
      [16, 16],
      [0, 256],
      [13, 40],
    ] as const) {
      const local = party(a)
      const remote = party(b)
      const fast = safetyNumberFingerprint(node, local, remote)
      const reference = safetyNumberFingerprint(noble, local, remote)
      assert.equal(fast.digits, reference.digits)
      assert.equal(toHex(fast.qrPayload), toHex(reference.qrPayload))
      assert.equal(safetyNumber(node, remote, local), reference.digits)
      const key33 = new Uint8Array([0x05, ...node.ed25519PublicToX25519(local.identityKey)])
      assert.equal(
        toHex(fingerprintScannableBytes(node, key33, local.id)),
        toHex(fingerprintScannableBytes(noble, key33, local.id)),
      )
    }
  })
})

describe('sender keys: node suite and noble suite make the same messages', () => {
  /** A sender key made by a suite on its own copy of one seeded Random (same keys in both). */
  function senderKey(makeSuite: (random: Random) => CryptoSuite, seed: string): SenderKeyState {
    const suite = makeSuite(seededRandom(seed))
    return createSenderKey(suite, { distributionId: suite.randomBytes(16) })
  }

  test('identical 1 KiB and empty messages; each suite verifies and decrypts the other’s', () => {
    let fastSender = senderKey(createNodeSuite, 'sender-key-fast-paths')
    let refSender = senderKey(createNobleSuite, 'sender-key-fast-paths')
    assert.equal(toHex(encodeSenderKeyState(fastSender)), toHex(encodeSenderKeyState(refSender)))
    let fastReceiver = processSenderKeyDistribution(node, senderKeyDistribution(refSender))
    let refReceiver = processSenderKeyDistribution(noble, senderKeyDistribution(fastSender))
    const random = seededRandom('sender-key-fast-paths:plaintexts')
    for (const size of [1024, 0, 1024, 37, 1024]) {
      const plaintext = random(size)
      const fast = senderKeyEncrypt(node, fastSender, plaintext)
      const ref = senderKeyEncrypt(noble, refSender, plaintext)
      assert.equal(toHex(fast.message), toHex(ref.message))
      fastSender = fast.state
      refSender = ref.state
      const byFast = senderKeyDecrypt(node, fastReceiver, ref.message)
      const byRef = senderKeyDecrypt(noble, refReceiver, fast.message)
      assert.equal(toHex(byFast.plaintext), toHex(plaintext))
      assert.equal(toHex(byRef.plaintext), toHex(plaintext))
      fastReceiver = byFast.state
      refReceiver = byRef.state
    }
  })
})

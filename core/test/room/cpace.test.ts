/**
 * CPace over ristretto255 / SHA-512 against the draft's own test vectors
 * (core/test/vectors/cpace-ristretto255.json, copied from draft-irtf-cfrg-cpace's appendix),
 * plus the abort conditions of scalar_mult_vfy.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ristretto255 } from '@noble/curves/ed25519.js'
import { seededRandom } from '../../../test/fixtures/seeded-random.ts'
import { fromHex, toHex } from '../../src/bytes.ts'
import { createNobleSuite } from '../../src/crypto/noble-suite.ts'
import { CryptoError, DecodeError } from '../../src/errors.ts'
import {
  calculateGenerator,
  generatorString,
  intermediateSessionKey,
  lvCat,
  prependLen,
  sampleScalar,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
  transcriptOc,
} from '../../src/room/cpace.ts'

const v = JSON.parse(
  readFileSync(new URL('../vectors/cpace-ristretto255.json', import.meta.url), 'utf8'),
) as Record<string, string>
const h = (name: string) => fromHex(v[name] as string)
const suite = createNobleSuite(seededRandom('cpace'))

test('prepend_len is LEB128 and lv_cat concatenates length-prefixed parts (draft appendix vectors)', () => {
  assert.equal(toHex(prependLen(new Uint8Array(0))), '00')
  assert.equal(toHex(prependLen(new Uint8Array(127))).slice(0, 2), '7f')
  assert.equal(toHex(prependLen(new Uint8Array(128))).slice(0, 4), '8001')
  const enc = new TextEncoder()
  assert.equal(
    toHex(lvCat(enc.encode('1234'), enc.encode('5'), enc.encode(''), enc.encode('678'))),
    '043132333401350003363738',
  )
})

test('the generator string, its hash and the generator match the draft vector', () => {
  assert.equal(toHex(generatorString(h('PRS'), h('CI'), h('sid'))), v.generatorString)
  assert.equal(toHex(suite.sha512(generatorString(h('PRS'), h('CI'), h('sid')))), v.generatorHash)
  assert.equal(toHex(calculateGenerator(suite, h('PRS'), h('CI'), h('sid')).toBytes()), v.g)
})

test('Ya, Yb, K and both ISKs match the draft vector', () => {
  const g = calculateGenerator(suite, h('PRS'), h('CI'), h('sid'))
  assert.equal(toHex(scalarMult(h('ya'), g)), v.Ya)
  assert.equal(toHex(scalarMult(h('yb'), g)), v.Yb)
  assert.equal(toHex(scalarMultVfy(h('ya'), h('Yb'))), v.K)
  assert.equal(toHex(scalarMultVfy(h('yb'), h('Ya'))), v.K)
  const a = { share: h('Ya'), ad: h('ADa') }
  const b = { share: h('Yb'), ad: h('ADb') }
  assert.equal(toHex(transcriptIr(a, b)), v.transcriptIr)
  assert.equal(toHex(transcriptOc(a, b)), v.transcriptOc)
  assert.equal(toHex(transcriptOc(b, a)), v.transcriptOc, 'ordered concatenation is symmetric')
  assert.equal(toHex(intermediateSessionKey(suite, h('sid'), h('K'), transcriptIr(a, b))), v.iskIr)
  assert.equal(toHex(intermediateSessionKey(suite, h('sid'), h('K'), transcriptOc(a, b))), v.iskOc)
})

test('scalar_mult_vfy aborts on the identity, a non-canonical encoding and a wrong length', () => {
  const y = sampleScalar(seededRandom('vfy'))
  assert.throws(() => scalarMultVfy(y, ristretto255.Point.ZERO.toBytes()), CryptoError)
  assert.throws(() => scalarMultVfy(y, new Uint8Array(32).fill(0xff)), CryptoError)
  assert.throws(() => scalarMultVfy(y, new Uint8Array(31)), DecodeError)
})

test('sampled scalars have the bits above 252 cleared and are never zero', () => {
  const random = seededRandom('scalars')
  for (let i = 0; i < 200; i++) {
    const s = sampleScalar(random)
    assert.equal(s.length, 32)
    assert.ok((s[31] ?? 0) < 0x10)
  }
  let calls = 0
  const zeroFirst = (n: number) => (calls++ === 0 ? new Uint8Array(n) : new Uint8Array(n).fill(1))
  assert.notDeepEqual(sampleScalar(zeroFirst), new Uint8Array(32))
})

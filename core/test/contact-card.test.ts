import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fromBase64url, toBase64url } from '../../core/src/base64url.ts'
import {
  decodeContactCard,
  encodeContactCard,
  MAX_CONTACT_CARD_CHARS,
  parseContactCard,
  signContactCard,
} from '../../core/src/contact-card.ts'
import { DecodeError, InvalidSignatureError } from '../../core/src/errors.ts'
import { generateIdentityKeyPair, userIdFromIdentityKey } from '../../core/src/identity.ts'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom, seededSuite } from '../../test/fixtures/seeded-random.ts'

const suite = seededSuite('contact-card')

function makeCard(name = 'Alice') {
  const identity = generateIdentityKeyPair(suite)
  const card = signContactCard(suite, identity, {
    userId: userIdFromIdentityKey(suite, identity.publicKey),
    identityKey: identity.publicKey,
    displayName: name,
    devicePeerId: suite.randomBytes(38),
    addrs: [new Uint8Array([4, 127, 0, 0, 1, 6, 0x1f, 0x90])],
    createdAt: 1_790_000_000_000,
  })
  return { identity, card }
}

describe('base64url', () => {
  test('round-trips every length from 0 to 64 bytes', () => {
    const random = seededRandom('b64')
    for (let n = 0; n <= 64; n++) {
      const bytes = random(n)
      assert.deepEqual(fromBase64url(toBase64url(bytes)), bytes)
    }
  })
  test('rejects characters outside the alphabet with DecodeError', () => {
    assert.throws(() => fromBase64url('ab+c'), DecodeError)
    assert.throws(() => fromBase64url('abcde'), DecodeError)
  })
})

describe('contact card', () => {
  test('a signed card survives its string form and verifies', () => {
    const { card } = makeCard('Alice ✨')
    const text = encodeContactCard(card)
    assert.ok(text.startsWith('wren:'))
    assert.ok(text.length < MAX_CONTACT_CARD_CHARS)
    const parsed = parseContactCard(suite, text)
    assert.equal(parsed.displayName, 'Alice ✨')
    assert.deepEqual(parsed.identityKey, card.identityKey)
    assert.deepEqual(
      parsed.addrs.map((a) => [...a]),
      card.addrs.map((a) => [...a]),
    )
  })

  test('a card whose name was changed on the way fails signature verification', () => {
    const { card } = makeCard()
    const forged = encodeContactCard({ ...card, displayName: 'Mallory' })
    assert.throws(() => parseContactCard(suite, forged), InvalidSignatureError)
  })

  test('a card signed by another identity key is rejected', () => {
    const { card } = makeCard()
    const other = makeCard().card
    assert.throws(
      () => parseContactCard(suite, encodeContactCard({ ...card, identityKey: other.identityKey })),
      InvalidSignatureError,
    )
  })

  test('text that is not a card gives DecodeError', () => {
    assert.throws(() => decodeContactCard('hello'), DecodeError)
    assert.throws(() => decodeContactCard(`wren:${'A'.repeat(MAX_CONTACT_CARD_CHARS)}`), DecodeError)
    assert.throws(() => decodeContactCard('wren:!!!'), DecodeError)
  })

  test('fuzzed card strings only ever give typed errors', () => {
    const sample = new TextEncoder().encode(encodeContactCard(makeCard().card))
    const decoder = new TextDecoder()
    const result = fuzzDecoder((bytes) => decodeContactCard(`wren:${toBase64url(bytes)}`), {
      seed: 'card',
      runs: 300,
      maxLength: 600,
      samples: [fromBase64url(decoder.decode(sample).slice(5))],
    })
    assert.ok(result.rejected > 0)
  })
})

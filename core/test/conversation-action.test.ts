/**
 * Conversation actions (core/src/conversation): every kind round-trips, each kind's fields are
 * required and the others refused, reactions are one emoji under the byte cap, quotes are one
 * line under the character cap, and the decoder under fuzzing (random, truncated, bit-flipped and
 * fast-check-built protobufs) throws only typed core errors, rejecting what it must.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { decodeMessageAction, encodeMessageAction, type MessageAction } from '../src/conversation/action.ts'
import {
  ACTION_DELETE,
  ACTION_EDIT,
  ACTION_PIN,
  ACTION_REACT,
  MAX_ACTION_BYTES,
  MAX_EDIT_TEXT_CHARS,
  MAX_QUOTE_CHARS,
  MAX_REACTION_BYTES,
} from '../src/conversation/constants.ts'
import { quoteOf } from '../src/conversation/quote.ts'
import { isReaction } from '../src/conversation/reaction.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError, WrenCoreError } from '../src/errors.ts'
import { MessageAction as MessageActionProto } from '../src/proto/action.ts'

const random = seededRandom('conversation-action')
const targetId = random(16)
const targetAuthor = random(16)
const sentAt = 1_760_000_000_000

const samples: MessageAction[] = [
  { kind: ACTION_REACT, targetId, targetAuthor, sentAt, emoji: '👍' },
  { kind: ACTION_REACT, targetId, targetAuthor, sentAt, emoji: '👩🏽‍❤️‍💋‍👨🏿' },
  { kind: ACTION_REACT, targetId, targetAuthor, sentAt, emoji: null },
  { kind: ACTION_EDIT, targetId, targetAuthor, sentAt, text: 'fixed the typo ✍️' },
  { kind: ACTION_DELETE, targetId, targetAuthor, sentAt },
  { kind: ACTION_PIN, targetId, targetAuthor, sentAt, pinned: true },
  { kind: ACTION_PIN, targetId, targetAuthor, sentAt, pinned: false },
]

/** Raw proto bytes, bypassing the encoder's checks (what a hostile contact could send). */
function raw(fields: Partial<Parameters<typeof MessageActionProto.encode>[0]>): Uint8Array {
  return MessageActionProto.encode({
    version: 1,
    kind: ACTION_DELETE,
    targetId: targetId as Uint8Array<ArrayBuffer>,
    targetAuthor: targetAuthor as Uint8Array<ArrayBuffer>,
    sentAt,
    text: '',
    emoji: '',
    pinned: false,
    ...fields,
  })
}

describe('message actions', () => {
  test('every kind round-trips', () => {
    for (const action of samples) assert.deepEqual(decodeMessageAction(encodeMessageAction(action)), action)
  })

  test('each kind carries only its fields: text on EDIT, emoji on REACT, the flag on PIN', () => {
    assert.throws(() => decodeMessageAction(raw({ kind: ACTION_DELETE, text: 'x' })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ kind: ACTION_PIN, emoji: '👍' })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ kind: ACTION_REACT, pinned: true })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ kind: ACTION_EDIT, text: '' })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ kind: ACTION_REACT, emoji: 'ok' })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ kind: 9 })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ version: 2 })), UnsupportedVersionError)
    assert.throws(() => decodeMessageAction(raw({ targetId: new Uint8Array(15) })), DecodeError)
    assert.throws(() => decodeMessageAction(raw({ targetAuthor: new Uint8Array(17) })), DecodeError)
  })

  test('an edit of the longest text fits the cap, one character more is refused both ways', () => {
    const longest = '😀'.repeat(MAX_EDIT_TEXT_CHARS / 2)
    const bytes = encodeMessageAction({ kind: ACTION_EDIT, targetId, targetAuthor, sentAt, text: longest })
    assert.ok(bytes.length <= MAX_ACTION_BYTES)
    assert.equal((decodeMessageAction(bytes) as { text: string }).text, longest)
    const over = `${longest}x`
    assert.throws(
      () => encodeMessageAction({ kind: ACTION_EDIT, targetId, targetAuthor, sentAt, text: over }),
      InvalidKeyError,
    )
    assert.throws(() => decodeMessageAction(raw({ kind: ACTION_EDIT, text: over })), DecodeError)
    assert.throws(() => decodeMessageAction(new Uint8Array(MAX_ACTION_BYTES + 1)), DecodeError)
  })

  test('a reaction is one emoji within the byte cap; words, two emoji, spaces and control characters are not', () => {
    for (const ok of ['👍', '❤️', '🇫🇷', '#️⃣', '👍🏿', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '👩🏽‍❤️‍💋‍👨🏿']) assert.ok(isReaction(ok), ok)
    for (const bad of ['', 'ok', '1', ' 👍', '👍👍', '👍\n', '\u0000', '\u200d', 'a👍', '🇫🇷🇫🇷'])
      assert.equal(isReaction(bad), false, JSON.stringify(bad))
    assert.equal(isReaction(`👍${'\ufe0f'.repeat(MAX_REACTION_BYTES)}`), false, 'over the byte cap')
    assert.throws(
      () => encodeMessageAction({ kind: ACTION_REACT, targetId, targetAuthor, sentAt, emoji: 'ok' }),
      InvalidKeyError,
    )
  })

  test('a quote is the first non-empty line, trimmed and cut without splitting a surrogate pair', () => {
    assert.equal(quoteOf('\n  first line  \nsecond'), 'first line')
    assert.equal(quoteOf(''), '')
    const long = `a${'😀'.repeat(MAX_QUOTE_CHARS)}`
    const quote = quoteOf(long)
    assert.ok(quote.length <= MAX_QUOTE_CHARS)
    assert.equal(quote, quote.toWellFormed())
  })

  test('the decoder under random, truncated and bit-flipped input throws only typed errors', () => {
    const { rejected } = fuzzDecoder(decodeMessageAction, {
      seed: 'message-action',
      runs: 2000,
      samples: samples.map(encodeMessageAction),
    })
    assert.ok(rejected > 0)
  })

  test('fast-check: any protobuf a contact can build decodes to a valid action or a typed refusal', () => {
    const field = fc.record({
      version: fc.constantFrom(0, 1, 2),
      kind: fc.integer({ min: 0, max: 6 }),
      targetId: fc.uint8Array({ minLength: 14, maxLength: 18 }),
      targetAuthor: fc.uint8Array({ minLength: 15, maxLength: 17 }),
      sentAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      text: fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })),
      emoji: fc.oneof(fc.constant(''), fc.constantFrom('👍', 'x', '👍👍', '🇫🇷'), fc.string({ maxLength: 4 })),
      pinned: fc.boolean(),
    })
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(field, (f) => {
        const bytes = raw(f as Parameters<typeof raw>[0])
        try {
          const action = decodeMessageAction(bytes)
          accepted++
          // what was accepted is well-formed: it re-encodes to a value that decodes the same
          assert.deepEqual(decodeMessageAction(encodeMessageAction(action)), action)
          assert.equal(f.version, 1)
          assert.equal(action.targetId.length, 16)
          if (action.kind === ACTION_REACT && action.emoji !== null) assert.ok(isReaction(action.emoji))
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error
          assert.ok(error instanceof WrenCoreError, `untyped ${(error as Error).name}`)
          refused++
        }
      }),
      { seed: 17, numRuns: 2000 },
    )
    assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}`)
  })
})

/**
 * The sent transcript (issue 18): a text we sent, copied to our own other devices. It round-trips
 * with its reply quote and forward flag; bad ids, empty or oversized text, another wire version
 * and oversized input are refused; fuzzed bytes only ever decode or fail with a typed error.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fuzzDecoder } from '../../test/fixtures/fuzz.ts'
import {
  decodeSentTranscript,
  encodeSentTranscript,
  MAX_SENT_TRANSCRIPT_BYTES,
  MAX_TRANSCRIPT_TEXT_CHARS,
} from '../src/conversation/sent-transcript.ts'
import { DecodeError, InvalidKeyError, UnsupportedVersionError } from '../src/errors.ts'
import { SentTranscript as Proto } from '../src/proto/transcript.ts'

const PEER = new Uint8Array(16).fill(7)
const ID = new Uint8Array(16).fill(9)
const SENT_AT = 1_760_000_000_000

const plain = { peerUserId: PEER, messageId: ID, text: 'reply from device 2', sentAt: SENT_AT }
const reply = {
  ...plain,
  replyTo: { id: new Uint8Array(16).fill(1), author: new Uint8Array(16).fill(2), text: 'the quote' },
  forwarded: true,
}

describe('sent transcript codec', () => {
  test('a plain text and a forwarded reply round-trip', () => {
    assert.deepEqual(decodeSentTranscript(encodeSentTranscript(plain)), plain)
    assert.deepEqual(decodeSentTranscript(encodeSentTranscript(reply)), reply)
  })

  test('ids of another length, an empty or too long text and a half quote are refused', () => {
    assert.throws(() => encodeSentTranscript({ ...plain, messageId: new Uint8Array(15) }), InvalidKeyError)
    const raw = (fields: Partial<Parameters<typeof Proto.encode>[0]>) =>
      Proto.encode({
        version: 1,
        peerUserId: PEER,
        messageId: ID,
        text: 'x',
        sentAt: SENT_AT,
        replyToId: new Uint8Array(0),
        replyToAuthor: new Uint8Array(0),
        replyToText: '',
        forwarded: false,
        ...fields,
      })
    assert.throws(() => decodeSentTranscript(raw({ peerUserId: new Uint8Array(17) })), DecodeError)
    assert.throws(() => decodeSentTranscript(raw({ text: '' })), DecodeError)
    assert.throws(
      () => decodeSentTranscript(raw({ text: 'a'.repeat(MAX_TRANSCRIPT_TEXT_CHARS + 1) })),
      DecodeError,
    )
    assert.throws(() => decodeSentTranscript(raw({ replyToId: ID })), DecodeError)
    assert.throws(() => decodeSentTranscript(raw({ version: 2 })), UnsupportedVersionError)
    assert.throws(() => decodeSentTranscript(new Uint8Array(MAX_SENT_TRANSCRIPT_BYTES + 1)), DecodeError)
  })

  test('fuzzed bytes decode to a well-formed transcript or fail with a typed error', () => {
    const { rejected } = fuzzDecoder(
      (bytes) => {
        const t = decodeSentTranscript(bytes)
        assert.equal(t.messageId.length, 16)
        assert.equal(t.peerUserId.length, 16)
        assert.ok(t.text.length > 0)
        return t
      },
      {
        seed: 'sent-transcript',
        runs: 2000,
        maxLength: 512,
        samples: [encodeSentTranscript(plain), encodeSentTranscript(reply)],
      },
    )
    assert.ok(rejected > 0)
  })
})

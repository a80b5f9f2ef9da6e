/**
 * Texts cross the wire byte for byte: mixed ASCII/emoji texts of every length around each
 * 8,192-unit boundary (where protons-runtime's own UTF-8 decoder loses track of surrogate pairs)
 * and across 8,000..65,536 round-trip through the 1:1 and group content codecs unchanged, and
 * re-encode to the same bytes.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mixedText } from '../../test/fixtures/mixed-text.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { MAX_GROUP_TEXT_BYTES } from '../src/groups/constants.ts'
import {
  decodeContent as decodeGroupContent,
  encodeContent as encodeGroupContent,
} from '../src/groups/wire.ts'
import { CONTENT_KIND_TEXT, decodeContent, encodeContent, MAX_TEXT_CHARS } from '../src/messaging/content.ts'

/** protons-runtime decodes strings in chunks of this many UTF-16 units. */
const RUNTIME_CHUNK_UNITS = 8192
/** Lengths tried on each side of every chunk boundary. */
const BOUNDARY_WINDOW = 24
/** Stride of the sweep over the whole range (prime, so it lands on every alignment). */
const SWEEP_STRIDE = 97
const MIN_LENGTH = 8000

function lengths(): number[] {
  const out = new Set<number>()
  for (let edge = RUNTIME_CHUNK_UNITS; edge <= MAX_TEXT_CHARS; edge += RUNTIME_CHUNK_UNITS) {
    for (let d = -BOUNDARY_WINDOW; d <= BOUNDARY_WINDOW; d++)
      if (edge + d >= MIN_LENGTH && edge + d <= MAX_TEXT_CHARS) out.add(edge + d)
  }
  for (let n = MIN_LENGTH; n <= MAX_TEXT_CHARS; n += SWEEP_STRIDE) out.add(n)
  out.add(MAX_TEXT_CHARS - 1)
  out.add(MAX_TEXT_CHARS)
  return [...out].sort((a, b) => a - b)
}

const random = seededRandom('text-utf8')
const messageId = random(16)
const senderUserId = random(16)
const groupId = random(16)

describe('long mixed texts through the content codecs', () => {
  const all = lengths()

  test(`1:1 content: ${all.length} lengths from ${MIN_LENGTH} to ${MAX_TEXT_CHARS} arrive unchanged`, () => {
    const broken: string[] = []
    for (const length of all) {
      const text = mixedText(`dm:${length}`, length)
      assert.equal(text.length, length)
      const bytes = encodeContent({
        kind: CONTENT_KIND_TEXT,
        messageId,
        text,
        sentAt: 1,
        receiptIds: [],
        senderUserId,
        senderName: 'Ada 🐦',
        succession: null,
      })
      let decoded: string
      try {
        decoded = decodeContent(bytes).text
      } catch (err) {
        broken.push(`${length}: ${(err as Error).message}`)
        continue
      }
      if (decoded !== text) {
        broken.push(`${length}: arrived as ${decoded.length} units`)
        continue
      }
      const again = encodeContent({ ...decodeContent(bytes) })
      assert.deepEqual(again, bytes, `${length}: re-encoding changed the bytes`)
    }
    assert.deepEqual(broken.slice(0, 10), [], `${broken.length} of ${all.length} lengths broke`)
  })

  test('group content: the same lengths (up to the group byte cap) arrive unchanged', () => {
    const broken: string[] = []
    for (const length of all) {
      const text = mixedText(`grp:${length}`, length)
      if (new TextEncoder().encode(text).length > MAX_GROUP_TEXT_BYTES) continue
      const bytes = encodeGroupContent({ messageId, text, sentAt: 1, groupId, epoch: 0 })
      let decoded: string
      try {
        decoded = decodeGroupContent(bytes).text
      } catch (err) {
        broken.push(`${length}: ${(err as Error).message}`)
        continue
      }
      if (decoded !== text) broken.push(`${length}: arrived as ${decoded.length} units`)
    }
    assert.deepEqual(broken.slice(0, 10), [], `${broken.length} lengths broke`)
  })
})

/**
 * Long texts between two real daemons arrive exactly as written: mixed ASCII/emoji texts that
 * cross protons-runtime's 8,192-unit decoding chunk (the lengths an outside audit saw corrupted
 * or refused), and texts of the documented maximum (MAX_TEXT_CHARS UTF-16 units, emoji and CJK)
 * are delivered and stored byte for byte, and the sender sees them delivered.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { MAX_TEXT_CHARS } from '../node/src/rpc/api.ts'
import { type ChatPeer, startPair, waitForEvent } from './fixtures/chat.ts'
import { mixedText } from './fixtures/mixed-text.ts'

const CASES: Array<{ name: string; text: string }> = [
  { name: 'mixed, 16,385 units', text: mixedText('e2e:16385', 16_385) },
  { name: 'mixed, 40,001 units', text: mixedText('e2e:40001', 40_001) },
  { name: 'mixed, 65,535 units', text: mixedText('e2e:65535', 65_535) },
  { name: `mixed, the maximum ${MAX_TEXT_CHARS} units`, text: mixedText('e2e:max', MAX_TEXT_CHARS) },
  { name: `emoji only, ${MAX_TEXT_CHARS} units`, text: '🐦'.repeat(MAX_TEXT_CHARS / 2) },
  { name: `CJK, ${MAX_TEXT_CHARS} units (3 bytes each)`, text: '語'.repeat(MAX_TEXT_CHARS) },
]

/** A short description of where two texts first differ, instead of a 64 Ki-character diff. */
function firstDifference(got: string, want: string): string {
  let i = 0
  while (i < got.length && i < want.length && got.charCodeAt(i) === want.charCodeAt(i)) i++
  const unit = (s: string) => (i < s.length ? `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}` : 'end')
  return `length ${got.length} (sent ${want.length}), first difference at ${i}: ${unit(got)} for ${unit(want)}`
}

describe('long texts between two daemons', () => {
  let alice: ChatPeer
  let bob: ChatPeer

  before(async () => {
    ;({ alice, bob } = await startPair())
  })
  after(async () => {
    await Promise.allSettled([alice?.stop(), bob?.stop()])
  })

  for (const { name, text } of CASES) {
    test(`${name}: arrives identical, is stored identical, and shows delivered`, async () => {
      const received = waitForEvent(bob.client, 'message.received', () => true)
      const settled = waitForEvent(
        alice.client,
        'message.status',
        (p) => p.status === 'delivered' || p.status === 'failed',
      )
      const { message } = await alice.client.call('messages.send', {
        conversationId: `dm:${bob.userId}`,
        text,
      })
      const got = (await received).message
      assert.ok(got.text === text, firstDifference(got.text, text))
      const status = await settled
      assert.deepEqual([status.messageId, status.status], [message.id, 'delivered'])
      const page = await bob.client.call('messages.list', { conversationId: `dm:${alice.userId}`, limit: 1 })
      const stored = page.messages.at(-1)?.text ?? ''
      assert.ok(stored === text, firstDifference(stored, text))
    })
  }
})

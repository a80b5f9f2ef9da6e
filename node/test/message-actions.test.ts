/**
 * The rules of actions on a message (node/src/messaging/apply-action.ts), which sender and
 * receiver both run, and the 1:1 Content decoder's new fields (reply quote, forwarded flag,
 * action) under fast-check: only typed refusals, and what is accepted is well-formed.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import type { MessageAction } from '../../core/src/conversation/action.ts'
import {
  ACTION_DELETE,
  ACTION_EDIT,
  ACTION_PIN,
  ACTION_REACT,
  DELETE_WINDOW_MS,
  EDIT_WINDOW_MS,
  MAX_QUOTE_CHARS,
} from '../../core/src/conversation/constants.ts'
import { WrenCoreError } from '../../core/src/errors.ts'
import { applyAction, MAX_EDITS_PER_MESSAGE } from '../src/messaging/apply-action.ts'
import {
  CONTENT_KIND_ACTION,
  CONTENT_KIND_APP,
  CONTENT_KIND_READ_RECEIPT,
  CONTENT_KIND_TEXT,
  decodeContent,
} from '../src/messaging/content.ts'
import { Content as ContentProto } from '../src/messaging/proto/content.ts'
import type { MessageRecord } from '../src/messaging/records.ts'

const T0 = 1_760_000_000_000
const ALICE = 'alice'
const BOB = 'bob'
const base = { targetId: new Uint8Array(16), targetAuthor: new Uint8Array(16) }
const message: MessageRecord = {
  id: '00'.repeat(16),
  conversationId: 'dm:bob',
  seq: 3,
  direction: 'out',
  sender: ALICE,
  text: 'first',
  sentAt: T0,
  receivedAt: null,
  status: 'delivered',
  receipts: 1,
  replyTo: { messageId: '11'.repeat(16), sender: BOB, text: 'quoted' },
  attachment: { fileId: 'ab', name: 'a.txt', size: 1, mediaType: 'text/plain' },
}
const edit = (text: string, sentAt: number): MessageAction => ({ ...base, kind: ACTION_EDIT, text, sentAt })

describe('actions on a message', () => {
  test('only the author edits, within the window, in order, up to the cap; old texts are kept', () => {
    assert.deepEqual(applyAction(message, BOB, edit('x', T0 + 1)), { kind: 'refused', reason: 'not-author' })
    assert.deepEqual(applyAction(message, ALICE, edit('x', T0 + EDIT_WINDOW_MS + 1)), {
      kind: 'refused',
      reason: 'edit-window-closed',
    })
    assert.deepEqual(applyAction(message, ALICE, edit('x', T0 - 1)), {
      kind: 'refused',
      reason: 'edit-window-closed',
    })
    let current = message
    for (let i = 1; i <= MAX_EDITS_PER_MESSAGE; i++) {
      const outcome = applyAction(current, ALICE, edit(`v${i}`, T0 + i))
      assert.equal(outcome.kind, 'applied')
      if (outcome.kind === 'applied') current = outcome.message
    }
    assert.equal(current.text, `v${MAX_EDITS_PER_MESSAGE}`)
    assert.deepEqual(current.edits?.[0], { text: 'first', replacedAt: T0 + 1 })
    assert.deepEqual(applyAction(current, ALICE, edit('again', T0 + 100)), {
      kind: 'refused',
      reason: 'too-many-edits',
    })
    const once = applyAction(message, ALICE, edit('later', T0 + 10))
    assert.ok(once.kind === 'applied')
    assert.deepEqual(applyAction(once.message, ALICE, edit('earlier', T0 + 5)), {
      kind: 'refused',
      reason: 'stale',
    })
  })

  test('delete for everyone: author only, in the window; the tombstone holds no text, edits, quote, reactions or file', () => {
    const del = (sentAt: number): MessageAction => ({ ...base, kind: ACTION_DELETE, sentAt })
    assert.deepEqual(applyAction(message, BOB, del(T0 + 1)), { kind: 'refused', reason: 'not-author' })
    assert.deepEqual(applyAction(message, ALICE, del(T0 + DELETE_WINDOW_MS + 1)), {
      kind: 'refused',
      reason: 'delete-window-closed',
    })
    const edited = applyAction(message, ALICE, edit('second', T0 + 1))
    assert.ok(edited.kind === 'applied')
    const reacted = applyAction(edited.message, BOB, {
      ...base,
      kind: ACTION_REACT,
      emoji: '👍',
      sentAt: T0 + 2,
    })
    assert.ok(reacted.kind === 'applied')
    const outcome = applyAction(reacted.message, ALICE, del(T0 + 3))
    assert.ok(outcome.kind === 'applied')
    const json = JSON.stringify(outcome.message)
    for (const gone of ['first', 'second', 'quoted', '👍', 'a.txt']) assert.ok(!json.includes(gone), gone)
    assert.equal(outcome.message.deletedAt, T0 + 3)
    assert.deepEqual(applyAction(outcome.message, ALICE, del(T0 + 4)), { kind: 'unchanged' })
    assert.deepEqual(
      applyAction(outcome.message, BOB, { ...base, kind: ACTION_REACT, emoji: '👍', sentAt: T0 + 5 }),
      {
        kind: 'refused',
        reason: 'deleted',
      },
    )
  })

  test('one reaction per person, replaced and removed; pins set and cleared by either side', () => {
    const react = (who: string, emoji: string | null) =>
      applyAction(message, who, { ...base, kind: ACTION_REACT, emoji, sentAt: T0 + 1 })
    const first = react(BOB, '👍')
    assert.ok(first.kind === 'applied')
    const changed = applyAction(first.message, BOB, {
      ...base,
      kind: ACTION_REACT,
      emoji: '❤️',
      sentAt: T0 + 2,
    })
    assert.ok(changed.kind === 'applied')
    assert.deepEqual(
      changed.message.reactions?.map((r) => [r.sender, r.emoji]),
      [[BOB, '❤️']],
    )
    const removed = applyAction(changed.message, BOB, {
      ...base,
      kind: ACTION_REACT,
      emoji: null,
      sentAt: T0 + 3,
    })
    assert.ok(removed.kind === 'applied')
    assert.equal(removed.message.reactions, undefined)
    assert.deepEqual(react(BOB, null), { kind: 'unchanged' })
    const pinned = applyAction(message, BOB, { ...base, kind: ACTION_PIN, pinned: true, sentAt: T0 + 1 })
    assert.ok(pinned.kind === 'applied')
    assert.deepEqual(pinned.message.pinned, { by: BOB, at: T0 + 1 })
    const unpinned = applyAction(pinned.message, ALICE, {
      ...base,
      kind: ACTION_PIN,
      pinned: false,
      sentAt: T0 + 2,
    })
    assert.ok(unpinned.kind === 'applied')
    assert.equal(unpinned.message.pinned, undefined)
  })

  test('fast-check: the Content decoder takes reply quotes, forwards and actions only where they belong', () => {
    const bytes16 = fc.uint8Array({ minLength: 15, maxLength: 17 })
    const fields = fc.record({
      kind: fc.constantFrom(
        CONTENT_KIND_TEXT,
        CONTENT_KIND_READ_RECEIPT,
        CONTENT_KIND_APP,
        CONTENT_KIND_ACTION,
        9,
      ),
      text: fc.constantFrom('', 'hi'),
      replyToId: fc.oneof(fc.constant(new Uint8Array(0)), bytes16),
      replyToAuthor: fc.oneof(fc.constant(new Uint8Array(0)), bytes16),
      replyToText: fc.oneof(
        fc.constant(''),
        fc.string({ maxLength: 8 }),
        fc.constant('q'.repeat(MAX_QUOTE_CHARS + 1)),
      ),
      forwarded: fc.boolean(),
      action: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 1, maxLength: 40 })),
      appKind: fc.constantFrom(0, 7),
    })
    let accepted = 0
    let refused = 0
    fc.assert(
      fc.property(fields, (f) => {
        const bytes = ContentProto.encode({
          version: 1,
          kind: f.kind,
          messageId: new Uint8Array(16),
          text: f.text,
          sentAt: T0,
          receiptIds: [],
          senderUserId: new Uint8Array(16),
          senderName: 'x',
          senderOriginIdentityKey: new Uint8Array(0),
          senderSuccessionSignature: new Uint8Array(0),
          appKind: f.appKind,
          appPayload: new Uint8Array(0),
          attachment: new Uint8Array(0),
          replyToId: f.replyToId as Uint8Array<ArrayBuffer>,
          replyToAuthor: f.replyToAuthor as Uint8Array<ArrayBuffer>,
          replyToText: f.replyToText,
          forwarded: f.forwarded,
          action: f.action as Uint8Array<ArrayBuffer>,
        })
        try {
          const content = decodeContent(bytes)
          accepted++
          if (content.replyTo !== undefined) {
            assert.equal(content.kind, CONTENT_KIND_TEXT)
            assert.equal(content.replyTo.id.length, 16)
            assert.equal(content.replyTo.author.length, 16)
            assert.ok(content.replyTo.text.length <= MAX_QUOTE_CHARS)
          }
          if (content.forwarded) assert.equal(content.kind, CONTENT_KIND_TEXT)
          assert.equal(content.action !== undefined, content.kind === CONTENT_KIND_ACTION)
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error
          assert.ok(error instanceof WrenCoreError, `untyped ${(error as Error).name}`)
          refused++
        }
      }),
      { seed: 1717, numRuns: 3000 },
    )
    assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}`)
  })
})

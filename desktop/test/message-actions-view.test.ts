import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Conversation, Message } from '../../node/src/rpc/api.ts'
import { buildChatRows } from '../src/logic/chat-rows.ts'
import { previewText } from '../src/logic/conversations.ts'
import {
  actionsFor,
  applyUpdate,
  DELETE_WINDOW_MS,
  EDIT_WINDOW_MS,
  firstLine,
  forwardTargets,
  MAX_EDITS,
  myReaction,
  pinnedMessages,
  quoteView,
  reactionChips,
  removeMessage,
  shortText,
  toggledReaction,
} from '../src/logic/message-actions.ts'

const ALICE = 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa'
const BOB = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const CAROL = 'wucccccccccccccccccccccccccc'
const T0 = Date.UTC(2026, 2, 12, 12, 0, 0)
const MIN = 60_000

function msg(seq: number, direction: 'in' | 'out', extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversationId: `dm:${BOB}`,
    seq,
    direction,
    sender: direction === 'in' ? BOB : ALICE,
    text: `text ${seq}`,
    sentAt: T0 + seq * MIN,
    receivedAt: direction === 'in' ? T0 + seq * MIN : null,
    status: direction === 'in' ? 'delivered' : 'sent',
    receipts: 0,
    ...extra,
  }
}

const names = (id: string) => (id === BOB ? 'Bob' : id === CAROL ? 'Carol' : 'someone')

describe('which actions a message offers', () => {
  test('our own fresh message in a direct chat offers everything; its edit closes after 24 h', () => {
    const m = msg(1, 'out')
    const now = m.sentAt + MIN
    assert.deepEqual(actionsFor(m, true, now), {
      reply: true,
      react: true,
      edit: true,
      deleteForEveryone: true,
      deleteForMe: true,
      forward: true,
      pin: 'pin',
      copy: true,
    })
    const late = actionsFor(m, true, m.sentAt + EDIT_WINDOW_MS + 1)
    assert.equal(late.edit, false)
    assert.equal(actionsFor(m, true, m.sentAt + DELETE_WINDOW_MS + 1).deleteForEveryone, false)
    assert.equal(late.reply, true, 'replies, reactions and pins have no window')
  })

  test('their message cannot be edited or deleted for everyone, only for me', () => {
    const can = actionsFor(msg(2, 'in'), true, T0 + 3 * MIN)
    assert.equal(can.edit, false)
    assert.equal(can.deleteForEveryone, false)
    assert.equal(can.deleteForMe, true)
    assert.equal(can.react, true)
  })

  test('an eleventh edit is not offered (the daemon keeps ten)', () => {
    const edits = Array.from({ length: MAX_EDITS }, (_, i) => ({ text: `v${i}`, replacedAt: T0 + i }))
    assert.equal(actionsFor(msg(1, 'out', { edits }), true, T0 + 2 * MIN).edit, false)
    assert.equal(actionsFor(msg(1, 'out', { edits: edits.slice(1) }), true, T0 + 2 * MIN).edit, true)
  })

  test('a tombstone offers only delete for me, and unpin when a pin stayed on it', () => {
    const dead = msg(1, 'out', { text: '', deletedAt: T0 + 2 * MIN })
    assert.deepEqual(actionsFor(dead, true, T0 + 3 * MIN), {
      reply: false,
      react: false,
      edit: false,
      deleteForEveryone: false,
      deleteForMe: true,
      forward: false,
      pin: null,
      copy: false,
    })
    const pinnedDead = { ...dead, pinned: { by: BOB, at: T0 } }
    assert.equal(actionsFor(pinnedDead, true, T0 + 3 * MIN).pin, 'unpin')
  })

  test('where actions cannot be sent (a group we left) only copying is offered', () => {
    const can = actionsFor(msg(1, 'in'), false, T0 + 2 * MIN)
    assert.equal(can.copy, true)
    for (const k of ['reply', 'react', 'edit', 'deleteForEveryone', 'deleteForMe', 'forward'] as const)
      assert.equal(can[k], false, k)
    assert.equal(can.pin, null)
  })

  test('a file can be replied to but not edited or forwarded; a call line takes no reply', () => {
    const file = msg(1, 'out', {
      text: '',
      attachment: { fileId: 'ab', name: 'a.pdf', size: 3, mediaType: 'x' },
    })
    const can = actionsFor(file, true, T0 + 2 * MIN)
    assert.equal(can.reply, true)
    assert.equal(can.edit, false)
    assert.equal(can.forward, false)
    assert.equal(can.copy, false, 'no text to copy')
    const call = msg(2, 'out', {
      text: 'Outgoing call',
      call: { callId: '0'.repeat(32), kind: 'outgoing', durationMs: 0, endReason: 'hangup' },
    })
    assert.equal(actionsFor(call, true, T0 + 3 * MIN).reply, false)
    assert.equal(actionsFor(call, true, T0 + 3 * MIN).copy, false)
  })
})

describe('reactions', () => {
  const reacted = msg(1, 'in', {
    reactions: [
      { sender: CAROL, emoji: '👍', at: T0 + 5 },
      { sender: ALICE, emoji: '❤️', at: T0 + 9 },
      { sender: BOB, emoji: '👍', at: T0 + 1 },
    ],
  })

  test('one chip per emoji in the order each was first used, ours marked', () => {
    assert.deepEqual(reactionChips(reacted, ALICE), [
      { emoji: '👍', count: 2, mine: false, senders: [BOB, CAROL] },
      { emoji: '❤️', count: 1, mine: true, senders: [ALICE] },
    ])
    assert.deepEqual(reactionChips(msg(2, 'in'), ALICE), [])
  })

  test('choosing our own emoji again removes it; another emoji replaces it', () => {
    assert.equal(myReaction(reacted, ALICE), '❤️')
    assert.equal(toggledReaction(reacted, ALICE, '❤️'), null)
    assert.equal(toggledReaction(reacted, ALICE, '👍'), '👍')
    assert.equal(toggledReaction(reacted, CAROL, '👍'), null)
    assert.equal(myReaction(msg(2, 'in'), ALICE), null)
  })
})

describe('quotes, pins and short texts', () => {
  test('a quote names the author (You for ours) and shows the first non-empty line, cut with an ellipsis', () => {
    const reply = msg(3, 'in', {
      replyTo: { messageId: 'm1', sender: ALICE, text: '\n  first line  \nsecond' },
    })
    assert.deepEqual(quoteView(reply, ALICE, names), {
      messageId: 'm1',
      author: 'You',
      text: 'first line',
      deleted: false,
    })
    assert.equal(quoteView(reply, CAROL, names)?.author, 'someone')
    assert.equal(firstLine('x'.repeat(200), 10), `${'x'.repeat(9)}…`)
    assert.equal(firstLine('😀'.repeat(12), 10), `${'😀'.repeat(9)}…`, 'cut by characters, not UTF-16 units')
  })

  test('the quote of a deleted original says so; a deleted reply shows no quote', () => {
    const reply = msg(3, 'out', { replyTo: { messageId: 'm1', sender: BOB, text: '' } })
    assert.deepEqual(quoteView(reply, ALICE, names), {
      messageId: 'm1',
      author: 'Bob',
      text: 'Deleted message',
      deleted: true,
    })
    assert.equal(quoteView({ ...reply, deletedAt: T0 }, ALICE, names), null)
    assert.equal(quoteView(msg(4, 'out'), ALICE, names), null)
  })

  test('pinned messages come most recently pinned first', () => {
    const a = msg(1, 'in', { pinned: { by: BOB, at: T0 + 100 } })
    const b = msg(2, 'out', { pinned: { by: ALICE, at: T0 + 200 } })
    assert.deepEqual(
      pinnedMessages([a, msg(3, 'in'), b]).map((m) => m.id),
      ['m2', 'm1'],
    )
  })

  test('short texts: a tombstone, a file without caption, else the first line', () => {
    assert.equal(shortText(msg(1, 'in', { text: '', deletedAt: T0 })), 'Deleted message')
    const file = msg(2, 'in', {
      text: '',
      attachment: { fileId: 'a', name: 'plan.pdf', size: 1, mediaType: 'x' },
    })
    assert.equal(shortText(file), 'plan.pdf')
    assert.equal(shortText(msg(3, 'in', { text: 'one\ntwo' })), 'one')
  })

  test('a reply row knows whether its original is loaded (its quote jumps only then)', () => {
    const rows = buildChatRows(
      [
        msg(1, 'in'),
        msg(2, 'out', { replyTo: { messageId: 'm1', sender: BOB, text: 'text 1' } }),
        msg(3, 'out', { replyTo: { messageId: 'gone', sender: BOB, text: 'older' } }),
      ],
      null,
    )
    const loaded = rows.flatMap((r) => (r.kind === 'message' ? [[r.key, r.quoteLoaded]] : []))
    assert.deepEqual(loaded, [
      ['m1', false],
      ['m2', true],
      ['m3', false],
    ])
  })
})

describe('live updates', () => {
  test('an edit replaces the loaded message but keeps a status that moved on meanwhile', () => {
    const before = [msg(1, 'out', { status: 'read', receipts: 1 }), msg(2, 'in')]
    const edited = msg(1, 'out', { text: 'fixed', editedAt: T0 + 9, status: 'delivered' })
    const after = applyUpdate(before, { messageId: 'm1', change: 'edit', message: edited })
    assert.equal(after[0]!.text, 'fixed')
    assert.equal(after[0]!.editedAt, T0 + 9)
    assert.equal(after[0]!.status, 'read')
    assert.equal(after[1], before[1], 'other messages are the same objects')
  })

  test('an update for a message that is not loaded changes nothing (same array)', () => {
    const before = [msg(1, 'out')]
    assert.equal(applyUpdate(before, { messageId: 'm9', change: 'reaction', message: msg(9, 'in') }), before)
  })

  test('a message with the same id from another sender is not touched (ids are unique per sender)', () => {
    const before = [msg(1, 'out')]
    const theirs = { ...msg(1, 'in'), text: 'x' }
    assert.equal(applyUpdate(before, { messageId: 'm1', change: 'edit', message: theirs }), before)
  })

  test('a delete for everyone leaves a tombstone and empties the quotes of loaded replies', () => {
    const before = [
      msg(1, 'in'),
      msg(2, 'out', { replyTo: { messageId: 'm1', sender: BOB, text: 'text 1' } }),
      msg(3, 'out', { replyTo: { messageId: 'm0', sender: BOB, text: 'other' } }),
    ]
    const tomb = msg(1, 'in', { text: '', deletedAt: T0 + 5 })
    const after = applyUpdate(before, { messageId: 'm1', change: 'delete', message: tomb })
    assert.equal(after[0]!.deletedAt, T0 + 5)
    assert.equal(after[0]!.text, '')
    assert.equal(after[1]!.replyTo?.text, '')
    assert.equal(after[2], before[2])
  })

  test('delete for me removes the message and empties the quotes of replies to it', () => {
    const before = [
      msg(1, 'in'),
      msg(2, 'out', { replyTo: { messageId: 'm1', sender: BOB, text: 'text 1' } }),
    ]
    const after = removeMessage(before, 'm1')
    assert.deepEqual(
      after.map((m) => m.id),
      ['m2'],
    )
    assert.equal(after[0]!.replyTo?.text, '')
    assert.equal(removeMessage(before, 'nope'), before)
  })
})

describe('the chat list preview', () => {
  test('a deleted last message reads "Message deleted"; a file without caption shows its name', () => {
    const c = (m: Message): Conversation => ({
      id: `dm:${BOB}`,
      kind: 'direct',
      peerUserId: BOB,
      groupId: null,
      title: 'Bob',
      lastMessage: m,
      unread: 0,
      updatedAt: T0,
    })
    assert.equal(previewText(c(msg(1, 'in', { text: '', deletedAt: T0 }))), 'Message deleted')
    assert.equal(previewText(c(msg(2, 'out', { text: '', deletedAt: T0 }))), 'You: Message deleted')
    const file = msg(3, 'in', {
      text: '',
      attachment: { fileId: 'a', name: 'plan.pdf', size: 1, mediaType: 'x' },
    })
    assert.equal(previewText(c(file)), 'plan.pdf')
    assert.equal(previewText(c(msg(4, 'in', { text: 'edited  text' }))), 'edited text')
  })
})

describe('forward targets', () => {
  const conv = (
    id: string,
    title: string,
    updatedAt: number,
    kind: 'direct' | 'group' = 'direct',
  ): Conversation => ({
    id,
    kind,
    peerUserId: kind === 'direct' ? id.slice(3) : null,
    groupId: kind === 'group' ? id.slice(2) : null,
    title,
    lastMessage: null,
    unread: 0,
    updatedAt,
  })

  test('direct chats and open groups, filtered by every word of the query, most recent first', () => {
    const list = [
      conv(`dm:${BOB}`, 'Bob Builder', 1),
      conv(`dm:${CAROL}`, 'Carol', 3),
      conv('g:x', 'Bob’s group', 9, 'group'),
      conv('g:y', 'Old crew', 7, 'group'),
    ]
    assert.deepEqual(
      forwardTargets(list, '', new Set(['g:y'])).map((c) => c.title),
      ['Bob’s group', 'Carol', 'Bob Builder'],
    )
    assert.deepEqual(
      forwardTargets(list, 'bob').map((c) => c.title),
      ['Bob’s group', 'Bob Builder'],
    )
    assert.deepEqual(forwardTargets(list, 'zed'), [])
  })
})

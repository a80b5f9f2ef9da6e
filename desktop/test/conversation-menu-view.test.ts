import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Conversation } from '../../node/src/rpc/api.ts'
import {
  AUTO_LOCK_CHOICES,
  archivedCount,
  conversationMenu,
  listedConversations,
  TIMER_CHOICES,
  timerLabel,
} from '../src/logic/conversation-menu.ts'

function conv(id: string, extra: Partial<Conversation> = {}): Conversation {
  return {
    id,
    kind: 'direct',
    peerUserId: 'wubbbbbbbbbbbbbbbbbbbbbbbbbb',
    groupId: null,
    title: id,
    lastMessage: null,
    unread: 0,
    updatedAt: 1,
    ...extra,
  }
}

describe('conversation menu', () => {
  test('a direct chat offers mute, archive, mark unread, the timer (naming the current one) and delete', () => {
    assert.deepEqual(
      conversationMenu(conv('a'), 300).map((i) => i.label),
      ['Mute', 'Archive', 'Mark as unread', 'Disappearing messages: 5 minutes…', 'Delete chat…'],
    )
    assert.equal(conversationMenu(conv('a'), undefined)[3]?.label, 'Disappearing messages…')
  })

  test('the flags flip the items; unread or marked chats offer no mark; groups offer the timer too', () => {
    const labels = conversationMenu(
      conv('g', { kind: 'group', muted: true, archived: true, unread: 2 }),
      undefined,
    ).map((i) => i.label)
    assert.deepEqual(labels, ['Unmute', 'Unarchive', 'Disappearing messages…', 'Delete chat…'])
    assert.equal(
      conversationMenu(conv('a', { markedUnread: true }), 0).some((i) => i.action === 'unread'),
      false,
    )
    assert.equal(conversationMenu(conv('a'), 0).at(-1)?.danger, true)
  })

  test('archived chats show only in the Archived view', () => {
    const list = [conv('a'), conv('b', { archived: true }), conv('c', { archived: false })]
    assert.deepEqual(
      listedConversations(list, false).map((c) => c.id),
      ['a', 'c'],
    )
    assert.deepEqual(
      listedConversations(list, true).map((c) => c.id),
      ['b'],
    )
    assert.equal(archivedCount(list), 1)
  })

  test('timer and auto-lock choices stay within the daemon’s ranges; labels read in whole units', () => {
    for (const t of TIMER_CHOICES) assert.ok(t.seconds === 0 || (t.seconds >= 5 && t.seconds <= 28 * 86400))
    for (const c of AUTO_LOCK_CHOICES)
      assert.ok(c.minutes === null || (c.minutes >= 1 && c.minutes <= 7 * 24 * 60))
    assert.equal(timerLabel(0), 'Off')
    assert.equal(timerLabel(5), '5 seconds')
    assert.equal(timerLabel(120), '2 minutes')
    assert.equal(timerLabel(2 * 86400), '2 days')
    assert.equal(timerLabel(3600), '1 hour')
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Contact, Conversation } from '../../node/src/rpc/api.ts'
import {
  applyPresence,
  applyTyping,
  chatSubtitle,
  groupTypingWords,
  lastSeenWords,
  onlineDot,
  TYPING_IDLE_MS,
  TYPING_RENEW_MS,
  type TypingMap,
  TypingSender,
  typingIn,
} from '../src/logic/presence.ts'
import { snippetParts } from '../src/logic/search.ts'

const BOB = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const DM = `dm:${BOB}`
// local noon, so that "today" and "yesterday" hold in any time zone
const T0 = new Date(2026, 2, 12, 12, 0).getTime()
const MIN = 60_000

function contact(extra: Partial<Contact> = {}): Contact {
  return {
    userId: BOB,
    displayName: 'Bob',
    identityKey: 'ab'.repeat(32),
    verified: false,
    keyChanged: false,
    online: false,
    addedAt: 1,
    ...extra,
  }
}

const direct: Conversation = {
  id: DM,
  kind: 'direct',
  peerUserId: BOB,
  groupId: null,
  title: 'Bob',
  lastMessage: null,
  unread: 0,
  updatedAt: 1,
}

describe('typing indicators', () => {
  test('typing: true shows until its expiresAt or a typing: false from the same person', () => {
    let map: TypingMap = new Map()
    map = applyTyping(map, { conversationId: DM, userId: BOB, typing: true, expiresAt: T0 + 6_000 })
    assert.equal(typingIn(map, DM, T0), true)
    assert.equal(typingIn(map, DM, T0 + 6_000), false, 'lapsed')
    assert.equal(typingIn(map, 'dm:other', T0), false)
    const same = applyTyping(map, { conversationId: DM, userId: 'wuzz', typing: false, expiresAt: null })
    assert.equal(same, map, 'a stop from someone else changes nothing')
    map = applyTyping(map, { conversationId: DM, userId: BOB, typing: false, expiresAt: null })
    assert.equal(typingIn(map, DM, T0), false)
  })

  test('a group chat names who types, until it lapses', () => {
    const group = `grp:${'0f'.repeat(16)}`
    const map = applyTyping(new Map(), {
      conversationId: group,
      userId: BOB,
      typing: true,
      expiresAt: T0 + 6_000,
    })
    const names = (u: string) => (u === BOB ? 'Bob' : undefined)
    assert.equal(groupTypingWords(map, group, T0, names), 'Bob is typing…')
    assert.equal(groupTypingWords(map, group, T0 + 6_000, names), null, 'lapsed')
    assert.equal(
      groupTypingWords(map, group, T0, () => undefined),
      'Someone is typing…',
    )
    assert.equal(groupTypingWords(map, DM, T0, names), null)
  })

  test('the page says true on the first keystroke, renews it while typing goes on, and false at the end', () => {
    const s = new TypingSender()
    assert.equal(s.input(true, T0), true)
    assert.equal(s.input(true, T0 + 1_000), null, 'within the renew interval')
    assert.equal(s.input(true, T0 + TYPING_RENEW_MS), true, 'renewed')
    assert.equal(s.idle(T0 + TYPING_RENEW_MS + 1_000), null, 'still typing')
    assert.equal(s.idle(T0 + TYPING_RENEW_MS + TYPING_IDLE_MS), false, 'stopped typing')
    assert.equal(s.idle(T0 + TYPING_RENEW_MS + 2 * TYPING_IDLE_MS), null, 'said once')
    assert.equal(s.input(true, T0 + 20_000), true)
    assert.equal(s.input(false, T0 + 20_500), false, 'the box emptied')
    assert.equal(s.stop(), null)
  })
})

describe('presence', () => {
  test('the dot follows presence once loaded, the connection flag before', () => {
    const contacts = new Map([[BOB, contact({ online: true })]])
    assert.equal(onlineDot(direct, contacts, null), true)
    assert.equal(onlineDot(direct, contacts, new Map()), false, 'loaded, not online: a hidden presence')
    const online = applyPresence(null, { userId: BOB, online: true, lastSeen: null })
    assert.equal(onlineDot(direct, new Map(), online), true)
    assert.equal(onlineDot({ ...direct, kind: 'group', peerUserId: null }, contacts, online), false)
  })

  test('the header says typing, then online, then last seen, each with the trust line', () => {
    const verified = contact({ verified: true })
    assert.equal(chatSubtitle(verified, { userId: BOB, online: true, lastSeen: null }, true, T0), 'typing…')
    assert.equal(
      chatSubtitle(verified, { userId: BOB, online: true, lastSeen: null }, false, T0),
      'online · Verified',
    )
    assert.equal(
      chatSubtitle(verified, { userId: BOB, online: false, lastSeen: T0 - 5 * MIN }, false, T0),
      'last seen 5 min ago · Verified',
    )
    assert.equal(
      chatSubtitle(contact(), { userId: BOB, online: false, lastSeen: null }, false, T0),
      'Not verified — compare safety numbers',
    )
  })

  test('last seen reads minutes, then today or yesterday with the time', () => {
    assert.equal(lastSeenWords(null, T0), null)
    assert.equal(lastSeenWords(T0 - 10_000, T0), 'last seen just now')
    assert.match(lastSeenWords(T0 - 3 * 60 * MIN, T0) ?? '', /^last seen today at /)
    assert.match(lastSeenWords(T0 - 24 * 60 * MIN, T0) ?? '', /^last seen yesterday at /)
  })
})

describe('search result snippets', () => {
  test('highlights become marked runs; the runs put back together are the snippet', () => {
    const parts = snippetParts('…meet at the old mill at noon', [
      { start: 13, length: 3 },
      { start: 17, length: 4 },
    ])
    assert.deepEqual(parts, [
      { text: '…meet at the ', hit: false },
      { text: 'old', hit: true },
      { text: ' ', hit: false },
      { text: 'mill', hit: true },
      { text: ' at noon', hit: false },
    ])
  })

  test('overlapping, empty and out-of-range highlights are clipped, not thrown on', () => {
    const parts = snippetParts('abcdef', [
      { start: 4, length: 10 },
      { start: 1, length: 3 },
      { start: 2, length: 1 },
      { start: 0, length: 0 },
      { start: 99, length: 2 },
    ])
    assert.equal(parts.map((p) => p.text).join(''), 'abcdef')
    assert.deepEqual(
      parts.filter((p) => p.hit).map((p) => p.text),
      ['bcd', 'ef'],
    )
  })
})

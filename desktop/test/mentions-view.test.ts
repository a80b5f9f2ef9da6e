import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Conversation, Message } from '../../node/src/rpc/api.ts'
import { applyMessage, markConversationRead } from '../src/logic/conversations.ts'
import {
  completeMention,
  MAX_MENTION_SUGGESTIONS,
  mentionCandidates,
  mentionQuery,
  mentionSegments,
  mentionsMe,
  unreadBadge,
} from '../src/logic/mentions.ts'

const ANN = 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa'
const BEN = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const CAT = 'wucccccccccccccccccccccccccc'
const names: Record<string, string[]> = { [ANN]: ['Ann Lee'], [BEN]: ['Ben', 'Benjamin'], [CAT]: ['Cat'] }
const namesOf = (id: string) => names[id] ?? []

function group(extra: Partial<Conversation> = {}): Conversation {
  return {
    id: 'grp:x',
    kind: 'group',
    peerUserId: null,
    groupId: 'x',
    title: 'Trail crew',
    lastMessage: null,
    unread: 0,
    updatedAt: 1,
    ...extra,
  }
}

describe('mentions in bubbles', () => {
  test('each @name of a mentioned member is a segment, ours marked; the rest stays plain text', () => {
    const segs = mentionSegments('@Cat and @ben: bring the map, @Dan too', [CAT, BEN], namesOf, BEN)
    assert.deepEqual(segs, [
      { text: '@Cat', mention: { userId: CAT, me: false } },
      { text: ' and ', mention: null },
      { text: '@ben', mention: { userId: BEN, me: true } },
      { text: ': bring the map, @Dan too', mention: null },
    ])
    assert.equal(segs.map((s) => s.text).join(''), '@Cat and @ben: bring the map, @Dan too')
  })

  test('the longest name wins, a name inside a word or an e-mail address is not a mention', () => {
    assert.deepEqual(
      mentionSegments('hi @Benjamin', [BEN], namesOf, ANN).map((s) => s.text),
      ['hi ', '@Benjamin'],
    )
    assert.deepEqual(mentionSegments('mail ben@Cat.org or @Catherine', [CAT], namesOf, ANN), [
      { text: 'mail ben@Cat.org or @Catherine', mention: null },
    ])
    assert.deepEqual(
      mentionSegments('@Ann Lee, look', [ANN], namesOf, ANN).map((s) => [s.text, s.mention?.me]),
      [
        ['@Ann Lee', true],
        [', look', undefined],
      ],
    )
  })

  test('an @user id counts; a text without mentions is one plain segment', () => {
    assert.deepEqual(mentionSegments(`ping @${CAT}`, [CAT], () => [], ANN)[1]?.mention, {
      userId: CAT,
      me: false,
    })
    assert.deepEqual(mentionSegments('@Cat', undefined, namesOf, ANN), [{ text: '@Cat', mention: null }])
  })

  test('mentionsMe reads the daemon-resolved mentions, not the text', () => {
    const m = { mentions: [BEN] } as unknown as Message
    assert.equal(mentionsMe(m, BEN), true)
    assert.equal(mentionsMe(m, CAT), false)
    assert.equal(mentionsMe({} as Message, CAT), false)
  })
})

describe('the badge of a conversation in the list', () => {
  test('nothing unread: no badge; unread: a count; muted: a quiet count', () => {
    assert.equal(unreadBadge(group()), null)
    assert.deepEqual(unreadBadge(group({ unread: 3 })), { count: 3, mention: false, quiet: false })
    assert.deepEqual(unreadBadge(group({ unread: 3, muted: true })), {
      count: 3,
      mention: false,
      quiet: true,
    })
  })

  test('a mention in a muted group still shows its @ mark', () => {
    assert.deepEqual(unreadBadge(group({ unread: 5, muted: true, mentionUnread: 1 })), {
      count: 5,
      mention: true,
      quiet: true,
    })
  })

  test('a live message that mentions us counts as an unread mention until the chat is read', () => {
    const m = (seq: number, mentions: string[]) =>
      ({
        id: `m${seq}`,
        conversationId: 'grp:x',
        seq,
        direction: 'in',
        sentAt: seq,
        receivedAt: seq,
        mentions,
      }) as unknown as Message
    let list: Conversation[] = [group({ muted: true, mentionUnread: 0 })]
    list = applyMessage(list, m(1, [CAT]), null, BEN) ?? []
    list = applyMessage(list, m(2, [BEN]), null, BEN) ?? []
    assert.deepEqual(unreadBadge(list[0]!), { count: 2, mention: true, quiet: true })
    list = applyMessage(list, m(3, [BEN]), 'grp:x', BEN) ?? []
    assert.equal(list[0]?.mentionUnread, 1, 'not counted in the open chat')
    assert.equal(unreadBadge(markConversationRead(list, 'grp:x')[0]!), null)
  })

  test('marked unread with nothing new: an empty badge', () => {
    assert.deepEqual(unreadBadge(group({ markedUnread: true })), { count: 0, mention: false, quiet: false })
  })
})

describe('@ completion in the composer', () => {
  test('the partial name before the caret opens the list; a word@ or a long gap does not', () => {
    assert.deepEqual(mentionQuery('hi @Ca', 6), { query: 'Ca', start: 3 })
    assert.deepEqual(mentionQuery('@', 1), { query: '', start: 0 })
    assert.deepEqual(mentionQuery('@Ann L', 6), { query: 'Ann L', start: 0 })
    assert.equal(mentionQuery('me@Ca', 5), null)
    assert.equal(mentionQuery('@Ann  is', 8), null)
    assert.equal(mentionQuery('@Ca\nx', 5), null)
    assert.equal(mentionQuery('no at sign', 10), null)
  })

  test('members matching by name or by a word of it, us excluded, at most a handful', () => {
    const members = [
      { userId: ANN, name: 'Ann Lee' },
      { userId: BEN, name: 'Ben' },
      { userId: CAT, name: 'Cat' },
    ]
    assert.deepEqual(
      mentionCandidates(members, 'le', BEN).map((m) => m.name),
      ['Ann Lee'],
    )
    assert.deepEqual(
      mentionCandidates(members, '', BEN).map((m) => m.name),
      ['Ann Lee', 'Cat'],
    )
    const many = Array.from({ length: 20 }, (_, i) => ({ userId: `u${i}`, name: `Member ${i}` }))
    assert.equal(mentionCandidates(many, 'm', ANN).length, MAX_MENTION_SUGGESTIONS)
  })

  test('completing replaces the partial name and leaves the caret after a space', () => {
    assert.deepEqual(completeMention('hi @Ca, ok', 6, 3, 'Cat'), { text: 'hi @Cat , ok', caret: 8 })
  })
})

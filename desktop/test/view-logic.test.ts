import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Contact, Conversation, Message } from '../../node/src/rpc/api.ts'
import { buildChatRows, firstUnreadSeq, mergeMessages, newestIncomingSeq } from '../src/logic/chat-rows.ts'
import { connectionView, daemonSendBlock } from '../src/logic/connection.ts'
import {
  applyMessage,
  avatarColour,
  filterConversations,
  initials,
  previewText,
  withContactConversations,
} from '../src/logic/conversations.ts'
import { listTime } from '../src/logic/format-time.ts'
import { CONTRAST_PAIRS, contrastRatio, PALETTES, paletteCss, WCAG_AA_TEXT } from '../src/logic/palette.ts'
import { parseThemePreference, resolveTheme } from '../src/logic/theme.ts'

const ALICE = 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa'
const BOB = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const NOON = new Date(2024, 2, 12, 12, 0, 0).getTime()
const MIN = 60_000

function msg(seq: number, direction: 'in' | 'out', at: number, extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversationId: `dm:${BOB}`,
    seq,
    direction,
    sender: direction === 'in' ? BOB : ALICE,
    text: `text ${seq}`,
    sentAt: at,
    receivedAt: direction === 'in' ? at : null,
    status: direction === 'in' ? 'delivered' : 'sent',
    receipts: 0,
    ...extra,
  }
}

function conv(
  id: string,
  title: string,
  updatedAt: number,
  lastMessage: Message | null = null,
): Conversation {
  return {
    id,
    kind: 'direct',
    peerUserId: id.slice(3),
    groupId: null,
    title,
    lastMessage,
    unread: 0,
    updatedAt,
  }
}

describe('chat rows', () => {
  test('a day separator precedes the first message of each calendar day', () => {
    const rows = buildChatRows(
      [msg(1, 'in', NOON - 86_400_000), msg(2, 'in', NOON), msg(3, 'out', NOON + MIN)],
      null,
    )
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['day', 'message', 'day', 'message', 'message'],
    )
  })

  test('bubbles from one side within five minutes are grouped; a side change breaks the group', () => {
    const rows = buildChatRows(
      [
        msg(1, 'in', NOON),
        msg(2, 'in', NOON + MIN),
        msg(3, 'out', NOON + 2 * MIN),
        msg(4, 'in', NOON + 20 * MIN),
      ],
      null,
    ).filter((r) => r.kind === 'message')
    assert.deepEqual(
      rows.map((r) => (r.kind === 'message' ? [r.first, r.last] : null)),
      [
        [true, false],
        [false, true],
        [true, true],
        [true, true],
      ],
    )
  })

  test('the unread divider sits above the first unread incoming message with the unread count', () => {
    const messages = [
      msg(1, 'in', NOON),
      msg(2, 'out', NOON + MIN),
      msg(3, 'in', NOON + 2 * MIN),
      msg(4, 'in', NOON + 3 * MIN),
    ]
    const from = firstUnreadSeq(messages, 2)
    assert.equal(from, 3)
    const rows = buildChatRows(messages, from)
    const i = rows.findIndex((r) => r.kind === 'unread')
    assert.equal(rows[i + 1]?.key, 'm3')
    assert.deepEqual(rows[i], { kind: 'unread', key: 'unread', count: 2 })
    assert.equal(
      buildChatRows(messages, null).some((r) => r.kind === 'unread'),
      false,
    )
  })

  test('merging pages and events de-duplicates by id and orders by seq', () => {
    const merged = mergeMessages(
      [msg(3, 'in', NOON), msg(4, 'in', NOON)],
      [msg(1, 'out', NOON), msg(3, 'in', NOON, { text: 'edited' })],
    )
    assert.deepEqual(
      merged.map((m) => m.seq),
      [1, 3, 4],
    )
    assert.equal(merged[1]?.text, 'edited')
    assert.equal(newestIncomingSeq(merged), 4)
  })
})

describe('conversation list', () => {
  const list = [
    conv(`dm:${BOB}`, 'Bob Builder', NOON, msg(1, 'in', NOON)),
    conv(`dm:${ALICE}`, 'Alice', NOON - MIN),
  ]

  test('search matches every word, ignoring case and accents, in title and last message', () => {
    assert.equal(filterConversations(list, 'bob').length, 1)
    assert.equal(filterConversations(list, 'BÖB builder').length, 1)
    assert.equal(filterConversations(list, 'text 1').length, 1)
    assert.equal(filterConversations(list, 'bob alice').length, 0)
    assert.equal(filterConversations(list, '  ').length, 2)
  })

  test('a new incoming message moves the conversation to the top and counts as unread unless open', () => {
    const next = applyMessage(
      list,
      { ...msg(2, 'in', NOON + MIN), conversationId: `dm:${ALICE}`, sender: ALICE },
      null,
    )
    assert.ok(next)
    assert.equal(next[0]?.id, `dm:${ALICE}`)
    assert.equal(next[0]?.unread, 1)
    const open = applyMessage(
      list,
      { ...msg(2, 'in', NOON + MIN), conversationId: `dm:${ALICE}` },
      `dm:${ALICE}`,
    )
    assert.equal(open?.[0]?.unread, 0)
    assert.equal(applyMessage(list, { ...msg(2, 'in', NOON), conversationId: 'dm:unknown' }, null), null)
  })

  test('contacts without a conversation get an empty entry that can be opened', () => {
    const contact: Contact = {
      userId: 'wucccccccccccccccccccccccccc',
      displayName: 'Carol',
      identityKey: '0'.repeat(64),
      verified: false,
      keyChanged: false,
      online: false,
      addedAt: NOON + 5 * MIN,
    }
    const merged = withContactConversations(list, [contact])
    assert.equal(merged.length, 3)
    assert.equal(merged[0]?.title, 'Carol')
    assert.equal(previewText(merged[0]!), 'No messages yet')
  })

  test('previews prefix outgoing text and collapse whitespace; initials and colours are stable', () => {
    assert.equal(
      previewText(conv('dm:x', 'X', 0, msg(1, 'out', 0, { text: 'hi\n\nthere' }))),
      'You: hi there',
    )
    assert.equal(initials('Bob  Builder'), 'BB')
    assert.equal(initials('  '), '?')
    assert.equal(avatarColour(BOB), avatarColour(BOB))
  })

  test('list times read like a messenger: now, minutes, clock, yesterday, weekday, date', () => {
    assert.equal(listTime(NOON - 10_000, NOON, 'en-GB'), 'now')
    assert.equal(listTime(NOON - 5 * MIN, NOON, 'en-GB'), '5 min')
    assert.equal(listTime(NOON - 3 * 60 * MIN, NOON, 'en-GB'), '09:00')
    assert.equal(listTime(NOON - 86_400_000, NOON, 'en-GB'), 'Yesterday')
    assert.equal(listTime(NOON - 3 * 86_400_000, NOON, 'en-GB'), 'Sat')
    assert.equal(listTime(NOON - 30 * 86_400_000, NOON, 'en-GB'), '11 Feb')
  })
})

describe('status, theme and palette', () => {
  const status = {
    version: '0.1.0',
    hasIdentity: true,
    unlocked: true,
    userId: ALICE,
    peerId: null,
    listenAddrs: [],
    connections: 4,
    relays: 2,
    mailboxes: 3,
    bundlePublished: true,
    network: null,
    uptimeMs: 1,
  }

  test('the indicator distinguishes daemon down, offline, direct and relayed', () => {
    assert.equal(connectionView('closed', status).level, 'daemon-down')
    assert.equal(connectionView('open', { ...status, connections: 0 }).level, 'offline')
    assert.equal(connectionView('open', { ...status, relays: 0 }).level, 'direct')
    const relayed = connectionView('open', status)
    assert.equal(relayed.level, 'relayed')
    assert.equal(relayed.label, 'Online · 2 relays')
  })

  test('sending is paused, with the reason, while the daemon link is not open', () => {
    assert.equal(daemonSendBlock('open'), null)
    assert.match(daemonSendBlock('closed') ?? '', /daemon is not running: sending is paused/)
    assert.match(daemonSendBlock('connecting') ?? '', /Connecting/)
  })

  test('theme preference parses safely and system follows the OS', () => {
    assert.equal(parseThemePreference('bogus'), 'system')
    assert.equal(resolveTheme('system', true), 'dark')
    assert.equal(resolveTheme('light', true), 'light')
  })

  test('every text/background pair reaches WCAG AA contrast in both themes', () => {
    for (const [theme, palette] of Object.entries(PALETTES))
      for (const [fg, bg] of CONTRAST_PAIRS) {
        const ratio = contrastRatio(palette[fg], palette[bg])
        assert.ok(ratio >= WCAG_AA_TEXT, `${theme}: ${fg} on ${bg} is ${ratio.toFixed(2)}:1`)
      }
    assert.match(paletteCss(), /:root\[data-theme='dark'\] \{[^}]*--bubble-out-text: #ffffff;/)
  })
})

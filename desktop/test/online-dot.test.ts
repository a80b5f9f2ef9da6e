import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Contact, Conversation } from '../../node/src/rpc/api.ts'
import { contactsById, directSubtitle, sameContacts, showsOnlineDot } from '../src/logic/conversations.ts'
import { CONTRAST_PAIRS, contrastRatio, PALETTES, WCAG_AA_TEXT } from '../src/logic/palette.ts'

const BOB = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const CAROL = 'wucccccccccccccccccccccccccc'

function contact(userId: string, extra: Partial<Contact> = {}): Contact {
  return {
    userId,
    displayName: userId === BOB ? 'Bob' : 'Carol',
    identityKey: 'ab'.repeat(32),
    verified: false,
    keyChanged: false,
    online: false,
    addedAt: 1,
    ...extra,
  }
}

function direct(userId: string): Conversation {
  return {
    id: `dm:${userId}`,
    kind: 'direct',
    peerUserId: userId,
    groupId: null,
    title: 'x',
    lastMessage: null,
    unread: 0,
    updatedAt: 1,
  }
}

const GROUP: Conversation = {
  id: 'grp:g1',
  kind: 'group',
  peerUserId: null,
  groupId: 'g1',
  title: 'Team',
  lastMessage: null,
  unread: 0,
  updatedAt: 1,
}

describe('online dot', () => {
  test('a direct chat shows the dot only while its contact is online', () => {
    const contacts = contactsById([contact(BOB, { online: true }), contact(CAROL)])
    assert.equal(showsOnlineDot(direct(BOB), contacts), true)
    assert.equal(showsOnlineDot(direct(CAROL), contacts), false)
  })

  test('a group chat or a chat with an unknown contact never shows the dot', () => {
    const contacts = contactsById([contact(BOB, { online: true })])
    assert.equal(showsOnlineDot(GROUP, contacts), false)
    assert.equal(showsOnlineDot(direct(CAROL), contacts), false)
  })

  test('the chat header subtitle says online before the verification state', () => {
    assert.equal(directSubtitle(contact(BOB, { online: true, verified: true })), 'online · Verified')
    assert.equal(directSubtitle(contact(BOB, { verified: true })), 'Verified')
    assert.equal(
      directSubtitle(contact(BOB, { online: true })),
      'online · Not verified — compare safety numbers',
    )
    assert.equal(directSubtitle(undefined), 'Not verified — compare safety numbers')
  })

  test('a poll that changed only presence is seen as a change; an identical one is not', () => {
    const before = [contact(BOB), contact(CAROL)]
    assert.equal(sameContacts(before, [contact(BOB), contact(CAROL)]), true)
    assert.equal(sameContacts(before, [contact(BOB, { online: true }), contact(CAROL)]), false)
    assert.equal(sameContacts(before, [contact(BOB)]), false)
  })

  test('the dot colour reaches AA contrast against every row background it sits on, in both themes', () => {
    const backgrounds = CONTRAST_PAIRS.filter(([fg]) => fg === 'online').map(([, bg]) => bg)
    assert.deepEqual([...backgrounds].sort(), ['hover', 'selected', 'sidebar', 'surface'])
    for (const [theme, palette] of Object.entries(PALETTES))
      for (const bg of backgrounds) {
        const ratio = contrastRatio(palette.online, palette[bg])
        assert.ok(ratio >= WCAG_AA_TEXT, `${theme}: online on ${bg} is ${ratio.toFixed(2)}`)
      }
  })
})

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Contact, Conversation, GroupMember, GroupSummary, Message } from '../../node/src/rpc/api.ts'
import { buildChatRows } from '../src/logic/chat-rows.ts'
import { filterContacts, previewText } from '../src/logic/conversations.ts'
import {
  checkGroupName,
  groupIdOfConversation,
  groupPermissions,
  groupStatusView,
  groupSubtitle,
  inviteCandidates,
  MAX_GROUP_NAME_CHARS,
  pendingInvitations,
  senderNames,
  sortMembers,
  upsertGroup,
} from '../src/logic/groups.ts'

const ME = 'wuaaaaaaaaaaaaaaaaaaaaaaaaaa'
const BOB = 'wubbbbbbbbbbbbbbbbbbbbbbbbbb'
const CAT = 'wucccccccccccccccccccccccccc'
const DAN = 'wudddddddddddddddddddddddddd'
const GID = '0123456789abcdef0123456789abcdef'
const NOON = new Date(2024, 2, 12, 12, 0, 0).getTime()
const MIN = 60_000

function summary(extra: Partial<GroupSummary> = {}): GroupSummary {
  const groupId = extra.groupId ?? GID
  return {
    groupId,
    conversationId: `grp:${groupId}`,
    name: 'Hikers',
    status: 'member',
    role: 'member',
    epoch: 0,
    memberCount: 3,
    invitedBy: null,
    stateHash: 'h',
    updatedAt: NOON,
    ...extra,
  }
}

function member(userId: string, role: GroupMember['role'], displayName = userId): GroupMember {
  return { userId, role, displayName, joinedAt: NOON }
}

function contact(userId: string, displayName: string): Contact {
  return {
    userId,
    displayName,
    identityKey: '0'.repeat(64),
    verified: false,
    keyChanged: false,
    online: false,
    addedAt: NOON,
  }
}

function groupMsg(seq: number, sender: string, at: number): Message {
  return {
    id: `g${seq}`,
    conversationId: `grp:${GID}`,
    seq,
    direction: sender === ME ? 'out' : 'in',
    sender,
    text: `text ${seq}`,
    sentAt: at,
    receivedAt: sender === ME ? null : at,
    status: sender === ME ? 'sent' : 'delivered',
    receipts: 0,
  }
}

describe('group list', () => {
  test('an event replaces the group by id and keeps the newest first; a declined group is dropped', () => {
    const a = summary({ groupId: 'a'.repeat(32), updatedAt: NOON })
    const b = summary({ groupId: 'b'.repeat(32), updatedAt: NOON - MIN })
    let list = upsertGroup([a], b)
    assert.deepEqual(
      list.map((g) => g.groupId[0]),
      ['a', 'b'],
    )
    list = upsertGroup(list, { ...b, name: 'Renamed', updatedAt: NOON + MIN })
    assert.deepEqual(
      list.map((g) => [g.groupId[0], g.name]),
      [
        ['b', 'Renamed'],
        ['a', 'Hikers'],
      ],
    )
    assert.equal(upsertGroup(list, { ...a, status: 'declined' }).length, 1)
  })

  test('pending invitations are only the groups with status invited', () => {
    const list = [
      summary({ groupId: 'a'.repeat(32), status: 'invited', role: null }),
      summary({ groupId: 'b'.repeat(32) }),
      summary({ groupId: 'c'.repeat(32), status: 'left', role: null }),
    ]
    assert.deepEqual(
      pendingInvitations(list).map((g) => g.groupId[0]),
      ['a'],
    )
  })

  test('group ids come out of grp: conversation ids only', () => {
    assert.equal(groupIdOfConversation(`grp:${GID}`), GID)
    assert.equal(groupIdOfConversation(`dm:${BOB}`), null)
  })
})

describe('group permissions mirror the daemon rules', () => {
  test('a member may send and leave but not invite, rename, remove or set roles', () => {
    const may = groupPermissions(summary({ role: 'member' }), ME)
    assert.equal(may.canSend, true)
    assert.equal(may.canLeave, true)
    assert.equal(may.canInvite, false)
    assert.equal(may.canRename, false)
    assert.equal(may.canRemove('member', BOB), false)
    assert.equal(may.canSetRole('member', BOB), false)
  })

  test('an admin invites, renames and removes members but not admins or the owner, and sets no roles', () => {
    const may = groupPermissions(summary({ role: 'admin' }), ME)
    assert.equal(may.canInvite, true)
    assert.equal(may.canInviteAdmin, false)
    assert.equal(may.canRename, true)
    assert.equal(may.canRemove('member', BOB), true)
    assert.equal(may.canRemove('admin', BOB), false)
    assert.equal(may.canRemove('owner', BOB), false)
    assert.equal(may.canSetRole('member', BOB), false)
  })

  test('the owner removes admins, sets roles of others, offers admin on invite, never acts on itself', () => {
    const may = groupPermissions(summary({ role: 'owner' }), ME)
    assert.equal(may.canInviteAdmin, true)
    assert.equal(may.canRemove('admin', BOB), true)
    assert.equal(may.canSetRole('admin', BOB), true)
    assert.equal(may.canSetRole('member', BOB), true)
    assert.equal(may.canRemove('owner', ME), false)
    assert.equal(may.canSetRole('owner', ME), false)
  })

  test('after leaving or removal nothing is allowed, whatever role was held', () => {
    for (const status of ['left', 'removed', 'invited'] as const) {
      const may = groupPermissions(summary({ status, role: 'owner' }), ME)
      assert.equal(may.canSend, false, status)
      assert.equal(may.canInvite, false, status)
      assert.equal(may.canLeave, false, status)
      assert.equal(may.canRemove('member', BOB), false, status)
      assert.equal(may.canSetRole('member', BOB), false, status)
    }
  })
})

describe('group details', () => {
  test('invite candidates leave out members and pending invitations, sorted by name', () => {
    const contacts = [contact(DAN, 'Dan'), contact(BOB, 'Bob'), contact(CAT, 'Cat')]
    const got = inviteCandidates(
      contacts,
      [member(ME, 'owner'), member(BOB, 'member')],
      [{ userId: CAT, role: 'member', invitedBy: ME, invitedAt: NOON }],
    )
    assert.deepEqual(
      got.map((c) => c.displayName),
      ['Dan'],
    )
  })

  test('members list owner first, then admins, then members; we lead our rank; names order the rest', () => {
    const sorted = sortMembers(
      [
        member(CAT, 'member', 'Cat'),
        member(DAN, 'admin', 'Dan'),
        member(BOB, 'member', 'Bob'),
        member(ME, 'member', 'Me'),
      ],
      ME,
    )
    assert.deepEqual(
      sorted.map((m) => m.displayName),
      ['Dan', 'Me', 'Bob', 'Cat'],
    )
  })

  test('sender names prefer contact names, then member names, then a short user id', () => {
    const names = senderNames([member(BOB, 'member', 'Bobby'), member(CAT, 'member')], [contact(BOB, 'Bob')])
    assert.equal(names.get(BOB), 'Bob')
    assert.equal(names.get(CAT), 'wucccc…cccc')
  })

  test('the subtitle gives the member count or why we cannot write', () => {
    assert.equal(groupSubtitle(summary({ memberCount: 1 })), '1 member')
    assert.equal(groupSubtitle(summary({ memberCount: 4 })), '4 members')
    assert.equal(groupSubtitle(summary({ status: 'left', role: null })), 'You left this group')
    assert.equal(
      groupSubtitle(summary({ status: 'removed', role: null })),
      'You were removed from this group',
    )
    assert.equal(groupSubtitle(undefined), 'Group')
  })

  test('group names are trimmed, must not be empty and have a length cap', () => {
    assert.deepEqual(checkGroupName('  Hikers '), { ok: true, name: 'Hikers' })
    assert.equal(checkGroupName('   ').ok, false)
    assert.equal(checkGroupName('x'.repeat(MAX_GROUP_NAME_CHARS)).ok, true)
    assert.equal(checkGroupName('x'.repeat(MAX_GROUP_NAME_CHARS + 1)).ok, false)
  })
})

describe('group chat rendering', () => {
  test('aggregate ticks: partial delivery shows got/recipients, all delivered and all read say so', () => {
    assert.deepEqual(groupStatusView('sent', 2, 3), {
      kind: 'single',
      label: 'Delivered to 2 of 3 members',
      detail: '2/3',
    })
    assert.equal(groupStatusView('sent', 0, 3).detail, '')
    assert.equal(groupStatusView('sent', 5, 3).detail, '3/3', 'receipts never exceed the recipients')
    assert.equal(groupStatusView('delivered', 3, 3).kind, 'double')
    assert.equal(groupStatusView('delivered', 3, 3).label, 'Delivered to everyone')
    assert.equal(groupStatusView('read', 3, 3).kind, 'double-read')
    assert.equal(groupStatusView('queued', 0, 3).kind, 'clock')
    assert.equal(groupStatusView('failed', 0, 3).kind, 'error')
    assert.equal(groupStatusView('sent', 1, null).detail, '1')
  })

  test('incoming group bubbles carry their sender; a new sender starts a new run even on the same side', () => {
    const names = new Map([
      [BOB, 'Bob'],
      [CAT, 'Cat'],
    ])
    const rows = buildChatRows(
      [
        groupMsg(1, BOB, NOON),
        groupMsg(2, BOB, NOON + MIN),
        groupMsg(3, CAT, NOON + 2 * MIN),
        groupMsg(4, ME, NOON + 3 * MIN),
      ],
      null,
      { senderName: (id) => names.get(id) ?? id, recipients: 2 },
    ).filter((r) => r.kind === 'message')
    assert.deepEqual(
      rows.map((r) => (r.kind === 'message' ? [r.senderName, r.first, r.last, r.recipients] : null)),
      [
        ['Bob', true, false, 2],
        ['Bob', false, true, 2],
        ['Cat', true, true, 2],
        [null, true, true, 2],
      ],
    )
  })

  test('direct chats carry no sender names and no recipient count', () => {
    const rows = buildChatRows([groupMsg(1, BOB, NOON)], null).filter((r) => r.kind === 'message')
    assert.equal(rows[0]?.kind === 'message' ? rows[0].senderName : 'x', null)
    assert.equal(rows[0]?.kind === 'message' ? rows[0].recipients : 'x', null)
  })

  test('the list preview names the sender of an incoming group message', () => {
    const c: Conversation = {
      id: `grp:${GID}`,
      kind: 'group',
      peerUserId: null,
      groupId: GID,
      title: 'Hikers',
      lastMessage: groupMsg(1, BOB, NOON),
      unread: 1,
      updatedAt: NOON,
    }
    assert.equal(
      previewText(c, () => 'Bob'),
      'Bob: text 1',
    )
    assert.equal(
      previewText({ ...c, lastMessage: groupMsg(2, ME, NOON) }, () => 'Bob'),
      'You: text 2',
    )
    assert.equal(previewText({ ...c, lastMessage: null }), 'No messages yet in this group')
  })

  test('the contact picker filters by every word and sorts by name', () => {
    const contacts = [contact(DAN, 'Dan Okafor'), contact(BOB, 'Bob Marchetti'), contact(CAT, 'Cat Nguyen')]
    assert.deepEqual(
      filterContacts(contacts, '').map((c) => c.displayName),
      ['Bob Marchetti', 'Cat Nguyen', 'Dan Okafor'],
    )
    assert.deepEqual(
      filterContacts(contacts, 'dan oka').map((c) => c.displayName),
      ['Dan Okafor'],
    )
  })
})

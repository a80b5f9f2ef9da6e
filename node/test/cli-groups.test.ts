/**
 * Three real daemons on loopback driven through `wren group …`: the owner (who holds the others'
 * cards) creates a group with members, the invitations show up in `wren group list --json`, the
 * invitees accept by name or id, a message sent with `wren group send` appears in the others'
 * `wren group history --json`, and role, rename, remove and leave change the group everywhere.
 * Bad command lines exit 2; unknown or ambiguous groups exit 5.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type ChatPeer, eventually, startPeer } from '../../test/fixtures/chat.ts'
import { runWren } from '../../test/fixtures/wren-cli.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import type { GroupSummary, Message, Result } from '../src/rpc/api.ts'

const GROUP_NAME = 'Wren Hikers'

describe('wren group commands against three daemons', () => {
  let ann: ChatPeer
  let ben: ChatPeer
  let cat: ChatPeer
  let groupId = ''
  const as = (peer: ChatPeer) => (args: string[]) =>
    runWren(args, { home: peer.daemon.home, profile: peer.daemon.profile })

  async function listed(peer: ChatPeer): Promise<GroupSummary | undefined> {
    const r = await as(peer)(['group', 'list', '--json'])
    assert.equal(r.code, EXIT.OK, r.stderr)
    return (JSON.parse(r.stdout).groups as GroupSummary[]).find((g) => g.groupId === groupId)
  }

  async function history(peer: ChatPeer): Promise<Message[]> {
    const r = await as(peer)(['group', 'history', groupId, '--json'])
    assert.equal(r.code, EXIT.OK, r.stderr)
    return JSON.parse(r.stdout).messages as Message[]
  }

  before(async () => {
    ann = await startPeer('Ann')
    const bootstrap = ann.addrs.flatMap((a) => ['--bootstrap', a])
    ;[ben, cat] = await Promise.all([
      startPeer('Ben', { args: bootstrap }),
      startPeer('Cat', { args: bootstrap }),
    ])
    const annCard = (await ann.client.call('identity.get', {})).card
    for (const peer of [ben, cat]) {
      const card = (await peer.client.call('identity.get', {})).card
      await ann.client.call('contacts.add', { card })
      await peer.client.call('contacts.add', { card: annCard })
    }
  })

  after(async () => {
    await Promise.allSettled([ann, ben, cat].map((peer) => peer?.stop()))
  })

  test('group create with --member (by name and by user id) invites them; their group list --json shows the invitation', async () => {
    const created = await as(ann)([
      'group',
      'create',
      GROUP_NAME,
      '--member',
      'ben',
      '--member',
      cat.userId,
      '--json',
    ])
    assert.equal(created.code, EXIT.OK, created.stderr)
    const summary = JSON.parse(created.stdout) as GroupSummary
    assert.equal(summary.name, GROUP_NAME)
    assert.equal(summary.role, 'owner')
    assert.equal(summary.conversationId, `grp:${summary.groupId}`)
    groupId = summary.groupId

    for (const peer of [ben, cat]) {
      const invitation = await eventually(`the invitation at ${peer.userId}`, () => listed(peer))
      assert.equal(invitation.status, 'invited')
      assert.equal(invitation.invitedBy, ann.userId)
      assert.equal(invitation.name, GROUP_NAME)
    }
    const human = await as(ben)(['group', 'list'])
    assert.match(human.stdout, new RegExp(`${GROUP_NAME}  ${groupId}  \\(invited`))
    assert.match(human.stdout, /wren group accept/)
  })

  test('group accept by case-insensitive name and by id makes both members; members lists all three', async () => {
    const byName = await as(ben)(['group', 'accept', GROUP_NAME.toUpperCase(), '--json'])
    assert.equal(byName.code, EXIT.OK, byName.stderr)
    assert.equal((JSON.parse(byName.stdout) as GroupSummary).status, 'member')
    const byId = await as(cat)(['group', 'accept', `grp:${groupId}`])
    assert.equal(byId.code, EXIT.OK, byId.stderr)
    assert.match(byId.stdout, /^Joined: Wren Hikers /)

    const roster = await eventually('three members at ann', async () => {
      const r = await as(ann)(['group', 'members', GROUP_NAME, '--json'])
      assert.equal(r.code, EXIT.OK, r.stderr)
      const roster = JSON.parse(r.stdout) as Result<'groups.members'>
      return roster.members.length === 3 ? roster : undefined
    })
    assert.deepEqual(roster.members.map((m) => m.userId).sort(), [ann.userId, ben.userId, cat.userId].sort())
    assert.equal(roster.invitations.length, 0)
    const human = await as(ann)(['group', 'members', groupId])
    assert.match(human.stdout, new RegExp(`Ben  ${ben.userId}  member`))
  })

  test('group send → the others’ group history --json shows it, and the human history names the sender', async () => {
    const sent = await as(ben)(['group', 'send', 'wren hikers', 'meet', 'at', 'the', 'trailhead', '--json'])
    assert.equal(sent.code, EXIT.OK, sent.stderr)
    const message = JSON.parse(sent.stdout) as Message
    assert.equal(message.text, 'meet at the trailhead')
    assert.equal(message.conversationId, `grp:${groupId}`)

    for (const peer of [ann, cat]) {
      const received = await eventually(`the message at ${peer.userId}`, async () =>
        (await history(peer)).find((m) => m.id === message.id),
      )
      assert.equal(received.direction, 'in')
      assert.equal(received.sender, ben.userId)
      assert.equal(received.text, 'meet at the trailhead')
    }
    const human = await as(ann)(['group', 'history', GROUP_NAME, '--limit', '5'])
    assert.equal(human.code, EXIT.OK, human.stderr)
    assert.match(human.stdout, /\] Ben: meet at the trailhead\n/)
  })

  test('group role, rename and remove (member named through the group) reach the other members', async () => {
    const role = await as(ann)(['group', 'role', GROUP_NAME, 'Ben', 'admin'])
    assert.equal(role.code, EXIT.OK, role.stderr)
    const renamed = await as(ann)(['group', 'rename', groupId, 'Wren Climbers', '--json'])
    assert.equal(renamed.code, EXIT.OK, renamed.stderr)
    assert.equal((JSON.parse(renamed.stdout) as GroupSummary).name, 'Wren Climbers')

    await eventually('ben sees the new name and his admin role', async () => {
      const s = await listed(ben)
      return s?.name === 'Wren Climbers' && s.role === 'admin' ? s : undefined
    })
    // Ben never added Cat's card: "cat" resolves through the group's member list.
    const removed = await as(ben)(['group', 'remove', 'wren climbers', 'cat', '--json'])
    assert.equal(removed.code, EXIT.OK, removed.stderr)
    assert.equal((JSON.parse(removed.stdout) as GroupSummary).memberCount, 2)
    const atCat = await eventually('cat sees she was removed', async () => {
      const s = await listed(cat)
      return s?.status === 'removed' ? s : undefined
    })
    assert.equal(atCat.role, null)
  })

  test('bad command lines exit 2 before reaching the daemon', async () => {
    const cases: string[][] = [
      ['group', 'role', groupId, 'Ben', 'owner'],
      ['group', 'create'],
      ['group', 'create', '   '],
      ['group', 'create', 'x'.repeat(129)],
      ['group', 'history', groupId, '--limit', '0'],
      ['group', 'send', groupId, ' '],
      ['group', 'send', groupId],
      ['group', 'invite', groupId],
      ['group', 'frobnicate'],
    ]
    for (const args of cases) {
      const r = await as(ann)(args)
      assert.equal(r.code, EXIT.USAGE, `${args.join(' ')}: ${r.stderr}`)
    }
  })

  test('an unknown group, an ambiguous name or an unknown contact exit 5', async () => {
    const unknown = await as(ann)(['group', 'history', 'no such group'])
    assert.equal(unknown.code, EXIT.NOT_FOUND)
    assert.match(unknown.stderr, /no group named "no such group"/)
    const unknownId = await as(ann)(['group', 'accept', '0'.repeat(32), '--json'])
    assert.equal(unknownId.code, EXIT.NOT_FOUND)
    assert.equal(JSON.parse(unknownId.stderr).error.exit, EXIT.NOT_FOUND)
    const unknownSend = await as(ann)(['group', 'send', 'nope', 'hello'])
    assert.equal(unknownSend.code, EXIT.NOT_FOUND)

    const second = await as(ann)(['group', 'create', 'wren climbers'])
    assert.equal(second.code, EXIT.OK, second.stderr)
    const ambiguous = await as(ann)(['group', 'send', 'Wren Climbers', 'which one?'])
    assert.equal(ambiguous.code, EXIT.NOT_FOUND)
    assert.match(ambiguous.stderr, /matches 2 groups/)

    const noContact = await as(ann)(['group', 'invite', groupId, 'Zed'])
    assert.equal(noContact.code, EXIT.NOT_FOUND)
    const noMember = await as(ann)(['group', 'remove', groupId, 'Zed'])
    assert.equal(noMember.code, EXIT.NOT_FOUND)
  })

  test('group leave: ben is out, ann’s members shows her alone', async () => {
    const left = await as(ben)(['group', 'leave', groupId, '--json'])
    assert.equal(left.code, EXIT.OK, left.stderr)
    assert.equal((JSON.parse(left.stdout) as GroupSummary).status, 'left')
    await eventually('ann alone in the group', async () => {
      const s = await listed(ann)
      return s?.memberCount === 1 ? s : undefined
    })
  })
})

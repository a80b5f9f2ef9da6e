/**
 * Creating a group with several invitees at once: real GroupServices on real LevelDB profiles over
 * the in-memory network (test/fixtures/group-memory-net.ts). The owner signs every invitation
 * before sending anything, so each invitee gets the whole log in one payload; the group then
 * converges and every member reads every other member's post.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { parseContactCard } from '../../core/src/contact-card.ts'
import { logStateHash } from '../../core/src/group/index.ts'
import { eventually } from '../../test/fixtures/chat.ts'
import { MemoryNet, makeMemoryNode, type Node } from '../../test/fixtures/group-memory-net.ts'
import { seededRandom } from '../../test/fixtures/seeded-random.ts'
import { createNodeSuite } from '../src/crypto/node-suite.ts'
import { APP_GROUP_OPS } from '../src/groups/constants.ts'

const suite = createNodeSuite(seededRandom('group-batch-invite'))
/** Owner + invitees: enough that one invite op per earlier invitee (the old way) would show. */
const MEMBERS = 7
const WAIT_MS = 10_000

const net = new MemoryNet(suite)
const dirs: string[] = []
const nodes: Node[] = []

after(async () => {
  await net.idle()
  net.closed = true
  for (const x of nodes) await x.service.stop()
  await net.idle()
  for (const x of nodes) await x.store.close()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

test('a group created with six invitees sends each one payload of ops, converges, and every member reads every post', async () => {
  for (let i = 0; i < MEMBERS; i++) {
    const dir = await mkdtemp(join(tmpdir(), `wren-group-batch-${i}-`))
    dirs.push(dir)
    nodes.push(await makeMemoryNode(net, `m${i}`, dir))
  }
  const [owner, ...invitees] = nodes as [Node, ...Node[]]
  for (const x of invitees) await owner.pairwise.addContact(parseContactCard(suite, x.card), undefined)

  const created = await owner.service.create(
    'batch',
    invitees.map((x) => x.userId),
  )
  const { groupId, conversationId } = created
  await net.idle()
  // one whole-log payload per invitee, nothing else: not one invite op per earlier invitee
  assert.equal(net.sent.get(`${owner.userId}:${APP_GROUP_OPS}`), invitees.length)
  for (const x of invitees) {
    const group = x.service.group(groupId)
    assert.equal(group?.record.status, 'invited', `${x.name} got its invitation`)
    assert.equal(group?.log.state.invitations.length, invitees.length, `${x.name} sees every invitation`)
  }

  await Promise.all(invitees.map((x) => x.service.accept(groupId)))
  const hash = (x: Node) => {
    const g = x.service.group(groupId)
    return g === undefined ? '' : Buffer.from(logStateHash(suite, g.log)).toString('hex')
  }
  await eventually(
    'every member holds the same full state',
    async () =>
      nodes.every(
        (x) => x.service.group(groupId)?.log.state.members.length === MEMBERS && hash(x) === hash(owner),
      )
        ? true
        : undefined,
    WAIT_MS,
  )

  for (const x of nodes) await x.service.messages.send(conversationId, `post by ${x.name}`)
  for (const reader of nodes) {
    const expected = nodes.filter((x) => x !== reader).map((x) => `post by ${x.name}`)
    await eventually(
      `${reader.name} reads every other member's post`,
      async () => {
        const texts = (await reader.vault.listMessages(conversationId, undefined, 50)).messages.map(
          (m) => m.text,
        )
        return expected.every((t) => texts.includes(t)) ? true : undefined
      },
      WAIT_MS,
    )
  }
})

/**
 * Forms the planned groups before the schedule starts, with the real group service: the owner
 * creates each group with the others as invitees (contacts both ways first), each invitee
 * accepts once its invitation arrives, and a group counts as formed when every member holds the
 * full member list.
 */
import { parseContactCard } from '../../../core/src/contact-card.ts'
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { SimUser } from '../harness.ts'
import type { GroupPlan } from '../schedule.ts'
import { pool, sleep } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Bound on creating one group: invitations out, every invitee accepted, every member converged. */
export const GROUP_SETUP_TIMEOUT_MS = 60_000
/** Poll period while a group forms. */
const GROUP_POLL_MS = 100
/** Owner ↔ invitee contacts added in parallel. */
const GROUP_CONTACT_CONCURRENCY = 8

/** Per planned group: formed (every member joined and converged) and how long it took. */
export interface GroupSetup {
  group: number
  size: number
  members: number
  ok: boolean
  ms: number
}

/** The formed groups as the schedule needs them: conversation id and members per group index. */
export interface FormedGroups {
  setup: GroupSetup[]
  conversation: Map<number, string>
  members: Map<number, number[]>
}

/** Forms one group; bounded by GROUP_SETUP_TIMEOUT_MS; returns who became a member. */
async function formGroup(
  group: GroupPlan,
  users: readonly SimUser[],
  suite: CryptoSuite,
): Promise<{ ok: boolean; ms: number; members: number[]; conversationId: string | null }> {
  const t0 = performance.now()
  const deadline = t0 + GROUP_SETUP_TIMEOUT_MS
  const owner = users[group.owner] as SimUser
  const ownerRt = owner.runtime
  if (ownerRt === null) return { ok: false, ms: 0, members: [], conversationId: null }
  const invitees = group.members.filter((u) => u !== group.owner)
  await pool(invitees, GROUP_CONTACT_CONCURRENCY, async (u) => {
    const member = users[u] as SimUser
    await ownerRt.messenger.addContact(parseContactCard(suite, member.card), undefined)
    await member.runtime?.messenger.addContact(parseContactCard(suite, owner.card), undefined)
  })
  const created = await ownerRt.groups.create(
    `sim group ${group.index}`,
    invitees.map((u) => users[u]?.runtime?.messenger.userId ?? ''),
  )
  const { groupId, conversationId } = created
  const accepted = new Set<number>()
  const joined = () =>
    group.members.filter((u) => users[u]?.runtime?.groups.group(groupId)?.record.status === 'member')
  for (;;) {
    for (const u of invitees) {
      if (accepted.has(u)) continue
      const rt = users[u]?.runtime
      if (rt?.groups.group(groupId)?.record.status !== 'invited') continue
      accepted.add(u)
      // a refused accept (state moved meanwhile) is tried again on the next poll
      await rt.groups.accept(groupId).catch(() => accepted.delete(u))
    }
    const members = joined()
    const converged =
      members.length === group.members.length &&
      members.every(
        (u) => users[u]?.runtime?.groups.group(groupId)?.log.state.members.length === group.members.length,
      )
    if (converged) return { ok: true, ms: Math.round(performance.now() - t0), members, conversationId }
    if (performance.now() > deadline)
      return { ok: false, ms: Math.round(performance.now() - t0), members, conversationId }
    await sleep(GROUP_POLL_MS)
  }
}

/** Forms every planned group, one after another; a group that did not form gets a note. */
export async function formGroups(state: RunState): Promise<FormedGroups> {
  const { plan, users, suite, notes, progress } = state
  const formed: FormedGroups = { setup: [], conversation: new Map(), members: new Map() }
  for (const group of plan.groups) {
    const setup = await formGroup(group, users, suite)
    formed.setup.push({
      group: group.index,
      size: group.members.length,
      members: setup.members.length,
      ok: setup.ok,
      ms: setup.ms,
    })
    if (setup.conversationId !== null) formed.conversation.set(group.index, setup.conversationId)
    formed.members.set(group.index, setup.members)
    if (!setup.ok)
      notes.push(
        `group ${group.index}: ${setup.members.length}/${group.members.length} members formed within ${GROUP_SETUP_TIMEOUT_MS} ms`,
      )
    progress('groups', formed.setup.length, plan.groups.length)
  }
  return formed
}

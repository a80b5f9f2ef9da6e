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

/**
 * Bound on forming one group: contacts, `groups.create` (it waits for every invitation to be
 * queued), every invitee accepted, every member converged.
 */
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

/** `work`, or null when `deadline` (performance.now() time) passes or `signal` aborts first. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, signal: AbortSignal): Promise<T | null> {
  work.catch(() => {})
  const done = new AbortController()
  const late = sleep(deadline - performance.now(), AbortSignal.any([signal, done.signal])).then(() => null)
  try {
    return await Promise.race([work, late])
  } finally {
    done.abort()
  }
}

/** Forms one group; bounded by GROUP_SETUP_TIMEOUT_MS; returns who became a member. */
async function formGroup(
  group: GroupPlan,
  users: readonly SimUser[],
  suite: CryptoSuite,
  signal: AbortSignal,
): Promise<{ ok: boolean; ms: number; members: number[]; conversationId: string | null }> {
  const t0 = performance.now()
  const deadline = t0 + GROUP_SETUP_TIMEOUT_MS
  const elapsed = () => Math.round(performance.now() - t0)
  const owner = users[group.owner] as SimUser
  const ownerRt = owner.runtime
  if (ownerRt === null) return { ok: false, ms: 0, members: [], conversationId: null }
  const invitees = group.members.filter((u) => u !== group.owner)
  const contacts = pool(
    invitees,
    GROUP_CONTACT_CONCURRENCY,
    async (u) => {
      const member = users[u] as SimUser
      await ownerRt.messenger.addContact(parseContactCard(suite, member.card), undefined)
      await member.runtime?.messenger.addContact(parseContactCard(suite, owner.card), undefined)
    },
    signal,
  ).then(() => true)
  if ((await beforeDeadline(contacts, deadline, signal)) === null)
    return { ok: false, ms: elapsed(), members: [], conversationId: null }
  const created = await beforeDeadline(
    ownerRt.groups.create(
      `sim group ${group.index}`,
      invitees.map((u) => users[u]?.runtime?.messenger.userId ?? ''),
    ),
    deadline,
    signal,
  )
  if (created === null) return { ok: false, ms: elapsed(), members: [], conversationId: null }
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
    if (converged) return { ok: true, ms: elapsed(), members, conversationId }
    if (performance.now() > deadline || signal.aborted)
      return { ok: false, ms: elapsed(), members, conversationId }
    await sleep(GROUP_POLL_MS, signal)
  }
}

/** No groups formed yet: what formGroups fills in (kept by the runner for a partial result). */
export function noGroups(): FormedGroups {
  return { setup: [], conversation: new Map(), members: new Map() }
}

/**
 * Forms every planned group into `formed`, one after another; a group that did not form gets a
 * note. Stops at the run's abort (the groups formed so far stay in `formed`).
 */
export async function formGroups(state: RunState, formed: FormedGroups): Promise<void> {
  const { plan, users, suite, notes, progress } = state
  for (const group of plan.groups) {
    if (state.signal.aborted) break
    const setup = await formGroup(group, users, suite, state.signal)
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
        state.signal.aborted
          ? `group ${group.index}: ${setup.members.length}/${group.members.length} members formed when the run stopped (after ${setup.ms} ms)`
          : `group ${group.index}: ${setup.members.length}/${group.members.length} members formed within ${GROUP_SETUP_TIMEOUT_MS} ms`,
      )
    progress('groups', formed.setup.length, plan.groups.length)
  }
}

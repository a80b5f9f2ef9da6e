/**
 * Starting and stopping the run's nodes: relays one after another (each bootstraps to those
 * started before it), then users in parallel with the run's relays as bootstrap peers and
 * mailbox candidates; at the end every user and relay is stopped and the run's folder removed.
 */
import { type EventSink, removeRunRoot, SimRelay, SimUser } from '../harness.ts'
import { mailboxCountOf } from '../scenario.ts'
import { pool } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Users stopped in parallel at the end. */
const STOP_CONCURRENCY = 8

export async function startRelays(state: RunState): Promise<void> {
  const { scenario, relays, root, links, progress } = state
  for (let i = 0; i < scenario.relays.count && !state.signal.aborted; i++) {
    progress('relays', i, scenario.relays.count)
    const relay = await SimRelay.create(
      i,
      root,
      () => relays.filter((r) => r.index !== i).map((r) => r.addr),
      links.onHost,
      links.nodeLinks,
    )
    // started after the run's stop began (an abandoned phase): stop it here, nobody else will
    if (state.stopping) await relay.stop().catch(() => {})
    else relays.push(relay)
  }
  progress('relays', relays.length, scenario.relays.count)
}

/** Creates every planned user (scenario.users.startConcurrency at a time), each reporting to `onEvent`. */
export async function startUsers(state: RunState, onEvent: EventSink): Promise<void> {
  const { scenario, plan, relays, users, links, progress } = state
  const mailboxCount = mailboxCountOf(scenario)
  const bootstrap = () => relays.filter((r) => r.online).map((r) => r.addr)
  const indices = Array.from({ length: plan.users }, (_, i) => i)
  let started = 0
  await pool(
    indices,
    scenario.users.startConcurrency,
    async (index) => {
      const user = await SimUser.create({
        index,
        suite: state.suite,
        root: state.root,
        bootstrap,
        retry: scenario.retry,
        mailboxes:
          mailboxCount === 0
            ? null
            : {
                relays: () => relays.map((r) => r.addr),
                count: mailboxCount,
                fetchIntervalMs: scenario.mailboxes.fetchIntervalMs,
              },
        onHost: links.onHost,
        links: links.nodeLinks,
        onEvent,
      })
      // started after the run's stop began (an abandoned phase): close it here, nobody else will
      if (state.stopping) return void (await user.close().catch(() => {}))
      users.push(user)
      progress('users', ++started, plan.users)
    },
    state.signal,
  )
  // phases after this one address users by index
  users.sort((a, b) => a.index - b.index)
}

/** Stops every user (closing its store), then every relay, then removes the run's folder. */
export async function stopNodes(state: RunState): Promise<void> {
  const { users, relays, progress } = state
  state.stopping = true
  let stopped = 0
  await pool(users, STOP_CONCURRENCY, async (user) => {
    await user.close().catch(() => {})
    progress('stop', ++stopped, users.length + relays.length)
  })
  for (const relay of relays) {
    await relay.stop().catch(() => {})
    progress('stop', ++stopped, users.length + relays.length)
  }
  await removeRunRoot(state.root)
}

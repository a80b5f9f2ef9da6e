/**
 * Waits (bounded) until every user's bundle publisher has put its prekey bundle to the DHT,
 * nudging those whose last attempt failed, and records each user's outcome.
 */
import { sleep } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Bound on waiting for every user's first successful bundle publish. */
export const PUBLISH_WAIT_MS = 30_000
/** Poll (and nudge) period while waiting. */
const PUBLISH_POLL_MS = 500

export async function awaitBundlePublish(state: RunState): Promise<void> {
  const { users, progress } = state
  const publishDeadline = performance.now() + PUBLISH_WAIT_MS
  for (;;) {
    const done = users.filter((u) => u.runtime?.libp2p.services.publisher.lastResult?.ok === true).length
    progress('publish', done, users.length)
    if (done === users.length || performance.now() > publishDeadline || state.signal.aborted) break
    // nudge the ones that failed (publisher retries on its own only every REPUBLISH_RETRY_MS)
    for (const u of users) {
      const last = u.runtime?.libp2p.services.publisher.lastResult
      if (last !== undefined && !last.ok) void u.runtime?.libp2p.services.publisher.publish()
    }
    await sleep(PUBLISH_POLL_MS, state.signal)
  }
  for (const u of users) {
    const last = u.runtime?.libp2p.services.publisher.lastResult
    state.metrics.publishes.push({
      user: u.index,
      ok: last?.ok === true,
      peers: last?.ok === true ? last.peers : 0,
      reason: last === undefined ? 'not finished' : last.ok ? null : last.reason,
    })
  }
}

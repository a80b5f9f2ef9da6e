/** After the schedule: waits (up to scenario.drainMs) for the deliveries still on their way. */
import { sleep } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Poll period while draining outstanding deliveries. */
const DRAIN_POLL_MS = 200

export async function drain(state: RunState): Promise<void> {
  const { metrics, progress } = state
  const drainEnd = performance.now() + state.scenario.drainMs
  const sendable =
    metrics.messages.filter((m) => m.skipped === null).length +
    metrics.groupMessages.reduce((n, m) => n + (m.skipped === null ? m.recipients.length : 0), 0)
  const missing = () => metrics.outstanding() + metrics.groupOutstanding()
  while (missing() > 0 && performance.now() < drainEnd && !state.signal.aborted) {
    progress('drain', sendable - missing(), sendable)
    await sleep(DRAIN_POLL_MS, state.signal)
  }
  progress('drain', sendable - missing(), sendable)
}

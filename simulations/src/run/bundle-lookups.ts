/**
 * The planned, measured bundle lookups: real DHT queries through each user's host (both DHTs the
 * host runs, as the messenger's own lookups do), each timed and its outcome recorded.
 */
import { getBundle } from '../../../node/src/p2p/dht-records.ts'
import { pool } from './pool.ts'
import type { RunState } from './run-state.ts'

/** Bound on one measured DHT lookup (the messenger's own lookups use BUNDLE_LOOKUP_TIMEOUT_MS). */
export const LOOKUP_TIMEOUT_MS = 10_000
/** Lookups in flight at once: a 2-core machine serves every DHT peer of the run. */
export const LOOKUP_CONCURRENCY = 8

export async function measureLookups(state: RunState): Promise<void> {
  const { plan, users, progress } = state
  let looked = 0
  await pool(
    plan.lookups,
    LOOKUP_CONCURRENCY,
    async ([from, to]) => {
      const rt = users[from]?.runtime
      const target = users[to]?.runtime
      if (rt === null || rt === undefined || target === null || target === undefined) return
      const t = performance.now()
      const result = await getBundle(rt.libp2p, target.userId, { timeoutMs: LOOKUP_TIMEOUT_MS }).catch(
        (error: unknown) => ({ ok: false as const, reason: (error as Error)?.name ?? 'error' }),
      )
      state.metrics.lookups.push({
        from,
        to,
        ok: result.ok,
        ms: Math.round(performance.now() - t),
        reason: result.ok ? null : result.reason,
      })
      progress('lookups', ++looked, plan.lookups.length)
    },
    state.signal,
  )
}

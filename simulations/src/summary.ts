/**
 * The summary of a run (summary.json): delivery ratios, latency percentiles, lookup success,
 * duplicates, relay load, process CPU and memory, with the seed and the command to replay it.
 */
import type { MessageRecord } from './metrics.ts'
import type { RunResult } from './run.ts'

export interface Percentiles {
  count: number
  p50: number | null
  p90: number | null
  p99: number | null
  max: number | null
}

/** Nearest-rank percentiles of a list of numbers (null when empty). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted.length === 0
      ? null
      : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number)
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) }
}

const ratio = (num: number, den: number) => (den === 0 ? null : Math.round((num / den) * 10_000) / 10_000)

function latencies(messages: readonly MessageRecord[]): number[] {
  return messages.flatMap((m) => (m.latencyMs === null ? [] : [Math.round(m.latencyMs)]))
}

export function summarize(result: RunResult, command: string) {
  const { metrics, scenario, plan } = result
  const attempted = metrics.messages.filter((m) => m.skipped === null)
  const delivered = attempted.filter((m) => m.deliveredAt !== null)
  const onlinePairs = attempted.filter((m) => m.pairOnlineAtSend)
  const lookupsOk = metrics.lookups.filter((l) => l.ok)
  const paths: Record<string, number> = {}
  for (const m of delivered) paths[m.path ?? 'unknown'] = (paths[m.path ?? 'unknown'] ?? 0) + 1
  const last = metrics.samples.at(-1)
  return {
    scenario: scenario.name,
    seed: plan.seed,
    command,
    startedAt: result.startedAt,
    wallMs: result.wallMs,
    phaseMs: result.phaseMs,
    mode: 'in-process, TCP loopback',
    nodes: { users: plan.users, relays: plan.relays, contactPairs: plan.contacts.length },
    messages: {
      scheduled: metrics.messages.length,
      skippedSenderOffline: metrics.messages.length - attempted.length,
      attempted: attempted.length,
      delivered: delivered.length,
      deliveryRatio: ratio(delivered.length, attempted.length),
      onlinePairsAttempted: onlinePairs.length,
      onlinePairsDeliveryRatio: ratio(
        onlinePairs.filter((m) => m.deliveredAt !== null).length,
        onlinePairs.length,
      ),
      duplicatesShownToUsers: attempted.filter((m) => (m.copiesInHistory ?? 0) > 1).length,
      duplicateReceivedEvents: attempted.filter((m) => m.receivedEvents > 1).length,
      latencyMs: percentiles(latencies(delivered)),
      onlinePairsLatencyMs: percentiles(latencies(onlinePairs)),
      /** Online pairs that already had a session (no DHT lookup or prekey claim on the way). */
      onlinePairsWithSessionLatencyMs: percentiles(latencies(onlinePairs.filter((m) => !m.firstInPair))),
      firstInPairLatencyMs: percentiles(latencies(attempted.filter((m) => m.firstInPair))),
      paths,
    },
    groups: scenario.groups.length === 0 ? 'none in scenario' : 'not run (no group service in the node yet)',
    lookups: {
      count: metrics.lookups.length,
      ok: lookupsOk.length,
      successRatio: ratio(lookupsOk.length, metrics.lookups.length),
      latencyMs: percentiles(lookupsOk.map((l) => l.ms)),
      failures: metrics.lookups.filter((l) => !l.ok).map((l) => l.reason),
    },
    publishes: {
      count: metrics.publishes.length,
      ok: metrics.publishes.filter((p) => p.ok).length,
    },
    relays: metrics.relayLoad,
    process: {
      peakRssMiB: Math.max(0, ...metrics.samples.map((s) => s.rssMiB)),
      peakHeapMiB: Math.max(0, ...metrics.samples.map((s) => s.heapMiB)),
      cpuUserSec: last === undefined ? null : Math.round(last.cpuUserMs / 100) / 10,
      cpuSystemSec: last === undefined ? null : Math.round(last.cpuSystemMs / 100) / 10,
      peakConnections: Math.max(0, ...metrics.samples.map((s) => s.connections)),
    },
    errors: metrics.errors.length,
    notes: result.notes,
    gaps: [
      'path: inferred from the recipient’s connections to the sender at receive time (the node does not report it)',
      'bytes per node: not measured (the runtime offers no libp2p metrics hook)',
      'mailbox paths: the messenger does not deposit to relays yet in this build',
    ],
  }
}

export type Summary = ReturnType<typeof summarize>

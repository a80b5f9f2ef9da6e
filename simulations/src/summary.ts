/**
 * The summary of a run (summary.json): delivery ratios, latency percentiles, lookup success,
 * duplicates, relay load, process CPU and memory, with the seed and the command to replay it.
 */
import type { GroupMessageRecord, MessageRecord, NodeTraffic } from './metrics.ts'
import type { RunResult } from './run.ts'
import { mailboxCountOf } from './scenario.ts'

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

function groupSummary(result: RunResult) {
  const { metrics } = result
  const attempted = metrics.groupMessages.filter((m) => m.skipped === null)
  let expected = 0
  let delivered = 0
  let duplicateEvents = 0
  /** First copy per (message, recipient): gossip topic or the pairwise copy's path. */
  const paths: Record<string, number> = {}
  let duplicatesShown = 0
  const lat: number[] = []
  for (const m of attempted) {
    for (const u of m.recipients) {
      expected++
      const at = m.deliveredAt[u]
      if (at !== undefined) {
        delivered++
        if (m.calledAt !== null) lat.push(Math.round(at - m.calledAt))
      }
      if ((m.receivedEvents[u] ?? 0) > 1) duplicateEvents++
      const via = m.via[u]
      if (via !== undefined) paths[via] = (paths[via] ?? 0) + 1
      if ((m.copiesInHistory[u] ?? 0) > 1) duplicatesShown++
    }
  }
  const skipped = (m: GroupMessageRecord) => m.skipped !== null
  return {
    setup: result.groupSetup,
    messagesScheduled: metrics.groupMessages.length,
    messagesSkipped: metrics.groupMessages.filter(skipped).length,
    messagesAttempted: attempted.length,
    /** Deliveries = message × recipient member. */
    deliveriesExpected: expected,
    deliveriesDelivered: delivered,
    deliveryRatio: ratio(delivered, expected),
    duplicatesShownToUsers: duplicatesShown,
    duplicateReceivedEvents: duplicateEvents,
    latencyMs: percentiles(lat),
    paths,
  }
}

/**
 * Per healed partition: the 1:1 messages sent while it split the pair (or a side was offline:
 * `pairOnlineAtSend` false) and how long after the heal each arrived (0 when it arrived before
 * the heal, over a mailbox on its own side). The goal: every one delivered ≤ 30 s after the heal.
 */
function partitionSummary(result: RunResult) {
  const { metrics } = result
  return metrics.markers
    .filter((m) => m.kind === 'partition')
    .map((marker) => {
      const healedAt = marker.to
      const held = metrics.messages.filter(
        (m) =>
          m.skipped === null &&
          !m.pairOnlineAtSend &&
          m.at >= marker.from &&
          (healedAt === null || m.at < healedAt),
      )
      const delivered = held.filter((m) => m.deliveredAt !== null)
      return {
        label: marker.label,
        splitAtMs: marker.from,
        healedAtMs: healedAt,
        heldMessages: held.length,
        heldDelivered: delivered.length,
        afterHealMs: percentiles(
          healedAt === null
            ? []
            : delivered.map((m) => Math.max(0, Math.round((m.deliveredAt as number) - healedAt))),
        ),
      }
    })
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)

function trafficSummary(t: NodeTraffic) {
  const all = [...t.users, ...t.relays]
  return {
    totalSent: sum(all.map((n) => n.sent)),
    totalReceived: sum(all.map((n) => n.received)),
    perUserSent: percentiles(t.users.map((n) => n.sent)),
    perUserReceived: percentiles(t.users.map((n) => n.received)),
    relays: t.relays.map((r) => ({ relay: r.node, sent: r.sent, received: r.received })),
  }
}

/** Bytes per node (memory transport only), or why they are missing. */
function bytesSummary(result: RunResult) {
  const traffic = result.metrics.traffic
  if (traffic === null)
    return {
      measured: false as const,
      reason: `not measured on the ${result.transport} transport (bytes are counted by the memory transport only)`,
    }
  return {
    measured: true as const,
    unit: 'bytes on the wire per node, noise + yamux framing included (sent − received over all nodes: in flight or dropped at a stop or a partition)',
    wholeRun: trafficSummary(traffic.total),
    scheduleAndDrain: trafficSummary(traffic.schedule),
  }
}

function modeOf(result: RunResult): string {
  if (result.transport === 'tcp') return 'in-process, TCP loopback (unshaped)'
  const n = result.scenario.network
  const latency = n.perLink?.latencyMs
  const loss = n.perLink?.loss
  const latencyText = latency === undefined ? `${n.latencyMs}` : `${latency.min}–${latency.max} per link`
  const lossText = loss === undefined ? `${n.loss}` : `${loss.min}–${loss.max} per link`
  return `in-process, memory transport (links: ${latencyText} ms ± ${n.jitterMs} ms, loss ${lossText})`
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
  const callLag = attempted.flatMap((m) => (m.calledAt === null ? [] : [Math.round(m.calledAt - m.at)]))
  const sendCall = attempted.flatMap((m) =>
    m.calledAt === null || m.sentAt === null ? [] : [Math.round(m.sentAt - m.calledAt)],
  )
  return {
    scenario: scenario.name,
    seed: plan.seed,
    command,
    startedAt: result.startedAt,
    wallMs: result.wallMs,
    /** Null when every phase completed; else where the run stopped and why (the rest is partial). */
    incomplete: result.incomplete,
    completedPhases: result.completedPhases,
    phaseMs: result.phaseMs,
    phaseBoundsMs: result.phaseBoundsMs,
    mode: modeOf(result),
    transport: result.transport,
    network: result.transport === 'memory' ? scenario.network : null,
    settings: {
      retry: scenario.retry,
      mailboxesPerUser: mailboxCountOf(scenario),
      mailboxFetchIntervalMs: scenario.mailboxes.fetchIntervalMs,
      drainMs: scenario.drainMs,
    },
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
      /** How late the schedule called sendText (a saturated event loop runs timers late). */
      scheduleLagMs: percentiles(callLag),
      /** How long sendText itself took (outbox write under the messenger's lock). */
      sendCallMs: percentiles(sendCall),
      /** Sent while the pair was split or offline: from the call to arrival. */
      notOnlineAtSendLatencyMs: percentiles(latencies(attempted.filter((m) => !m.pairOnlineAtSend))),
    },
    partitions: partitionSummary(result),
    groups: scenario.groups.length === 0 ? null : groupSummary(result),
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
    bytes: bytesSummary(result),
    /** Users by number of mailboxes held at the end (expected: all at k). */
    mailboxesAtEnd: Object.fromEntries(
      [...new Set(metrics.mailboxesAtEnd)].map((k) => [
        String(k),
        metrics.mailboxesAtEnd.filter((x) => x === k).length,
      ]),
    ),
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
      ...(delivered.every((m) => m.pathReported)
        ? []
        : [
            `path of ${delivered.filter((m) => !m.pathReported).length} message(s) inferred (message.received had no via): mailbox when the sender saw it stored, else from the recipient’s connections to the sender`,
          ]),
      ...(result.transport === 'tcp' ? ['bytes per node: not measured on TCP loopback'] : []),
    ],
  }
}

export type Summary = ReturnType<typeof summarize>

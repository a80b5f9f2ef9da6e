/**
 * Runs one scenario in this process, phase by phase (each in simulations/src/run/): relays, then
 * users (real runtimes), contacts, bundle publishing, measured DHT lookups, groups, then the
 * seeded event schedule in real time, a drain phase, the duplicate check over every recipient's
 * history, and a clean stop of everything. Every phase is bounded (run/phases.ts); a phase that
 * overruns, or an interruption (`RunOptions.signal`), ends the run early with the phases that
 * completed and their metrics (`RunResult.incomplete` says where and why).
 */
import { createNodeSuite } from '../../node/src/crypto/node-suite.ts'
import { makeRunRoot } from './harness.ts'
import { Metrics } from './metrics.ts'
import { measureLookups } from './run/bundle-lookups.ts'
import { awaitBundlePublish } from './run/bundle-publish.ts'
import { addContacts } from './run/contacts.ts'
import { drain } from './run/drain.ts'
import { formGroups, type GroupSetup, noGroups } from './run/group-setup.ts'
import { countCopiesInHistory } from './run/history-check.ts'
import { startRelays, startUsers, stopNodes } from './run/nodes.ts'
import { boundedPhase, type Incomplete, incompleteOf, type PhaseBounds, phaseBounds } from './run/phases.ts'
import { playSchedule, restartMetricsClock } from './run/play-schedule.ts'
import { sleep } from './run/pool.ts'
import { scrapeRelay } from './run/relay-load.ts'
import { createRunLinks, trafficOf, trafficSince } from './run/run-links.ts'
import type { Phase, RunState, TransportMode } from './run/run-state.ts'
import { startSampler } from './run/sampler.ts'
import { userEventSink } from './run/user-events.ts'
import type { Scenario } from './scenario.ts'
import { buildPlan, type Plan } from './schedule.ts'

export { LOOKUP_TIMEOUT_MS } from './run/bundle-lookups.ts'
export { PUBLISH_WAIT_MS } from './run/bundle-publish.ts'
export { GROUP_SETUP_TIMEOUT_MS } from './run/group-setup.ts'
export type { Incomplete, PhaseBounds } from './run/phases.ts'
export { PhaseTimeoutError, phaseBounds, RunInterruptedError } from './run/phases.ts'
export type { Phase, TransportMode } from './run/run-state.ts'

export interface RunOptions {
  seed: number
  /** Overrides the scenario's transport. */
  transport?: TransportMode
  /** Progress of the current phase (done of total). */
  onProgress?: (phase: Phase, done: number, total: number) => void
  /** Overrides the default bound (phaseBounds) of some phases, in ms. */
  phaseBoundsMs?: Partial<PhaseBounds>
  /** Aborting it interrupts the run: the current phase ends and the result is partial. */
  signal?: AbortSignal
}

export interface RunResult {
  scenario: Scenario
  /** The transport the run used. */
  transport: TransportMode
  plan: Plan
  metrics: Metrics
  startedAt: string
  wallMs: number
  phaseMs: Record<string, number>
  /** The bound each phase ran under, in ms. */
  phaseBoundsMs: PhaseBounds
  /** Phases that completed, in order. */
  completedPhases: Phase[]
  /** Null when every phase completed; else the phase the run stopped in, and why. */
  incomplete: Incomplete | null
  notes: string[]
  /** Per planned group: formed (every member joined and converged) and how long it took. */
  groupSetup: GroupSetup[]
}

/**
 * Bound on waiting, after a timeout or an interruption, for the abandoned phase's work in flight
 * (a user start, a send) to settle before every node is stopped.
 */
export const ABANDONED_PHASE_SETTLE_MS = 30_000

/** True when the scenario asks for latency, jitter or loss on its links. */
function shaped(scenario: Scenario): boolean {
  const n = scenario.network
  return n.latencyMs > 0 || n.jitterMs > 0 || n.loss > 0 || n.perLink !== undefined
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const startedAt = new Date().toISOString()
  const wallStart = performance.now()
  const transport = options.transport ?? scenario.transport
  const plan = buildPlan(scenario, options.seed)
  const bounds: PhaseBounds = { ...phaseBounds(scenario, plan), ...options.phaseBoundsMs }
  const runAbort = new AbortController()
  const state: RunState = {
    scenario,
    plan,
    seed: options.seed,
    transport,
    suite: createNodeSuite(),
    root: await makeRunRoot(),
    links: createRunLinks(scenario, transport, options.seed),
    relays: [],
    users: [],
    metrics: new Metrics(performance.now()),
    notes: [],
    progress: options.onProgress ?? (() => {}),
    signal: runAbort.signal,
    stopping: false,
  }
  const { users, relays } = state
  const phaseMs: Record<string, number> = {}
  const completedPhases: Phase[] = []
  /** The last phase's own promise: an abandoned phase is let settle (bounded) before the stop. */
  let lastPhase: Promise<unknown> = Promise.resolve()
  /** Runs one phase under its bound; records its time once it completes. */
  const phase = async <T>(name: Phase, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    const running = () => {
      const p = work()
      lastPhase = p
      return p
    }
    const value = await boundedPhase(name, bounds[name], options.signal, () => runAbort.abort(), running)
    phaseMs[name] = Math.round(performance.now() - t0)
    completedPhases.push(name)
    return value
  }
  let settledOnce = false
  /** An abandoned phase may still be starting nodes: let it settle (bounded) so the result and the stop see them. */
  const settleAbandonedPhase = async () => {
    if (settledOnce) return
    settledOnce = true
    const settled = new AbortController()
    await Promise.race([
      lastPhase.catch(() => {}).finally(() => settled.abort()),
      sleep(ABANDONED_PHASE_SETTLE_MS, settled.signal),
    ])
  }
  const groups = noGroups()
  let incomplete: Incomplete | null = null
  let trafficAtSchedule: ReturnType<typeof trafficOf> = null
  const stopSampler = startSampler(state)

  try {
    try {
      await phase('relays', () => startRelays(state))
      const userIndexById = new Map<string, number>()
      await phase('users', () => startUsers(state, userEventSink(state, userIndexById)))
      for (const user of users) {
        const rt = user.runtime
        if (rt !== null) userIndexById.set(rt.messenger.userId, user.index)
      }
      await phase('contacts', () => addContacts(state))
      await phase('publish', () => awaitBundlePublish(state))
      await phase('lookups', () => measureLookups(state))
      await phase('groups', () => formGroups(state, groups))

      // ---- the schedule, in real time from here
      restartMetricsClock(state)
      trafficAtSchedule = trafficOf(state.links, users, relays)
      await phase('schedule', () => playSchedule(state, groups))
      await phase('drain', () => drain(state))
    } catch (error) {
      incomplete = incompleteOf(error)
      if (incomplete === null) throw error
      state.notes.push(`incomplete: phase ${incomplete.phase} ${incomplete.reason} (${incomplete.detail})`)
      await settleAbandonedPhase()
    }
    const metrics = state.metrics
    const trafficAtEnd = trafficOf(state.links, users, relays)
    if (trafficAtEnd !== null) {
      // a run stopped before its schedule sent nothing in it
      const before = trafficAtSchedule ?? trafficAtEnd
      metrics.traffic = {
        total: trafficAtEnd,
        schedule: {
          users: trafficSince(trafficAtEnd.users, before.users),
          relays: trafficSince(trafficAtEnd.relays, before.relays),
        },
      }
    }
    if (incomplete === null) {
      try {
        await phase('check', async () => {
          await countCopiesInHistory(state)
          metrics.finalizePaths()
          metrics.relayLoad = await Promise.all(relays.map(scrapeRelay))
          metrics.mailboxesAtEnd = users.map((u) => u.mailboxes)
        })
      } catch (error) {
        incomplete = incompleteOf(error)
        if (incomplete === null) throw error
        state.notes.push(`incomplete: phase check ${incomplete.reason} (${incomplete.detail})`)
      }
    } else {
      metrics.finalizePaths()
      state.notes.push(
        'copies in history not counted (run incomplete): duplicates shown to users are not measured',
      )
    }

    if (transport === 'tcp' && shaped(scenario))
      state.notes.push(
        'network latency/loss are not applied on TCP loopback (run on the memory transport or in the netns mode)',
      )
    return {
      scenario,
      transport,
      plan,
      metrics,
      startedAt,
      wallMs: Math.round(performance.now() - wallStart),
      phaseMs,
      phaseBoundsMs: bounds,
      completedPhases,
      incomplete,
      notes: state.notes,
      groupSetup: groups.setup,
    }
  } finally {
    stopSampler()
    runAbort.abort()
    await settleAbandonedPhase()
    // stopping is bounded too, but never interrupted: a stop half done leaves nodes running
    await boundedPhase(
      'stop',
      bounds.stop,
      undefined,
      () => {},
      () => stopNodes(state),
    ).catch((error: unknown) => {
      state.notes.push(`stop: ${(error as Error)?.message ?? error}`)
    })
  }
}

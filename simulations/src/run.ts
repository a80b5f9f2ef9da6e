/**
 * Runs one scenario in this process, phase by phase (each in simulations/src/run/): relays, then
 * users (real runtimes), contacts, bundle publishing, measured DHT lookups, groups, then the
 * seeded event schedule in real time, a drain phase, the duplicate check over every recipient's
 * history, and a clean stop of everything.
 */
import { createNodeSuite } from '../../node/src/crypto/node-suite.ts'
import { makeRunRoot } from './harness.ts'
import { Metrics } from './metrics.ts'
import { measureLookups } from './run/bundle-lookups.ts'
import { awaitBundlePublish } from './run/bundle-publish.ts'
import { addContacts } from './run/contacts.ts'
import { drain } from './run/drain.ts'
import { formGroups, type GroupSetup } from './run/group-setup.ts'
import { countCopiesInHistory } from './run/history-check.ts'
import { startRelays, startUsers, stopNodes } from './run/nodes.ts'
import { playSchedule, restartMetricsClock } from './run/play-schedule.ts'
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
export type { Phase, TransportMode } from './run/run-state.ts'

export interface RunOptions {
  seed: number
  /** Overrides the scenario's transport. */
  transport?: TransportMode
  /** Progress of the current phase (done of total). */
  onProgress?: (phase: Phase, done: number, total: number) => void
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
  notes: string[]
  /** Per planned group: formed (every member joined and converged) and how long it took. */
  groupSetup: GroupSetup[]
}

/** True when the scenario asks for latency, jitter or loss on its links. */
function shaped(scenario: Scenario): boolean {
  const n = scenario.network
  return n.latencyMs > 0 || n.jitterMs > 0 || n.loss > 0 || n.perLink !== undefined
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const startedAt = new Date().toISOString()
  const wallStart = performance.now()
  const phaseMs: Record<string, number> = {}
  let phaseStart = performance.now()
  const endPhase = (name: Phase) => {
    phaseMs[name] = Math.round(performance.now() - phaseStart)
    phaseStart = performance.now()
  }

  const transport = options.transport ?? scenario.transport
  const state: RunState = {
    scenario,
    plan: buildPlan(scenario, options.seed),
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
  }
  const { users, relays } = state
  const stopSampler = startSampler(state)

  try {
    await startRelays(state)
    endPhase('relays')

    const userIndexById = new Map<string, number>()
    await startUsers(state, userEventSink(state, userIndexById))
    for (const user of users) {
      const rt = user.runtime
      if (rt !== null) userIndexById.set(rt.messenger.userId, user.index)
    }
    endPhase('users')

    await addContacts(state)
    endPhase('contacts')

    await awaitBundlePublish(state)
    endPhase('publish')

    await measureLookups(state)
    endPhase('lookups')

    const groups = await formGroups(state)
    endPhase('groups')

    // ---- the schedule, in real time from here
    restartMetricsClock(state)
    const trafficAtSchedule = trafficOf(state.links, users, relays)
    await playSchedule(state, groups)
    endPhase('schedule')

    await drain(state)
    endPhase('drain')
    const metrics = state.metrics
    const trafficAtEnd = trafficOf(state.links, users, relays)
    if (trafficAtEnd !== null && trafficAtSchedule !== null) {
      metrics.traffic = {
        total: trafficAtEnd,
        schedule: {
          users: trafficSince(trafficAtEnd.users, trafficAtSchedule.users),
          relays: trafficSince(trafficAtEnd.relays, trafficAtSchedule.relays),
        },
      }
    }

    await countCopiesInHistory(state)
    metrics.finalizePaths()
    metrics.relayLoad = await Promise.all(relays.map(scrapeRelay))
    metrics.mailboxesAtEnd = users.map((u) => u.mailboxes)
    endPhase('check')

    if (transport === 'tcp' && shaped(scenario))
      state.notes.push(
        'network latency/loss are not applied on TCP loopback (run on the memory transport or in the netns mode)',
      )
    return {
      scenario,
      transport,
      plan: state.plan,
      metrics,
      startedAt,
      wallMs: Math.round(performance.now() - wallStart),
      phaseMs,
      notes: state.notes,
      groupSetup: groups.setup,
    }
  } finally {
    stopSampler()
    await stopNodes(state)
  }
}

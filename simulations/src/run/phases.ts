/**
 * Every phase of a run is bounded: it gets a named time limit (scaled by what the phase has to
 * do), and ends early when the run is interrupted (SIGINT / SIGTERM in the CLI). A phase that
 * overruns or is interrupted aborts the run's signal, so the loops still working for it (pools,
 * polls, the schedule) wind down, and the run returns what completed instead of nothing.
 */
import type { Scenario } from '../scenario.ts'
import type { Plan } from '../schedule.ts'
import { LOOKUP_CONCURRENCY, LOOKUP_TIMEOUT_MS } from './bundle-lookups.ts'
import { PUBLISH_WAIT_MS } from './bundle-publish.ts'
import { GROUP_SETUP_TIMEOUT_MS } from './group-setup.ts'
import type { Phase } from './run-state.ts'

/** Slack on every bound: phases whose own steps are bounded still need time to wind up. */
export const PHASE_MARGIN_MS = 30_000
/** One relay start (LevelDB open, libp2p start, bootstrap to the relays before it). */
export const RELAY_START_BOUND_MS = 30_000
/** One user start, spread over the start concurrency: a 200-user start once took 21 min (issue 20). */
export const USER_START_BOUND_MS = 15_000
/** One contact pair added both ways (two local writes each). */
export const CONTACT_PAIR_BOUND_MS = 2_000
/** Sends still in flight when the last event has been played (awaited at the schedule's end). */
export const SCHEDULE_TAIL_BOUND_MS = 120_000
/** Reading one user's whole history for the duplicate check. */
export const HISTORY_CHECK_BOUND_MS = 5_000
/** Stopping one node (user or relay) at the end. */
export const STOP_NODE_BOUND_MS = 5_000

/** Bound per phase for this scenario and plan, in ms. */
export type PhaseBounds = Record<Phase, number>

/** The default bound of every phase, scaled by the work the plan gives it. */
export function phaseBounds(scenario: Scenario, plan: Plan): PhaseBounds {
  const perConcurrent = (count: number, concurrency: number, each: number) =>
    Math.ceil(count / Math.max(1, concurrency)) * each
  return {
    relays: PHASE_MARGIN_MS + plan.relays * RELAY_START_BOUND_MS,
    users: PHASE_MARGIN_MS + plan.users * USER_START_BOUND_MS,
    contacts: PHASE_MARGIN_MS + plan.contacts.length * CONTACT_PAIR_BOUND_MS,
    publish: PHASE_MARGIN_MS + PUBLISH_WAIT_MS,
    lookups: PHASE_MARGIN_MS + perConcurrent(plan.lookups.length, LOOKUP_CONCURRENCY, LOOKUP_TIMEOUT_MS),
    // each group's create + invite + accept + converge is bounded by GROUP_SETUP_TIMEOUT_MS
    groups: PHASE_MARGIN_MS + plan.groups.length * GROUP_SETUP_TIMEOUT_MS,
    schedule: scenario.durationMs + SCHEDULE_TAIL_BOUND_MS,
    drain: PHASE_MARGIN_MS + scenario.drainMs,
    check: PHASE_MARGIN_MS + plan.users * HISTORY_CHECK_BOUND_MS,
    stop: PHASE_MARGIN_MS + (plan.users + plan.relays) * STOP_NODE_BOUND_MS,
  }
}

/** A phase ran past its bound. */
export class PhaseTimeoutError extends Error {
  override name = 'PhaseTimeoutError'
  readonly phase: Phase
  readonly boundMs: number
  constructor(phase: Phase, boundMs: number) {
    super(`phase ${phase} did not complete within ${boundMs} ms`)
    this.phase = phase
    this.boundMs = boundMs
  }
}

/** The run was interrupted (a signal in the CLI) while a phase ran. */
export class RunInterruptedError extends Error {
  override name = 'RunInterruptedError'
  readonly phase: Phase
  readonly reason: string
  constructor(phase: Phase, reason: string) {
    super(`run interrupted during phase ${phase}: ${reason}`)
    this.phase = phase
    this.reason = reason
  }
}

/** Why a run stopped short: the phase it was in, and a timeout or an interruption. */
export interface Incomplete {
  phase: Phase
  reason: 'timeout' | 'interrupted'
  /** The phase's bound (timeout) or what interrupted it (interrupted). */
  detail: string
}

/**
 * Runs one phase under its bound and the run's interruption signal. On a timeout or an
 * interruption `stopRun` is called (aborting the run's own signal, so the phase's loops end) and
 * the phase's promise is left to settle on its own (its rejection is swallowed: the nodes it
 * works on are about to stop).
 */
export async function boundedPhase<T>(
  phase: Phase,
  boundMs: number,
  interrupt: AbortSignal | undefined,
  stopRun: () => void,
  work: () => Promise<T>,
): Promise<T> {
  if (interrupt?.aborted) throw new RunInterruptedError(phase, String(interrupt.reason ?? 'aborted'))
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort: (() => void) | undefined
  const running = work()
  running.catch(() => {})
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeoutError(phase, boundMs)), boundMs)
    onAbort = () => reject(new RunInterruptedError(phase, String(interrupt?.reason ?? 'aborted')))
    interrupt?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([running, stopped])
  } catch (error) {
    if (error instanceof PhaseTimeoutError || error instanceof RunInterruptedError) stopRun()
    throw error
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) interrupt?.removeEventListener('abort', onAbort)
  }
}

/** The Incomplete record of a phase error, or null for any other failure (rethrown by the runner). */
export function incompleteOf(error: unknown): Incomplete | null {
  if (error instanceof PhaseTimeoutError)
    return { phase: error.phase, reason: 'timeout', detail: `bound ${error.boundMs} ms` }
  if (error instanceof RunInterruptedError)
    return { phase: error.phase, reason: 'interrupted', detail: error.reason }
  return null
}

/**
 * What the phases of one run share: the scenario and its plan, the run's network, the nodes
 * started so far, the metrics (replaced when the schedule starts, so the clock reads 0 there)
 * and the notes for the summary. Each phase takes this state and does one step of the run.
 */
import type { CryptoSuite } from '../../../core/src/crypto/suite.ts'
import type { SimRelay, SimUser } from '../harness.ts'
import type { Metrics } from '../metrics.ts'
import type { Scenario } from '../scenario.ts'
import type { Plan } from '../schedule.ts'
import type { RunLinks } from './run-links.ts'

export type Phase =
  | 'relays'
  | 'users'
  | 'contacts'
  | 'publish'
  | 'lookups'
  | 'groups'
  | 'schedule'
  | 'drain'
  | 'check'
  | 'stop'

export type TransportMode = Scenario['transport']

/** Progress of the current phase (done of total). */
export type Progress = (phase: Phase, done: number, total: number) => void

export interface RunState {
  readonly scenario: Scenario
  readonly plan: Plan
  readonly seed: number
  readonly transport: TransportMode
  readonly suite: CryptoSuite
  /** Temp folder of the run's profiles and relay data. */
  readonly root: string
  readonly links: RunLinks
  /** Relays in index order, as they are started. */
  readonly relays: SimRelay[]
  /** Users in index order, once every one has been created. */
  readonly users: SimUser[]
  /** The current metrics (event handlers must read this property, not keep the object). */
  metrics: Metrics
  /** Lines for the summary: what did not go as planned, what was not modelled. */
  readonly notes: string[]
  readonly progress: Progress
  /**
   * Aborted when a phase overran its bound or the run was interrupted: loops still working for
   * an abandoned phase (pools, polls, the schedule) stop starting new work.
   */
  readonly signal: AbortSignal
  /**
   * Set when the final stop begins: a node an abandoned phase finishes creating after that is
   * stopped by the phase itself (the stop has already passed it by).
   */
  stopping: boolean
}

/**
 * `npm run sim -- <scenario> [--nodes N] [--seed S] [--transport memory|tcp] [--out DIR] [--quiet]
 *  [--phase-timeout PHASE=MS ...]`
 * Runs a shipped scenario (simulations/scenarios/<name>.json) or a scenario file, shows a progress
 * bar per phase, and writes summary.json, metrics.json and report.html to the output folder
 * (default simulations/out/<scenario>-<seed>). On SIGINT / SIGTERM, or when a phase overruns its
 * bound, it still writes them with what completed (`incomplete` in summary.json) and exits 3;
 * a second signal exits at once.
 */
import { join } from 'node:path'
import cliProgress from 'cli-progress'
import { Command, InvalidArgumentError, Option } from 'commander'
import { writeReport } from './report.ts'
import { type Phase, type PhaseBounds, runScenario, type TransportMode } from './run.ts'
import { loadScenario, type Scenario } from './scenario.ts'
import { summarize } from './summary.ts'

const DEFAULT_OUT_ROOT = new URL('../out/', import.meta.url).pathname

function integer(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer')
  return n
}

/** Exit code of a run that stopped short (a phase timed out, or a signal): partial results written. */
export const EXIT_INCOMPLETE = 3
/** Exit code after a second signal (no results written), as a shell reports SIGINT. */
const EXIT_FORCED = 130

/** Without a progress bar (--quiet, or stderr not a terminal): a line per phase and at most this often within one. */
const PROGRESS_LINE_INTERVAL_MS = 30_000

const PHASES: readonly Phase[] = [
  'relays',
  'users',
  'contacts',
  'publish',
  'lookups',
  'groups',
  'schedule',
  'drain',
  'check',
  'stop',
]

/** `PHASE=MS`, repeatable: overrides one phase's bound. */
function phaseTimeout(value: string, previous: Partial<PhaseBounds> = {}): Partial<PhaseBounds> {
  const [phase, ms] = value.split('=')
  if (!PHASES.includes(phase as Phase))
    throw new InvalidArgumentError(`phase must be one of ${PHASES.join(', ')}`)
  const n = Number(ms)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('bound must be a whole number of ms ≥ 1')
  return { ...previous, [phase as Phase]: n }
}

export interface SimCliOptions {
  phaseTimeout?: Partial<PhaseBounds>
  nodes?: number
  seed?: number
  transport?: TransportMode
  out?: string
  quiet?: boolean
}

/** Scale a scenario to N users: message count and relay count follow the user count. */
export function withNodes(scenario: Scenario, nodes: number | undefined): Scenario {
  if (nodes === undefined || nodes === scenario.users.count) return scenario
  const factor = nodes / scenario.users.count
  return {
    ...scenario,
    users: { ...scenario.users, count: nodes },
    messages: { count: Math.max(1, Math.round(scenario.messages.count * factor)) },
  }
}

const kib = (bytes: number | null) => (bytes === null ? '-' : Math.round(bytes / 1024))
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10

export async function main(argv: string[]): Promise<number> {
  const program = new Command('sim')
    .argument('<scenario>', 'scenario name (simulations/scenarios/<name>.json) or a .json path')
    .option('--nodes <n>', 'number of users (scales the message count with it)', integer)
    .option('--seed <s>', 'seed (default: the scenario’s)', integer)
    .addOption(
      new Option('--transport <t>', 'in-process transport (default: the scenario’s, else memory)').choices([
        'memory',
        'tcp',
      ]),
    )
    .option('--out <dir>', 'output folder')
    .option('--quiet', 'no progress bar')
    .option('--phase-timeout <phase=ms>', 'override one phase’s bound (repeatable)', phaseTimeout)
    .exitOverride()
  program.parse(argv, { from: 'user' })
  const name = program.args[0] as string
  const opts = program.opts<SimCliOptions>()
  const scenario = withNodes(await loadScenario(name), opts.nodes)
  const seed = opts.seed ?? scenario.seed
  const out = opts.out ?? join(DEFAULT_OUT_ROOT, `${scenario.name}-${scenario.users.count}-${seed}`)
  const transport = opts.transport ?? scenario.transport
  const command = `npm run sim -- ${name} --nodes ${scenario.users.count} --seed ${seed} --transport ${transport}`

  const bar =
    opts.quiet || !process.stderr.isTTY
      ? null
      : new cliProgress.SingleBar(
          {
            format: ' {phase} [{bar}] {value}/{total} · {duration_formatted}',
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        )
  let current: Phase | null = null
  const t0 = performance.now()
  let lastPhase: Phase | null = null
  let lastLine = 0
  const onProgress = (phase: Phase, done: number, total: number) => {
    if (bar === null) {
      const now = performance.now()
      const at = `[${Math.round((now - t0) / 1000)} s]`
      if (phase !== lastPhase) console.error(`${at} ${phase} (${total})`)
      else if (now - lastLine >= PROGRESS_LINE_INTERVAL_MS) console.error(`${at} ${phase} ${done}/${total}`)
      else return
      lastPhase = phase
      lastLine = now
      return
    }
    if (phase !== current) {
      if (current !== null) bar.stop()
      current = phase
      bar.start(total, done, { phase: phase.padEnd(8) })
    } else {
      bar.setTotal(total)
      bar.update(done)
    }
  }
  const interrupt = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(EXIT_FORCED)
    console.error(`\n${signal}: stopping; partial results follow (again to exit at once)`)
    interrupt.abort(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let result: Awaited<ReturnType<typeof runScenario>>
  try {
    result = await runScenario(scenario, {
      seed,
      transport,
      onProgress,
      phaseBoundsMs: opts.phaseTimeout,
      signal: interrupt.signal,
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  bar?.stop()
  const summary = summarize(result, command)
  const files = await writeReport(out, result, summary)
  const m = summary.messages
  console.log(
    [
      `${scenario.name}: ${summary.nodes.users} users, ${summary.nodes.relays} relays, seed ${seed}, ${summary.mode}, ${Math.round(result.wallMs / 1000)} s`,
      ...(result.incomplete === null
        ? []
        : [
            `  INCOMPLETE: phase ${result.incomplete.phase} ${result.incomplete.reason} (${result.incomplete.detail}); completed: ${result.completedPhases.join(', ') || 'none'}`,
          ]),
      `  phases (s): ${Object.entries(result.phaseMs)
        .map(([p, ms]) => `${p} ${Math.round(ms / 100) / 10}`)
        .join(', ')}`,
      `  1:1 delivered ${m.delivered}/${m.attempted} (ratio ${m.deliveryRatio}), online pairs ${m.onlinePairsDeliveryRatio}, duplicates shown ${m.duplicatesShownToUsers}`,
      `  latency ms p50 ${m.latencyMs.p50} p99 ${m.latencyMs.p99} (online pairs p99 ${m.onlinePairsLatencyMs.p99}; with a session p50 ${m.onlinePairsWithSessionLatencyMs.p50} p99 ${m.onlinePairsWithSessionLatencyMs.p99})`,
      `  schedule lag p50 ${m.scheduleLagMs.p50} p99 ${m.scheduleLagMs.p99} ms; sendText call p50 ${m.sendCallMs.p50} p99 ${m.sendCallMs.p99} ms; paths ${JSON.stringify(m.paths)}`,
      ...(summary.groups === null
        ? []
        : [
            `  groups: formed ${summary.groups.setup.filter((g) => g.ok).length}/${summary.groups.setup.length}; deliveries ${summary.groups.deliveriesDelivered}/${summary.groups.deliveriesExpected} (ratio ${summary.groups.deliveryRatio}), duplicates shown ${summary.groups.duplicatesShownToUsers}, latency p50 ${summary.groups.latencyMs.p50} p99 ${summary.groups.latencyMs.p99} ms, paths ${JSON.stringify(summary.groups.paths)}`,
          ]),
      `  DHT lookups ${summary.lookups.ok}/${summary.lookups.count} ok, p50 ${summary.lookups.latencyMs.p50} ms; publishes ${summary.publishes.ok}/${summary.publishes.count}`,
      summary.bytes.measured
        ? `  bytes sent: total ${mib(summary.bytes.wholeRun.totalSent)} MiB, per user p50 ${kib(summary.bytes.wholeRun.perUserSent.p50)} KiB max ${kib(summary.bytes.wholeRun.perUserSent.max)} KiB, relays ${summary.bytes.wholeRun.relays.map((r) => `${kib(r.sent)}`).join(' / ')} KiB (whole run)`
        : `  bytes: ${summary.bytes.reason}`,
      `  peak rss ${summary.process.peakRssMiB} MiB; errors ${summary.errors}`,
      ...summary.notes.map((n) => `  note: ${n}`),
      `  wrote ${files.join(', ')}`,
    ].join('\n'),
  )
  return result.incomplete === null ? 0 : EXIT_INCOMPLETE
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const e = error as { code?: string; message?: string }
      if (e.code?.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' ? 0 : 2)
      console.error(error)
      process.exit(1)
    },
  )
}

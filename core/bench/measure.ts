/**
 * Throughput measurement for the benchmarks: warm up, then run an operation back to back for a
 * fixed time budget and count completions. Synchronous operations run in a tight loop; operations
 * that return a promise are awaited one at a time (no overlap), as an app would call them.
 */
import type { BenchOp } from './bench-side.ts'

export interface MeasureOptions {
  /** Time spent running the operation before any measurement, to let the JIT settle (ms). */
  readonly warmupMs: number
  /** Length of one measured run (ms). */
  readonly budgetMs: number
  /** Measured runs per side; the median is reported. */
  readonly runs: number
}

export interface RowResult {
  readonly name: string
  readonly unit: string
  readonly wren: number
  readonly libsignal: number
  /** wren / libsignal (medians of wall-clock rates); higher is better for Wren. */
  readonly ratio: number
  /** The same from rates per CPU second of the process (not stretched by other processes). */
  readonly ratioCpu: number
  /** What the row's floor is made of, if it has one (the primitives a unit cannot do without). */
  readonly floorWhat?: string
  /** The floor's rate, measured with the same suite in the same alternating runs. */
  readonly floor?: number
  /**
   * floor / wren: how many times the floor's time one unit of Wren takes, median of the per-round
   * ratios; lower is better.
   */
  readonly overFloor?: number
  /** The same from rates per CPU second of the process. */
  readonly overFloorCpu?: number
  /** 1-minute load average of the machine when the row finished. */
  readonly load: number
}

/** What a row must reach: a minimum wren/libsignal ratio and/or a maximum overFloor. */
export interface RowGoal {
  readonly ratio?: number
  readonly overFloor?: number
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** One run's rate per second of wall-clock time and per second of this process's CPU time. */
export interface RunRate {
  readonly wall: number
  readonly cpu: number
}

/**
 * Completed operations per second over one run of about `budgetMs`, by the wall clock and by
 * the CPU time this process used (user + system, all its threads): on a shared machine, time
 * slices given to other processes stretch the first but not the second.
 */
export async function runFor(op: BenchOp, budgetMs: number): Promise<RunRate> {
  const first = op()
  const asynchronous = isPromise(first)
  if (asynchronous) await first
  let count = 1
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  const end = start + budgetMs
  let now = start
  if (asynchronous) {
    while (now < end) {
      await op()
      count++
      now = performance.now()
    }
  } else {
    while (now < end) {
      op()
      count++
      now = performance.now()
    }
  }
  const cpu = process.cpuUsage(cpuStart)
  // The first call ran before `start`; count it out.
  return {
    wall: (count - 1) / ((now - start) / 1000),
    cpu: (count - 1) / ((cpu.user + cpu.system) / 1e6),
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Measures operations side by side: all warm up, then their runs take turns (a, b, c, a, b, c, …)
 * so that slow drifts of the machine (thermal, other load) hit them alike. Medians per operation.
 */
export async function compare(
  ops: readonly BenchOp[],
  options: MeasureOptions,
): Promise<{ medians: number[]; runs: number[][]; cpuMedians: number[]; cpuRuns: number[][] }> {
  for (const op of ops) await runFor(op, options.warmupMs)
  const runs: number[][] = ops.map(() => [])
  const cpuRuns: number[][] = ops.map(() => [])
  for (let i = 0; i < options.runs; i++)
    for (const [j, op] of ops.entries()) {
      // Each run starts from a collected heap (when the bench runs with --expose-gc), so that
      // one side's garbage — libsignal's native handles and their finalizers included — is not
      // collected on the next side's clock.
      collectGarbage()
      const rate = await runFor(op, options.budgetMs)
      runs[j]?.push(rate.wall)
      cpuRuns[j]?.push(rate.cpu)
    }
  return { medians: runs.map(median), runs, cpuMedians: cpuRuns.map(median), cpuRuns }
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) gc()
}

/** Rounds a rate for display and JSON: whole numbers, one decimal below 100. */
export function roundRate(rate: number): number {
  return rate >= 100 ? Math.round(rate) : Math.round(rate * 10) / 10
}

const met = (ok: boolean) => (ok ? 'met' : 'MISSED')

/** The verdict by the wall clock, then by CPU time: "ratio ≥ 2: met / cpu met". */
function verdict(r: RowResult, goal: RowGoal | undefined): string {
  const parts: string[] = []
  if (goal?.ratio !== undefined)
    parts.push(`ratio ≥ ${goal.ratio}: ${met(r.ratio >= goal.ratio)} / cpu ${met(r.ratioCpu >= goal.ratio)}`)
  if (goal?.overFloor !== undefined && r.overFloor !== undefined && r.overFloorCpu !== undefined)
    parts.push(
      `floor × ≤ ${goal.overFloor}: ${met(r.overFloor <= goal.overFloor)} / cpu ${met(r.overFloorCpu <= goal.overFloor)}`,
    )
  return parts.join(', ')
}

export function formatTable(rows: readonly RowResult[], goals: ReadonlyMap<string, RowGoal>): string {
  const header = [
    'name',
    'unit',
    'wren',
    'libsignal',
    'ratio',
    'cpu',
    'floor',
    'floor ×',
    'cpu',
    'load',
    'goal',
  ]
  const times = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)}×`)
  const body = rows.map((r) => [
    r.name,
    r.unit,
    r.wren.toLocaleString('en-US'),
    r.libsignal.toLocaleString('en-US'),
    times(r.ratio),
    times(r.ratioCpu),
    r.floor === undefined ? '—' : r.floor.toLocaleString('en-US'),
    times(r.overFloor),
    times(r.overFloorCpu),
    r.load.toFixed(2),
    verdict(r, goals.get(r.name)),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)))
  const numeric = new Set([2, 3, 4, 5, 6, 7, 8, 9])
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

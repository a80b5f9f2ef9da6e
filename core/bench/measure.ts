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
  /** wren / libsignal; higher is better for Wren. */
  readonly ratio: number
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** Completed operations per second over one run of about `budgetMs`. */
export async function runFor(op: BenchOp, budgetMs: number): Promise<number> {
  const first = op()
  const asynchronous = isPromise(first)
  if (asynchronous) await first
  let count = 1
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
  // The first call ran before `start`; count it out.
  return (count - 1) / ((now - start) / 1000)
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Measures two operations side by side: both warm up, then their runs alternate (a, b, a, b, …)
 * so that slow drifts of the machine (thermal, other load) hit both sides alike.
 */
export async function compare(
  a: BenchOp,
  b: BenchOp,
  options: MeasureOptions,
): Promise<{ a: number; b: number; aRuns: number[]; bRuns: number[] }> {
  await runFor(a, options.warmupMs)
  await runFor(b, options.warmupMs)
  const aRuns: number[] = []
  const bRuns: number[] = []
  for (let i = 0; i < options.runs; i++) {
    aRuns.push(await runFor(a, options.budgetMs))
    bRuns.push(await runFor(b, options.budgetMs))
  }
  return { a: median(aRuns), b: median(bRuns), aRuns, bRuns }
}

/** Rounds a rate for display and JSON: whole numbers, one decimal below 100. */
export function roundRate(rate: number): number {
  return rate >= 100 ? Math.round(rate) : Math.round(rate * 10) / 10
}

export function formatTable(rows: readonly RowResult[], goals: ReadonlyMap<string, number>): string {
  const header = ['name', 'unit', 'wren', 'libsignal', 'ratio', 'goal']
  const body = rows.map((r) => {
    const goal = goals.get(r.name)
    const verdict = goal === undefined ? '' : `≥ ${goal}× ${r.ratio >= goal ? 'met' : 'MISSED'}`
    return [
      r.name,
      r.unit,
      r.wren.toLocaleString('en-US'),
      r.libsignal.toLocaleString('en-US'),
      `${r.ratio.toFixed(2)}×`,
      verdict,
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)))
  const numeric = new Set([2, 3, 4])
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

/**
 * Small shared pieces of the daemon and relay benchmarks (node.bench.ts, relay.bench.ts):
 * percentiles, the `{ name, unit, value, goal }` rows written to docs/bench/*.json, process RSS
 * from /proc, the machine load, and bounded waits.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'

export interface BenchRow {
  readonly name: string
  readonly unit: string
  readonly value: number
  /** The goal in the same unit (a bound: ≤ for times and sizes, ≥ for rates), or null. */
  readonly goal: number | null
}

/** Nearest-rank percentile (p in 0..100) of a non-empty sample; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number
}

export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

/** Round to `digits` significant-ish decimals for the JSON (keeps tables readable). */
export function round(value: number, decimals = 1): number {
  const f = 10 ** decimals
  return Math.round(value * f) / f
}

/** Resident set size of a process in MB (VmRSS of /proc/<pid>/status; MB = 2^20 bytes). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) / 1024
}

/** The 1-minute load average, rounded (the machine is shared: every report prints it). */
export function load1(): number {
  return round(loadavg()[0] ?? 0, 2)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `check` every `intervalMs` until it returns a value, failing after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 5,
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/** Parsed command line shared by both benchmarks: --quick, --out FILE (quick runs write nothing). */
export function benchArgs(defaultOut: string): { quick: boolean; out: string | null } {
  const quick = process.argv.includes('--quick')
  const outIndex = process.argv.indexOf('--out')
  const out = outIndex > 0 ? (process.argv[outIndex + 1] ?? null) : quick ? null : defaultOut
  return { quick, out }
}

export function writeRows(out: string | null, rows: readonly BenchRow[]): void {
  console.log('')
  console.table(rows.map((r) => ({ name: r.name, unit: r.unit, value: r.value, goal: r.goal ?? '—' })))
  if (out === null) {
    console.log('(quick run: nothing written; pass --out FILE to keep the figures)')
    return
  }
  writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`)
  console.log(`wrote ${out}`)
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
export const CLOCK_TICKS_PER_S = 100

/**
 * CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat (10 ms steps): on
 * a shared machine, a process's CPU time is not stretched by other processes' time slices.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after the command name (which may hold spaces) in parentheses; utime, stime are 14, 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
}

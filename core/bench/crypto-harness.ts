/**
 * The crypto benchmark's harness; the entry point is node/bench/crypto.bench.ts
 * (`npm run bench:crypto [-- --quick] [-- --only <part of a row name>] [-- --out <file>]`), which passes in the node:crypto suite:
 * core/ does not import node/, so the suite the daemon runs comes from outside.
 *
 * Wren's core protocol (with the suite passed in: node:crypto, as the daemon runs it) against
 * @signalapp/libsignal-client, side by side in one process: session setups, Double Ratchet
 * messages, Sender Key group messages and safety numbers. Prints a table with the ratio
 * wren / libsignal (higher is better for Wren) and writes docs/bench/crypto.json.
 * Not a test: figures depend on the machine; see docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fromHex, utf8 } from '../src/bytes.ts'
import type { BenchOp, BenchSide, SafetyNumberInput } from './bench-side.ts'
import { createLibsignalSide, libsignalSafetyNumber } from './libsignal-side.ts'
import {
  compare,
  formatTable,
  type MeasureOptions,
  median,
  type RowGoal,
  type RowResult,
  roundRate,
} from './measure.ts'
import {
  createWrenSide,
  groupFloor,
  type SuiteFactory,
  safetyNumberInput,
  wrenSafetyNumber,
  wrenSafetyNumberFromDigits,
} from './wren-side.ts'

/**
 * Full run: 0.4 s warm-up, then 8 × 0.5 s per side per row (and per floor), the sides taking
 * turns so that load from elsewhere on the machine hits both alike → about 70 s for 7 rows.
 */
const FULL: MeasureOptions = { warmupMs: 400, budgetMs: 500, runs: 8 }
/** Smoke run: checks that every row works, figures are only indicative. */
const QUICK: MeasureOptions = { warmupMs: 100, budgetMs: 200, runs: 1 }
const DEFAULT_OUT = resolve(import.meta.dirname, '../../docs/bench/crypto.json')
const KIB = 1024

interface Row {
  readonly name: string
  readonly unit: string
  /** What the issues ask of the row, if anything. */
  readonly goal?: RowGoal
  readonly make: (side: BenchSide) => Promise<BenchOp>
  /** The primitives one unit cannot do without, measured beside it in the same runs. */
  readonly floor?: { readonly what: string; readonly make: () => BenchOp }
}

function rows(safety: SafetyNumberInput, makeSuite: SuiteFactory): Row[] {
  return [
    {
      name: 'session setup (bundle → PQXDH → first reply)',
      unit: 'setups/s',
      goal: { ratio: 1 },
      make: (s) => s.sessionSetup(),
    },
    {
      name: 'ratchet alternating, 64 B',
      unit: 'msgs/s',
      goal: { ratio: 2 },
      make: (s) => s.ratchet({ size: 64, alternate: true }),
    },
    {
      name: 'ratchet alternating, 1 KiB',
      unit: 'msgs/s',
      goal: { ratio: 2 },
      make: (s) => s.ratchet({ size: KIB, alternate: true }),
    },
    {
      name: 'ratchet one direction, 64 B',
      unit: 'msgs/s',
      goal: { ratio: 2 },
      make: (s) => s.ratchet({ size: 64, alternate: false }),
    },
    {
      name: 'ratchet one direction, 1 KiB',
      unit: 'msgs/s',
      goal: { ratio: 2 },
      make: (s) => s.ratchet({ size: KIB, alternate: false }),
    },
    {
      name: 'group (sender keys), 1 KiB',
      unit: 'msgs/s',
      goal: { overFloor: 1.25 },
      make: (s) => s.group(KIB),
      floor: {
        what: 'Ed25519 sign + verify of the signed body, AES-256-GCM encrypt + decrypt of 1 KiB',
        make: () => groupFloor(makeSuite, KIB),
      },
    },
    {
      name: 'safety number (5200 × SHA-512 × 2)',
      unit: 'numbers/s',
      goal: { ratio: 1 },
      make: (s) => s.safetyNumber(safety),
    },
  ]
}

function parseArgs(argv: readonly string[]): {
  quick: boolean
  out: string | undefined
  only: string | undefined
} {
  const quick = argv.includes('--quick')
  const o = argv.indexOf('--only')
  const only = o >= 0 ? argv[o + 1] : undefined
  const i = argv.indexOf('--out')
  // a partial run never overwrites the full results
  const out = i >= 0 ? argv[i + 1] : quick || only !== undefined ? undefined : DEFAULT_OUT
  return { quick, out, only }
}

/** libsignal's published NumericFingerprint vector (the Signal apps' test data). */
const SIGNAL_VECTOR = {
  localId: utf8('+14152222222'),
  localKey33: fromHex('0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868'),
  remoteId: utf8('+14153333333'),
  remoteKey33: fromHex('05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b'),
  expected: '300354477692869396892869876765458257569162576843440918079131',
}

/** Wren and libsignal must print the same safety number for the same ids and keys. */
function crossCheckSafetyNumbers(safety: SafetyNumberInput, makeSuite: SuiteFactory): void {
  const vector = {
    ...SIGNAL_VECTOR,
    localIdentityKey: new Uint8Array(0),
    remoteIdentityKey: new Uint8Array(0),
  }
  const lines: [string, string, string][] = [
    ['Signal vector', 'wren fingerprintDigits', wrenSafetyNumberFromDigits(vector, makeSuite())],
    ['', 'libsignal', libsignalSafetyNumber(vector)],
    ['', 'expected', SIGNAL_VECTOR.expected],
    ['fresh identities', 'wren safetyNumber', wrenSafetyNumber(safety, makeSuite())],
    ['', 'wren fingerprintDigits', wrenSafetyNumberFromDigits(safety, makeSuite())],
    ['', 'libsignal', libsignalSafetyNumber(safety)],
  ]
  console.log('safety-number cross-check (libsignal gets the 0x05 ‖ X25519 form of the same identity keys):')
  for (const [group, who, digits] of lines) console.log(`  ${group.padEnd(16)} ${who.padEnd(22)} ${digits}`)
  const vectorOk = lines.slice(0, 3).every((l) => l[2] === SIGNAL_VECTOR.expected)
  const freshOk = lines.slice(3).every((l) => l[2] === lines[3]?.[2])
  if (!vectorOk || !freshOk) throw new Error('safety numbers differ between Wren and libsignal')
  console.log('  all equal ✓\n')
}

/**
 * floor / wren per round (each Wren run against the floor run that followed it, a second or so
 * later), median over the rounds: a load swing between rounds cancels out, which a ratio of the
 * two medians does not do.
 */
function pairedOverFloor(wrenRuns: number[] | undefined, floorRuns: number[] | undefined): number {
  const ratios = (wrenRuns ?? []).map((w, i) => (floorRuns?.[i] ?? Number.NaN) / w)
  return Math.round(median(ratios) * 100) / 100
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
}

/** Run the benchmark with suites from makeSuite; argv as after the script name. */
export async function runCryptoBench(makeSuite: SuiteFactory, argv: readonly string[]): Promise<void> {
  const { quick, out, only } = parseArgs(argv)
  const options = quick ? QUICK : FULL
  const cpu = cpus()
  console.log(
    `crypto benchmark — node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}` +
      `, load average ${loadAverage()}${quick ? ' — QUICK smoke run, figures are indicative only' : ''}`,
  )
  console.log(
    `each row: ${options.warmupMs} ms warm-up, then ${options.runs} × ${options.budgetMs} ms per side and per floor (taking turns), median` +
      `; heap collected before each run: ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'yes' : 'no (run with --expose-gc)'}\n`,
  )

  const safety = safetyNumberInput(makeSuite)
  crossCheckSafetyNumbers(safety, makeSuite)

  const wren = createWrenSide(makeSuite)
  const libsignal = createLibsignalSide()
  const results: RowResult[] = []
  const goals = new Map<string, RowGoal>()
  const started = performance.now()
  for (const row of rows(safety, makeSuite).filter((r) => only === undefined || r.name.includes(only))) {
    if (row.goal !== undefined) goals.set(row.name, row.goal)
    const ops = [await row.make(wren), await row.make(libsignal)]
    if (row.floor !== undefined) ops.push(row.floor.make())
    const { medians, runs, cpuMedians, cpuRuns } = await compare(ops, options)
    const [w, l, f] = medians as [number, number, number | undefined]
    const [wc, lc] = cpuMedians as [number, number]
    const result: RowResult = {
      name: row.name,
      unit: row.unit,
      wren: roundRate(w),
      libsignal: roundRate(l),
      ratio: Math.round((w / l) * 100) / 100,
      ratioCpu: Math.round((wc / lc) * 100) / 100,
      ...(row.floor !== undefined && f !== undefined
        ? {
            floorWhat: row.floor.what,
            floor: roundRate(f),
            overFloor: pairedOverFloor(runs[0], runs[2]),
            overFloorCpu: pairedOverFloor(cpuRuns[0], cpuRuns[2]),
          }
        : {}),
      load: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    }
    results.push(result)
    const list = (xs: number[] | undefined) => (xs ?? []).map((x) => Math.round(x)).join(', ')
    const floorRuns = row.floor === undefined ? '' : ` floor [${list(runs[2])}]`
    console.log(
      `${row.name}: wren [${list(runs[0])}] libsignal [${list(runs[1])}]${floorRuns} ${row.unit}, load ${result.load}`,
    )
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`\n${formatTable(results, goals)}\n`)
  console.log(
    'wren, libsignal, floor: medians of the wall-clock rates; ratio = wren / libsignal, higher is better;\n' +
      "floor × = floor rate / wren rate (time per unit over the floor's), median of the per-round ratios,\n" +
      'lower is better; each "cpu" column is the same from rates per CPU second of this process, which\n' +
      'time slices given to other processes do not stretch; load = 1-minute load average when the row\n' +
      `ended; ${seconds} s; load average ${loadAverage()} at the end`,
  )
  for (const r of results)
    if (r.floorWhat !== undefined) console.log(`floor of "${r.name}": ${r.floorWhat}, same suite, same runs`)

  if (out !== undefined) {
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
    console.log(`wrote ${out}`)
  } else {
    console.log('quick or partial run: JSON not written (pass --out <file> to write it)')
  }
}

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { EXIT_INCOMPLETE, main } from '../simulations/src/cli.ts'

const CLI = new URL('../simulations/src/cli.ts', import.meta.url).pathname
/** Bound on the CLI child reaching its schedule (start-up of 3 users and a relay on a busy machine). */
const REACH_SCHEDULE_TIMEOUT_MS = 90_000
/** Bound on the child writing its partial results and exiting after SIGTERM. */
const EXIT_AFTER_SIGNAL_TIMEOUT_MS = 60_000

/** 3 users, 1 relay, a group of all three, 2 messages over `durationMs`. */
function tinyScenario(durationMs: number) {
  return {
    name: 'bounds-tiny',
    seed: 5,
    durationMs,
    drainMs: 5_000,
    relays: { count: 1 },
    users: { count: 3 },
    contacts: { perUser: 'all' },
    lookupsPerUser: 1,
    messages: { count: 2 },
    groups: [{ size: 3, messages: 1 }],
  }
}

test('a phase that overruns its bound (groups bound to 1 ms, through `--phase-timeout`) ends the run early: summary.json is still written with the phases that completed, the phase that timed out, and exit code 3', {
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wren-sim-bounds-'))
  try {
    const scenarioPath = join(dir, 'tiny.json')
    await writeFile(scenarioPath, JSON.stringify(tinyScenario(2_000)))
    const out = join(dir, 'out')
    const code = await main([scenarioPath, '--quiet', '--out', out, '--phase-timeout', 'groups=1'])
    assert.equal(code, EXIT_INCOMPLETE)
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))
    assert.deepEqual(summary.incomplete, { phase: 'groups', reason: 'timeout', detail: 'bound 1 ms' })
    assert.deepEqual(summary.completedPhases, ['relays', 'users', 'contacts', 'publish', 'lookups'])
    assert.equal(summary.phaseBoundsMs.groups, 1)
    assert.equal(summary.lookups.count, 3, 'the lookups that completed are in the partial summary')
    assert.equal(summary.messages.scheduled, 0, 'the schedule never ran')
    assert.ok(summary.notes.some((n: string) => n.includes('phase groups timeout')))
    await readFile(join(out, 'report.html'), 'utf8')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a users phase bounded to 1 ms ends the run after the relays: the users already starting finish, are counted (bytes per user) and stopped, and the summary says where it stopped', {
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wren-sim-bounds-'))
  try {
    const scenarioPath = join(dir, 'tiny.json')
    await writeFile(scenarioPath, JSON.stringify(tinyScenario(2_000)))
    const out = join(dir, 'out')
    const code = await main([scenarioPath, '--quiet', '--out', out, '--phase-timeout', 'users=1'])
    assert.equal(code, EXIT_INCOMPLETE)
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))
    assert.deepEqual(summary.incomplete, { phase: 'users', reason: 'timeout', detail: 'bound 1 ms' })
    assert.deepEqual(summary.completedPhases, ['relays'])
    assert.equal(
      summary.bytes.wholeRun.perUserSent.count,
      3,
      'the 3 users in flight were started and counted',
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('SIGTERM during the schedule ends the run early: the CLI stops every node, writes summary.json with what completed (interrupted in phase schedule) and exits 3', {
  timeout: 180_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wren-sim-signal-'))
  try {
    const scenarioPath = join(dir, 'tiny.json')
    // a schedule long enough that the signal lands inside it
    await writeFile(scenarioPath, JSON.stringify(tinyScenario(60_000)))
    const out = join(dir, 'out')
    const child = spawn(process.execPath, [CLI, scenarioPath, '--quiet', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    const exited = once(child, 'exit')
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no schedule phase within ${REACH_SCHEDULE_TIMEOUT_MS} ms: ${stderr}`)),
          REACH_SCHEDULE_TIMEOUT_MS,
        )
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString()
          if (/\] schedule \(/.test(stderr)) {
            clearTimeout(timer)
            resolve()
          }
        })
        child.on('exit', () => {
          clearTimeout(timer)
          reject(new Error(`exited before the schedule: ${stderr}`))
        })
      })
      child.kill('SIGTERM')
      const [code] = (await Promise.race([
        exited,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('no exit after SIGTERM')), EXIT_AFTER_SIGNAL_TIMEOUT_MS).unref(),
        ),
      ])) as [number | null]
      assert.equal(code, EXIT_INCOMPLETE, `stdout: ${stdout}\nstderr: ${stderr}`)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))
    assert.deepEqual(summary.incomplete, { phase: 'schedule', reason: 'interrupted', detail: 'SIGTERM' })
    assert.deepEqual(summary.completedPhases, ['relays', 'users', 'contacts', 'publish', 'lookups', 'groups'])
    assert.equal(summary.groups.setup.length, 1, 'the group formed before the signal is in the summary')
    assert.match(stdout, /INCOMPLETE: phase schedule interrupted/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

/**
 * desktop/launch.ts as `npm start -- --print` runs it: a real launcher process, with the daemon it
 * starts itself or one that already runs. When that daemon dies the launcher says so.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { spawnDaemon } from '../../test/fixtures/daemon.ts'

const LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), '../launch.ts')
/** Bound on the launcher printing its link (it may start a daemon first) and on each later step, in ms. */
const STEP_TIMEOUT_MS = 20_000

interface Launcher {
  readonly child: ChildProcess
  output(): string
  waitFor(pattern: RegExp): Promise<void>
  stop(): Promise<void>
}

function startLauncher(home: string, profile: string): Launcher {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.DISPLAY
  delete env.WAYLAND_DISPLAY
  const child = spawn(process.execPath, [LAUNCHER, '--home', home, '--profile', profile, '--print'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c
  })
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    out += c
  })
  return {
    child,
    output: () => out,
    async waitFor(pattern) {
      const deadline = Date.now() + STEP_TIMEOUT_MS
      while (!pattern.test(out)) {
        assert.equal(child.exitCode, null, `launcher exited early:\n${out}`)
        assert.ok(
          Date.now() < deadline,
          `no ${pattern} from the launcher within ${STEP_TIMEOUT_MS} ms:\n${out}`,
        )
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS)
      await exited
      clearTimeout(timer)
    },
  }
}

describe('the launcher watches its daemon', () => {
  const homes: string[] = []
  after(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true })
  })

  test('a daemon the launcher started dies: the launcher says so and names the command to start again', async () => {
    const home = await mkdtemp(join(tmpdir(), 'wren-launch-'))
    homes.push(home)
    const launcher = startLauncher(home, 'solo')
    try {
      await launcher.waitFor(/Open this one-time link/)
      const { pid } = JSON.parse(await readFile(join(home, 'solo', 'daemon.json'), 'utf8')) as { pid: number }
      process.kill(pid, 'SIGTERM') // the daemon this test's launcher started
      await launcher.waitFor(
        new RegExp(
          `the daemon of profile solo \\(pid ${pid}\\) exited with code 0\\. The window cannot send`,
        ),
      )
      assert.match(launcher.output(), /run `npm start -- --profile solo`/)
    } finally {
      await launcher.stop()
    }
  })

  test('a daemon that was already running dies: the launcher notices within a few seconds', async () => {
    const daemon = await spawnDaemon({ profile: 'already' })
    homes.push(daemon.home)
    const launcher = startLauncher(daemon.home, 'already')
    try {
      await launcher.waitFor(/Open this one-time link/)
      assert.doesNotMatch(launcher.output(), /Starting the Wren daemon/, 'it used the running daemon')
      await daemon.stop()
      await launcher.waitFor(
        new RegExp(`the daemon of profile already \\(pid ${daemon.pid}\\) is no longer running`),
      )
    } finally {
      await launcher.stop()
      await daemon.stop()
    }
  })
})

/**
 * Opens the desktop shell for a profile: `node desktop/launch.ts [--home DIR] [--profile NAME] [--print]`
 * (what `npm start` runs).
 *
 * It finds the profile's daemon through daemon.json (starting one as a child process when none
 * runs), serves the shell on a loopback port from this process (desktop/server.ts, with the
 * daemon's RPC token), and opens a one-time launch URL as a Chromium app window with a fresh
 * user-data dir; without Chromium (or with --print) it prints the URL for any browser. It stays
 * up while the window is open, then stops what it started. It watches the daemon (its child, or
 * the pid in daemon.json) and says so on stderr when it stops; the window then shows the daemon
 * as unreachable and pauses sending.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SERVICE_NODE_FLAGS, serviceEnv } from '../core/src/service-process.ts'
import { daemonEntry } from '../node/src/launch/service-entry.ts'
import { readDaemonInfo, readRpcToken } from '../node/src/profile/daemon-info.ts'
import { DaemonNotRunningError } from '../node/src/profile/errors.ts'
import { DEFAULT_PROFILE, profilePaths, resolveHome } from '../node/src/profile/profile.ts'
import { LAUNCH_CODE_TTL_MS, launchCommand, startDesktopServer } from './server.ts'

/** Time a freshly started daemon has to write daemon.json, in ms. */
export const DAEMON_START_TIMEOUT_MS = 20_000
const POLL_MS = 100
/** How often a daemon the launcher did not start is checked for life, in ms: a person notices in a second or two. */
export const DAEMON_WATCH_INTERVAL_MS = 1_000

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Call `onDeath` once when the daemon stops: on its child's exit when the launcher started it,
 * else when its pid stops answering signal 0. Returns a function that stops watching.
 */
export function watchDaemon(
  target: { readonly child: ChildProcess } | { readonly pid: number },
  onDeath: (how: string) => void,
): () => void {
  if ('child' in target) {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      onDeath(code !== null ? `exited with code ${code}` : `was stopped by ${signal}`)
    target.child.once('exit', onExit)
    return () => target.child.off('exit', onExit)
  }
  const timer = setInterval(() => {
    if (isAlive(target.pid)) return
    clearInterval(timer)
    onDeath('is no longer running')
  }, DAEMON_WATCH_INTERVAL_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/** Chromium-family binaries tried in order when WREN_CHROMIUM is not set. */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/microsoft-edge',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
]

export function findChromium(): string | null {
  const env = process.env.WREN_CHROMIUM
  if (env && existsSync(env)) return env
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null
}

export interface AppWindow {
  readonly child: ChildProcess
  /** Resolves when the window (the Chromium process) exits; its user-data dir is removed. */
  readonly closed: Promise<void>
}

/** Open `url` as a Chromium app window with a fresh user-data dir (no history, no cookies kept). */
/** A window that closes sooner than this after launch failed to open rather than being closed. */
const WINDOW_FAILED_MS = 3_000

export async function openAppWindow(url: string, executable: string): Promise<AppWindow> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'wren-window-'))
  const child = spawn(
    executable,
    [
      `--app=${url}`,
      `--user-data-dir=${userDataDir}`,
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-sync',
      '--disable-component-update',
      '--window-size=1100,760',
    ],
    { stdio: 'ignore' },
  )
  const closed = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  }).then(() => rm(userDataDir, { recursive: true, force: true }))
  return { child, closed }
}

async function waitForDaemon(paths: ReturnType<typeof profilePaths>, child: ChildProcess) {
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the daemon exited (code ${child.exitCode})`)
    try {
      return await readDaemonInfo(paths)
    } catch (error) {
      if (!(error instanceof DaemonNotRunningError)) throw error
    }
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  throw new Error(`the daemon did not start within ${DAEMON_START_TIMEOUT_MS} ms`)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      home: { type: 'string' },
      profile: { type: 'string', default: DEFAULT_PROFILE },
      print: { type: 'boolean', default: false },
    },
  })
  const home = resolveHome(values.home)
  const paths = profilePaths(home, values.profile)
  let daemon: ChildProcess | null = null
  let info: Awaited<ReturnType<typeof readDaemonInfo>>
  try {
    info = await readDaemonInfo(paths)
  } catch (error) {
    if (!(error instanceof DaemonNotRunningError)) throw error
    process.stdout.write(`Starting the Wren daemon for profile ${paths.name}…\n`)
    daemon = spawn(
      process.execPath,
      [...SERVICE_NODE_FLAGS, await daemonEntry(), '--home', home, '--profile', paths.name],
      { stdio: ['ignore', 'ignore', 'inherit'], env: serviceEnv(process.env) },
    )
    info = await waitForDaemon(paths, daemon)
  }
  const token = await readRpcToken(paths)
  const server = await startDesktopServer({
    token,
    rpcUrl: `ws://127.0.0.1:${info.rpcPort}/`,
    profile: paths.name,
  })
  let stopping = false
  const unwatch = watchDaemon(daemon ? { child: daemon } : { pid: info.pid }, (how) => {
    if (stopping) return
    process.stderr.write(
      `wren: the daemon of profile ${paths.name} (pid ${info.pid}) ${how}. The window cannot send or receive ` +
        `until it runs again: close the window and run \`${launchCommand(paths.name)}\` to start it and get a new link.\n`,
    )
  })
  const stop = async () => {
    stopping = true
    unwatch()
    await server.close()
    if (daemon && daemon.exitCode === null) daemon.kill('SIGTERM')
  }
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())

  // No display on Linux (a server, a container): an app window cannot open, so print the link.
  const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
  const chromium = values.print || noDisplay ? null : findChromium()
  const printLink = () =>
    process.stdout.write(
      `Open this one-time link in a browser (it works once, for ${LAUNCH_CODE_TTL_MS / 1000} s; run again for a new one):\n  ${server.launchUrl()}\nPress Ctrl-C to stop.\n`,
    )
  if (chromium === null) {
    printLink()
    return
  }
  const openedAt = Date.now()
  const window = await openAppWindow(server.launchUrl(), chromium)
  await window.closed
  if (Date.now() - openedAt < WINDOW_FAILED_MS) {
    // Chromium gave up at once (no usable display, a broken profile): fall back to a link
    process.stdout.write('The app window could not be opened.\n')
    printLink()
    return
  }
  await stop()
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`wren: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
}

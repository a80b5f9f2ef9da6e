/**
 * The first steps of a newcomer, as they type them: `npx wren` and `npm run bot` from a shell
 * whose `node` is the system one, `wren status` before `init`, output piped into `head`, and a
 * WREN_HOME that is a file or that they may not read. Real processes, temporary folders removed.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type SpawnedDaemon, spawnDaemon } from '../../test/fixtures/daemon.ts'
import { findOnSystemPath, REPO_ROOT, runOnSystemPath } from '../../test/fixtures/system-path.ts'
import { runWren, WREN_BIN } from '../../test/fixtures/wren-cli.ts'
import { EXIT } from '../src/cli/exit-codes.ts'
import { daemonEntry } from '../src/launch/service-entry.ts'

/** Bound on a daemon that must fail at start, in ms: it fails before opening anything. */
const FAILING_START_MS = 20_000
/** An unprivileged uid/gid to run as when the tests run as root (who may read anything). */
const NOBODY = 65534

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function run(
  command: string,
  args: readonly string[],
  options: { uid?: number; gid?: number; destroyStdout?: boolean } = {},
): Promise<Run> {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  })
  let stdout = ''
  let stderr = ''
  if (options.destroyStdout) child.stdout.destroy()
  else
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
    })
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), FAILING_START_MS)
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    }),
  )
}

describe('the commands the README gives work from a plain shell', () => {
  let home: string
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'wren-newcomer-'))
  })
  after(async () => {
    await rm(home, { recursive: true, force: true })
  })

  test('`npx wren --help` with the system node first on PATH runs the CLI and names `npx wren` commands', async () => {
    assert.ok(findOnSystemPath('npx'), 'npx is on the system PATH')
    const r = await runOnSystemPath('npx', ['wren', '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Usage: wren /)
    assert.match(r.stdout, /^ {2}npx wren daemon /m)
    assert.match(r.stdout, /^ {2}npx wren init --name Alice /m)
    assert.doesNotMatch(r.stdout, /^ {2}wren /m, 'no bare `wren` that a fresh clone does not have')
    assert.doesNotMatch(r.stderr, /EBADENGINE|needs Node 24/, 'no engine warning and no wrong Node')
  })

  test('`npm run bot` with the system node first on PATH says it needs a running, unlocked daemon', async () => {
    const r = await runOnSystemPath('npm', [
      'run',
      '--silent',
      'bot',
      '--',
      '--home',
      home,
      '--profile',
      'robot',
    ])
    assert.equal(r.code, EXIT.DAEMON_UNREACHABLE, r.stderr)
    assert.match(r.stderr, /needs a running, unlocked daemon for profile robot: no daemon is running/)
    assert.match(r.stderr, /npx wren --profile robot daemon/)
    assert.doesNotMatch(r.stderr, /ERR_UNKNOWN_FILE_EXTENSION|SyntaxError/, 'it ran on the pinned Node')
  })
})

describe('a daemon without an identity yet', () => {
  let d: SpawnedDaemon
  before(async () => {
    d = await spawnDaemon()
  })
  after(async () => {
    await d?.stop()
  })

  test('status before init names the next command and the addresses the node will listen on', async () => {
    const r = await runWren(['status'], { home: d.home, profile: d.profile })
    assert.equal(r.code, EXIT.OK, r.stderr)
    assert.match(
      r.stdout,
      /^identity: +none yet: create it with: npx wren --profile p init --name <your name>$/m,
    )
    assert.match(
      r.stdout,
      /^network: +starts once the identity exists; it will listen on the addresses below \(same ports\)$/m,
    )
    // the profile's kept TCP port, on loopback too: what a second daemon on this machine bootstraps to
    assert.match(r.stdout, /^listening: +\/ip4\/127\.0\.0\.1\/tcp\/\d+$/m)
  })

  test('the bot refuses a profile without identity and names the command that creates one', async () => {
    const r = await run(process.execPath, [
      join(REPO_ROOT, 'examples/echo-bot.ts'),
      '--home',
      d.home,
      '--profile',
      d.profile,
    ])
    assert.equal(r.code, EXIT.LOCKED, r.stderr)
    assert.match(r.stderr, /needs a running, unlocked daemon for profile p: the profile has no identity yet/)
    assert.match(r.stderr, /npx wren --profile p init --name/)
  })

  test('`wren status | head -1`: a reader that went away ends the CLI quietly with code 0', async () => {
    const r = await run(process.execPath, [WREN_BIN, '--home', d.home, '--profile', d.profile, 'status'], {
      destroyStdout: true,
    })
    assert.equal(r.stderr, '', 'no EPIPE stack trace')
    assert.equal(r.code, EXIT.OK)
  })
})

describe('a WREN_HOME that cannot be used gets an error that says why', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-badhome-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('a file as WREN_HOME: the CLI says it is a file, not a folder (exit 1)', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a folder\n')
    const r = await runWren(['status'], { home: file })
    assert.equal(r.code, EXIT.ERROR, r.stderr)
    assert.equal(
      r.stderr.split('\n')[0],
      `wren: WREN_HOME (${file}) is a file, not a folder; fix it, or set WREN_HOME (or --home) to a folder of yours`,
    )
  })

  test('a file as WREN_HOME: the daemon on a terminal says so in a sentence, in JSON when piped', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a folder\n')
    assert.ok(findOnSystemPath('script'), "util-linux's script runs the daemon on a pseudo-terminal")
    const command = [process.execPath, await daemonEntry(), '--home', file].map((a) => `'${a}'`).join(' ')
    const tty = await run('script', ['-qec', command, '/dev/null'])
    assert.equal(tty.code, 1, tty.stdout)
    assert.match(
      tty.stdout,
      /^\d\d:\d\d:\d\d error node:daemon: the daemon could not start: WREN_HOME \(.*a-file\) is a file, not a folder; fix it/m,
    )
    assert.doesNotMatch(tty.stdout, /\{"time"/, 'no JSON on a terminal')

    const piped = await run(process.execPath, [await daemonEntry(), '--home', file])
    assert.equal(piped.code, 1)
    const entry = JSON.parse(piped.stderr.trim().split('\n').at(-1) ?? '')
    assert.equal(entry.level, 'error')
    assert.equal(entry.error, 'ProfileAccessError')
    assert.match(entry.message, /is a file, not a folder/)

    const forced = await run(process.execPath, [await daemonEntry(), '--home', file, '--log-format', 'text'])
    assert.match(forced.stderr, /error node:daemon: the daemon could not start: WREN_HOME/)
  })

  test('a path through a file: the CLI says part of the path is a file', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a folder\n')
    const r = await runWren(['status'], { home: join(file, 'wren') })
    assert.equal(r.code, EXIT.ERROR, r.stderr)
    assert.match(r.stderr, /cannot be a folder: part of that path is a file/)
  })

  test('an unreadable WREN_HOME: the CLI and the daemon say it is not readable and writable by you', async () => {
    // Root reads everything, so as root the commands run as an unprivileged user on root's folder.
    const asRoot = process.getuid?.() === 0
    const home = join(dir, 'locked-home')
    await mkdir(home, { mode: 0o700 })
    if (asRoot) await chmod(dir, 0o755)
    else await chmod(home, 0o000)
    const as = asRoot ? { uid: NOBODY, gid: NOBODY } : {}
    try {
      const cli = await run(process.execPath, [WREN_BIN, '--home', home, 'status'], as)
      assert.equal(cli.code, EXIT.ERROR, cli.stderr)
      assert.match(
        cli.stderr,
        /^wren: WREN_HOME \(.*locked-home\) is not readable and writable by you \(owner uid \d+, mode 0[0-7]{3}\)/,
      )
      if (asRoot) {
        // the owner repairs the modes of their own home; someone else cannot, and is told why
        const daemon = await run(
          process.execPath,
          [await daemonEntry(), '--home', home, '--log-format', 'text'],
          as,
        )
        assert.equal(daemon.code, 1)
        assert.match(
          daemon.stderr,
          /the daemon could not start: WREN_HOME \(.*locked-home\) is not readable and writable by you/,
        )
      }
    } finally {
      await chmod(home, 0o700)
    }
  })
})

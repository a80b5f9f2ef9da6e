/**
 * The daemon and the relay run with SERVICE_NODE_FLAGS (core/src/service-process.ts: a capped V8
 * young generation, so a burst of traffic does not leave them ~100 MB larger for minutes;
 * bench:abuse measures it) however a user starts them: `wren daemon` passes the flags to the
 * daemon it spawns, the relay's first line (`env -S node <flags>`) passes them when the file is
 * run as a program, and a process started without them says which ones it lacks.
 *
 * Every process here fails at start on purpose (a file as WREN_HOME, a missing relay config),
 * right after the flag check: nothing listens, nothing touches the network.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  missingServiceFlags,
  SERVICE_ENV,
  SERVICE_NODE_FLAGS,
  serviceEnv,
} from '../core/src/service-process.ts'
import { daemonEntry } from '../node/src/launch/service-entry.ts'
import { REPO_ROOT } from './fixtures/system-path.ts'
import { WREN_BIN } from './fixtures/wren-cli.ts'

const RELAY_BIN = join(REPO_ROOT, 'relay-node/src/bin/wren-relay.ts')
/** Bound on a process that must fail at start, in ms (it fails before opening anything). */
const FAILING_START_MS = 20_000
/** `node` on the PATH is the pinned Node (the one running this test), for the relay's shebang. */
const PATH_WITH_NODE = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`

interface Run {
  readonly code: number | null
  readonly stderr: string
}

function run(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', PATH: PATH_WITH_NODE, ...env },
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), FAILING_START_MS)
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    }),
  )
}

describe('missingServiceFlags', () => {
  test('names every service flag absent from both the command line and NODE_OPTIONS', () => {
    assert.deepEqual(missingServiceFlags([], undefined), [...SERVICE_NODE_FLAGS])
    assert.deepEqual(missingServiceFlags(['--inspect'], '--trace-warnings'), [...SERVICE_NODE_FLAGS])
  })

  test('a flag counts wherever it is given, with any value and either spelling', () => {
    assert.deepEqual(missingServiceFlags([...SERVICE_NODE_FLAGS], undefined), [])
    assert.deepEqual(missingServiceFlags([], `--inspect ${SERVICE_NODE_FLAGS.join(' ')}`), [])
    assert.deepEqual(missingServiceFlags(['--max_semi_space_size=16'], undefined), [])
    // a value alone is not a flag
    assert.deepEqual(missingServiceFlags(['max-semi-space-size=4'], ''), [...SERVICE_NODE_FLAGS])
  })
})

describe('serviceEnv', () => {
  test('puts SERVICE_ENV under the launcher environment, which a user value and the extras override', () => {
    assert.equal(SERVICE_ENV.MALLOC_ARENA_MAX, '2')
    assert.deepEqual(serviceEnv({ PATH: '/bin' }), { MALLOC_ARENA_MAX: '2', PATH: '/bin' })
    assert.equal(serviceEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX, '8')
    assert.equal(serviceEnv({ MALLOC_ARENA_MAX: '8' }, { MALLOC_ARENA_MAX: '1' }).MALLOC_ARENA_MAX, '1')
  })
})

describe('the daemon and the relay run with the service flags however they are started', () => {
  let dir: string
  let notAFolder: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wren-flags-'))
    notAFolder = join(dir, 'a-file')
    await writeFile(notAFolder, 'not a folder\n', { mode: 0o600 })
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  test('`wren daemon` starts the daemon with them; the daemon run bare warns that it lacks them', async () => {
    const viaCli = await run(process.execPath, [
      WREN_BIN,
      '--home',
      notAFolder,
      'daemon',
      '--log-format',
      'json',
    ])
    assert.notEqual(viaCli.code, 0, viaCli.stderr)
    assert.match(viaCli.stderr, /could not start|failed to start/, viaCli.stderr)
    assert.doesNotMatch(viaCli.stderr, /started without --max-semi-space-size/)

    const bare = await run(process.execPath, [
      await daemonEntry(),
      '--home',
      notAFolder,
      '--log-format',
      'json',
    ])
    assert.equal(bare.code, 1, bare.stderr)
    const warning = bare.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg?: string; expected?: string[] })
      .find((entry) => entry.level === 'warn')
    assert.ok(warning, bare.stderr)
    assert.match(warning.msg ?? '', /started without --max-semi-space-size=4/)
    assert.deepEqual(warning.expected, [...SERVICE_NODE_FLAGS])
  })

  test('the relay run as a program gets them from its first line; run through `node` it warns', async () => {
    const firstLine = readFileSync(RELAY_BIN, 'utf8').split('\n')[0]
    assert.equal(firstLine, `#!/usr/bin/env -S node ${SERVICE_NODE_FLAGS.join(' ')}`)
    // `npm run relay` (the README's command) runs it through node: the script passes the flags
    const scripts = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts
    assert.equal(scripts.relay, `node ${SERVICE_NODE_FLAGS.join(' ')} relay-node/src/bin/wren-relay.ts`)
    const missingConfig = join(dir, 'no-such-relay.json')

    const direct = await run(RELAY_BIN, ['--config', missingConfig])
    assert.equal(direct.code, 1, direct.stderr)
    assert.match(direct.stderr, /"event":"relay.start_failed"/)
    assert.doesNotMatch(direct.stderr, /relay.service_flags_missing/)

    const bare = await run(process.execPath, [RELAY_BIN, '--config', missingConfig])
    assert.equal(bare.code, 1, bare.stderr)
    const warning = bare.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event: string; missing?: string[] })
      .find((entry) => entry.event === 'relay.service_flags_missing')
    assert.deepEqual(warning?.missing, [...SERVICE_NODE_FLAGS], bare.stderr)
  })
})

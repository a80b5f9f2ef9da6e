/**
 * Where a relay keeps its data when nothing names a folder: the user's data directory, never the
 * folder it was started from (`npm run relay` runs in the repository). The relay process says where.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defaultRelayDataDir, loadRelayConfig, RELAY_DATA_DIRNAME } from '../src/config.ts'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = join(REPO_ROOT, 'relay-node/src/bin/wren-relay.ts')
/** Bound on the relay process logging relay.started, and on it stopping, in ms. */
const RELAY_WAIT_MS = 20_000

describe('relay data folder', () => {
  test('the default is $XDG_DATA_HOME/wren-relay, else ~/.local/share/wren-relay (a relative XDG path is ignored)', () => {
    assert.equal(defaultRelayDataDir({ XDG_DATA_HOME: '/data' }, '/home/u'), `/data/${RELAY_DATA_DIRNAME}`)
    assert.equal(defaultRelayDataDir({}, '/home/u'), '/home/u/.local/share/wren-relay')
    assert.equal(defaultRelayDataDir({ XDG_DATA_HOME: 'rel' }, '/home/u'), '/home/u/.local/share/wren-relay')
    const config = loadRelayConfig({ env: { XDG_DATA_HOME: '/data' } })
    assert.equal(config.dataDir, '/data/wren-relay')
    assert.ok(!loadRelayConfig({ env: {} }).dataDir.startsWith(process.cwd()), 'not under the working folder')
    assert.equal(
      loadRelayConfig({ env: { XDG_DATA_HOME: '/data', WREN_RELAY_DATA_DIR: '/x' } }).dataDir,
      '/x',
    )
  })

  describe('`npm run relay` with no data folder named', () => {
    let xdg: string
    before(async () => {
      xdg = await mkdtemp(join(tmpdir(), 'wren-relay-xdg-'))
    })
    after(async () => {
      await rm(xdg, { recursive: true, force: true })
    })

    test('keeps its data under the user data directory, not in the repository, and logs where', async () => {
      const child = spawn(process.execPath, [BIN], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          XDG_DATA_HOME: xdg,
          WREN_RELAY_DATA_DIR: '',
          WREN_RELAY_TESTING_LOOPBACK: '1',
          WREN_RELAY_TCP_PORT: '0',
          WREN_RELAY_WS_PORT: '-1',
          WREN_RELAY_METRICS: '0',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      const exited = new Promise((resolve) => child.once('exit', resolve))
      let logs = ''
      try {
        const started = await new Promise<{ dataDir?: string }>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no relay.started within ${RELAY_WAIT_MS} ms\n${logs}`)),
            RELAY_WAIT_MS,
          )
          child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
            logs += chunk
            const line = logs.split('\n').find((l) => l.includes('"relay.started"'))
            if (line) {
              clearTimeout(timer)
              resolve(JSON.parse(line))
            }
          })
          child.once('exit', (code) => reject(new Error(`relay exited (${code})\n${logs}`)))
        })
        assert.equal(started.dataDir, join(xdg, 'wren-relay'))
        assert.ok((await stat(join(xdg, 'wren-relay', 'identity.key'))).isFile())
        assert.equal(await stat(join(REPO_ROOT, 'wren-relay-data')).catch(() => null), null)
      } finally {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), RELAY_WAIT_MS)
        await exited
        clearTimeout(timer)
      }
    })
  })
})

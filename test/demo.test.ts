import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Bound on the whole scripted demo: about 25 s here, more on a loaded 2-core machine. */
const DEMO_TIMEOUT_MS = 90_000
const OFFLINE_TEXTS = ['Are you there?', 'Sending this while you are offline.', 'Third and last one.']

function runDemo(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/demo.ts'), '--once'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    const timer = setTimeout(() => {
      // SIGTERM lets the demo stop its own children before it exits
      child.kill('SIGTERM')
      reject(new Error(`demo did not finish within ${DEMO_TIMEOUT_MS} ms:\n${output}`))
    }, DEMO_TIMEOUT_MS)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output })
    })
  })
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

test('npm run demo --once: delivered online, stored with 2 relay receipts offline, then delivered in order; no child left running', async () => {
  const { code, output } = await runDemo()
  assert.equal(code, 0, output)

  assert.match(output, /"Hi Bob! This is end-to-end encrypted\." ✓✓ delivered/, 'online message delivered')
  assert.match(output, /"Hey Alice, got it!" ✓✓ delivered/, 'reply delivered')
  for (const text of OFFLINE_TEXTS) {
    assert.ok(output.includes(`"${text}" ⧗ stored (2 relay receipts)`), `"${text}" stored with 2 receipts`)
    assert.ok(output.includes(`alice: "${text}" ✓✓ delivered`), `"${text}" delivered after bob returned`)
  }
  const arrivals = [...output.matchAll(/bob received #(\d): "([^"]*)"/g)].map((m) => [Number(m[1]), m[2]])
  assert.deepEqual(
    arrivals,
    OFFLINE_TEXTS.map((text, i) => [i + 1, text]),
    'the offline messages reached bob once each, in order',
  )

  const pids = [...new Set([...output.matchAll(/started [\w-]+ \(pid (\d+)\)/g)].map((m) => Number(m[1])))]
  assert.equal(pids.length, 5, 'two relays, alice, bob and bob again were started')
  for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} is gone`)
  assert.match(output, /temporary folders removed/)
})

/**
 * The service bundle launchers run (launch/service-entry.ts): it runs like the sources, an edited
 * source is never run stale, an unchanged build does not rewrite the file, and builds racing on
 * one path leave a whole file.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { asciiOnly, buildBundle, DAEMON_BUNDLE, daemonEntry } from '../src/launch/service-entry.ts'

const run = promisify(execFile)
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wren-service-entry-'))
  await writeFile(join(dir, 'part.ts'), "export const greeting: string = 'one'\n")
  await writeFile(join(dir, 'main.ts'), "import { greeting } from './part.ts'\nconsole.log(greeting)\n")
})

after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('the bundle runs as the sources do, and is rebuilt from an edited source', async () => {
  const bundle = join(dir, 'out/main.mjs')
  assert.equal(await buildBundle(join(dir, 'main.ts'), bundle), bundle)
  assert.equal((await run(process.execPath, [bundle])).stdout, 'one\n')
  await writeFile(join(dir, 'part.ts'), "export const greeting: string = 'two'\n")
  await buildBundle(join(dir, 'main.ts'), bundle)
  assert.equal((await run(process.execPath, [bundle])).stdout, 'two\n')
})

test('an unchanged build leaves the file as it was; racing builds leave a whole file', async () => {
  const bundle = join(dir, 'out/race.mjs')
  await buildBundle(join(dir, 'main.ts'), bundle)
  const first = await stat(bundle)
  await buildBundle(join(dir, 'main.ts'), bundle)
  assert.equal((await stat(bundle)).mtimeMs, first.mtimeMs, 'not rewritten')
  await writeFile(join(dir, 'part.ts'), "export const greeting: string = 'three'\n")
  await Promise.all(Array.from({ length: 4 }, () => buildBundle(join(dir, 'main.ts'), bundle)))
  assert.equal((await run(process.execPath, [bundle])).stdout, 'three\n')
})

test('the daemon entry is its bundle, with the package version built in', async () => {
  assert.equal(await daemonEntry(), DAEMON_BUNDLE)
  const text = await readFile(DAEMON_BUNDLE, 'utf8')
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  assert.ok(text.includes(JSON.stringify(pkg.version)), 'version inlined, not read relative to the bundle')
  assert.ok(!/from "\.\.?\//.test(text), 'no relative import left to resolve from dist/')
})

test('the bundle is ASCII, and its escapes mean what the characters meant', async () => {
  const bundle = await readFile(await daemonEntry())
  assert.ok(
    bundle.every((b) => b < 0x80),
    'a non-ASCII byte in the daemon bundle',
  )
  // the source of an array literal: a comment, a string, two regular expressions, a template
  const source = `/* a → b */ ['ß😀'.length, /ß/g.test('Straße'), /😀/u.test('x😀'), \`ς\${'≤'}\`]`
  const escaped = asciiOnly(source)
  assert.ok(!/[\u0080-\uffff]/.test(escaped))
  assert.deepEqual(new Function(`return ${escaped}`)(), new Function(`return ${source}`)())
})
